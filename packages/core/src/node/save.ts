// Writes a model folder (`savePretrained`): every file goes to a temporary name first, and only when all of them
// are written are they renamed into place, config.json last, so a failure (disk full, permissions) never leaves a
// partly written file or a new config.json next to an old model.safetensors (a failing rename itself can still leave
// earlier weight files replaced). A folder this call created is removed again on failure.
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { WeightsError } from "../errors.js";

export async function writeModelFolder(dir: string, files: Record<string, Uint8Array>): Promise<void> {
  if (typeof dir !== "string" || dir.length === 0) throw new WeightsError(`savePretrained: expected a folder path, got ${JSON.stringify(dir)}`);
  let created: string | undefined;
  try {
    created = await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new WeightsError(`savePretrained: cannot create the folder ${dir} (${(e as Error).message})`, "WEIGHTS_INVALID", { cause: e });
  }
  const staged: Array<{ tmp: string; path: string }> = [];
  let path = dir;
  try {
    for (const [name, bytes] of Object.entries(files)) {
      path = join(dir, name);
      const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
      staged.push({ tmp, path });
      await fs.writeFile(tmp, bytes);
    }
    // config.json last: it says how to read the weights (quantization markers), so it never lands beside old ones
    staged.sort((a, b) => Number(a.path.endsWith("config.json")) - Number(b.path.endsWith("config.json")));
    for (const s of staged) {
      path = s.path;
      await fs.rename(s.tmp, s.path);
    }
  } catch (e) {
    await Promise.all(staged.map((s) => fs.rm(s.tmp, { force: true }).catch(() => {})));
    if (created !== undefined) await fs.rm(created, { recursive: true, force: true }).catch(() => {});
    throw new WeightsError(`savePretrained: cannot write ${path} (${(e as Error).message})`, "WEIGHTS_INVALID", { cause: e });
  }
}
