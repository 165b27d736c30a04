// The browser build of @deberta-js/heads (what a bundler makes of `import { pipeline } from "@deberta-js/heads"`
// for the web) must not contain `@huggingface/hub`: browsers fetch from the hub directly (src/hub/browser.ts), and
// the library — an optional peer dependency, 12 MB installed — is imported only on the Node download path.
import { builtinModules } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ENTRY = fileURLToPath(new URL("../src/index.ts", import.meta.url));

describe("browser bundle", () => {
  it("bundles @deberta-js/heads for the browser without @huggingface/hub and without node:* modules", async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["source"],
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((p) => p.endsWith("src/hub/browser.ts")), "the browser hub client is in the bundle").toBe(true);
    expect(inputs.filter((p) => /hub\/(node-hub|hf-client)\.ts$/.test(p)), "the Node hub client stays out").toEqual([]);
    expect(inputs.filter((p) => /@huggingface[+/]hub/.test(p))).toEqual([]);
    expect(inputs.filter((p) => p.startsWith("node:") || builtinModules.includes(p))).toEqual([]);
    // Nor is it imported at run time from the bundle (a literal import() would be fetched by the browser).
    const js = result.outputFiles[0].text;
    expect(js).not.toMatch(/import\(\s*["']@huggingface\/hub["']\s*\)/);
  });
});
