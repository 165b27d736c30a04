// urlFiles (a served folder read with HTTP Range requests, streamed into each tensor's buffer) and blobFiles
// (Blob.slice): the streamed state dict equals the one read from disk, for safetensors and pytorch_model.bin, in
// fp32 and converted to fp16; missing files, servers without Range support and hostile names give typed errors.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryFiles } from "../../src/node/files.js";
import { serveFolder, type ServedFolder } from "../../src/node/serve-folder.js";
import { loadStateDict } from "../../src/weights/load.js";
import { blobFiles, urlFiles } from "../../src/web-files.js";
import { WeightsError } from "../../src/errors.js";
import { TINY } from "./helpers.js";

const DIR = TINY;
let served: ServedFolder;
let plain: ServedFolder;

beforeAll(async () => {
  served = await serveFolder(DIR);
  plain = await serveFolder(DIR, { noRange: true });
});
afterAll(async () => {
  await served?.close();
  await plain?.close();
});

async function same(files: Parameters<typeof loadStateDict>[0], format: "safetensors" | "bin", dtype: "f32" | "f16") {
  const opts = { dtype, preferSafetensors: format === "safetensors", format: format === "bin" ? ("pytorch" as const) : ("safetensors" as const) };
  const want = await loadStateDict(directoryFiles(DIR), opts);
  const got = await loadStateDict(files, opts);
  expect([...got.stateDict.keys()]).toEqual([...want.stateDict.keys()]);
  for (const [k, t] of want.stateDict) expect(got.stateDict.get(k)!.data, k).toEqual(t.data);
}

describe("urlFiles: a served folder read with Range requests", () => {
  for (const format of ["safetensors", "bin"] as const) {
    for (const dtype of ["f32", "f16"] as const) {
      it(`${format} → ${dtype} equals the folder on disk`, async () => {
        await same(urlFiles(served.url), format, dtype);
      });
    }
  }

  it("finds the well-known files and reads ranges and sizes", async () => {
    const files = urlFiles(served.url);
    expect(await files.list()).toEqual(expect.arrayContaining(["config.json", "model.safetensors", "pytorch_model.bin"]));
    expect(await files.has("nope.bin")).toBe(false);
    const whole = readFileSync(path.join(DIR, "model.safetensors"));
    expect(await files.size!("model.safetensors")).toBe(whole.byteLength);
    expect(await files.readRange!("model.safetensors", 3, 1003)).toEqual(new Uint8Array(whole.subarray(3, 1003)));
  });

  it("gives typed errors: missing file, server without Range support, hostile name", async () => {
    const files = urlFiles(served.url);
    await expect(files.read("missing.json")).rejects.toMatchObject({ name: "WeightsError", code: "FILE_NOT_FOUND" });
    await expect(files.readRange!("missing.bin", 0, 4)).rejects.toBeInstanceOf(WeightsError);
    await expect(files.has("../secret")).rejects.toThrow(/not a plain relative path/);
    await expect(urlFiles(plain.url).readRange!("model.safetensors", 8, 16)).rejects.toThrow(/ignores Range requests/);
  });
});

describe("blobFiles: Blob.slice reads", () => {
  it("safetensors and .bin, fp32 and fp16, equal the folder on disk", async () => {
    const blob = (f: string) => new Blob([readFileSync(path.join(DIR, f))]);
    const files = blobFiles({ "config.json": blob("config.json"), "model.safetensors": blob("model.safetensors"), "pytorch_model.bin": blob("pytorch_model.bin") });
    for (const format of ["safetensors", "bin"] as const) for (const dtype of ["f32", "f16"] as const) await same(files, format, dtype);
    await expect(files.read("x")).rejects.toMatchObject({ code: "FILE_NOT_FOUND" });
    await expect(files.readRange!("config.json", 0, 1e9)).rejects.toThrow(/outside the file/);
  });
});
