// Writes a model folder (`savePretrained`): each file goes to a temporary name first and is renamed into place, so
// a failure never leaves a partly written config.json or model.safetensors behind.
import { promises as fs } from "node:fs";
import { join } from "node:path";
import { WeightsError } from "../errors.js";

export async function writeModelFolder(dir: string, files: Record<string, Uint8Array>): Promise<void> {
  if (typeof dir !== "string" || dir.length === 0) throw new WeightsError(`savePretrained: expected a folder path, got ${JSON.stringify(dir)}`);
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    throw new WeightsError(`savePretrained: cannot create the folder ${dir} (${(e as Error).message})`, "WEIGHTS_INVALID", { cause: e });
  }
  for (const [name, bytes] of Object.entries(files)) {
    const path = join(dir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      await fs.writeFile(tmp, bytes);
      await fs.rename(tmp, path);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw new WeightsError(`savePretrained: cannot write ${path} (${(e as Error).message})`, "WEIGHTS_INVALID", { cause: e });
    }
  }
}
