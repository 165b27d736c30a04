// The hub entry must bundle for browsers: nothing it imports statically may pull in `node:*`.
import { describe, expect, it } from "vitest";
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

describe("hub entry in a browser bundle", () => {
  it("bundles with platform=browser and contains no node: import", async () => {
    const entry = fileURLToPath(new URL("../../src/hub/index.ts", import.meta.url));
    const out = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: "browser",
      format: "esm",
      conditions: ["source"],
      external: ["@deberta-js/*"], // other packages' browser-safety is their own test
      logLevel: "silent",
    });
    const code = out.outputFiles[0].text;
    expect(code).not.toMatch(/["']node:/);
    expect(code).toContain("deberta-js-hub");
    // The Node implementation stays out of the bundle, reached only through the non-literal dynamic import.
    expect(code).not.toContain("readTokenFile");
  });
});
