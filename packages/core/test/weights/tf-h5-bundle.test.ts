// Browser-safety and lazy loading of the tf_model.h5 reader: core's entry bundles for browsers with no `node:`
// import, and h5wasm (~4 MB) stays out of the bundle — it is loaded only by the worker a `.h5` read starts.
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { expect, it } from "vitest";

it("core's browser bundle has no node: import and does not contain h5wasm; the worker file is referenced", async () => {
  const entry = fileURLToPath(new URL("../../src/index.ts", import.meta.url));
  const out = await build({ entryPoints: [entry], bundle: true, write: false, platform: "browser", format: "esm", conditions: ["source"], logLevel: "silent", external: ["onnxruntime-common"] });
  const code = out.outputFiles[0].text;
  expect(code).not.toMatch(/from\s*["']node:/);
  expect(code).not.toContain("hdf5_util");
  expect(code).not.toContain("HDF5-DIAG");
  expect(code).toContain("h5-worker/tf-h5-worker.mjs");
}, 60_000);
