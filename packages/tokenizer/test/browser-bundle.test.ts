// The main entry bundles for the browser (esbuild, platform "browser") with no Node built-in, and the bundle runs
// in a bare VM context (no process, require, Buffer, fs) to tokenize with files held in memory.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { fastTokenizer, modelFiles, slowTokenizer } from "./helpers.js";

const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url));

describe("browser bundle", () => {
  it("bundles src/index.ts for the browser without Node built-ins and tokenizes in a bare context", async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "DebertaTokenizer",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile!.inputs);
    expect(inputs.filter((i) => i.startsWith("node:") || /(^|\/)node_modules\/(fs|path|os|crypto)\//.test(i))).toEqual([]);
    expect(inputs.some((i) => i.includes("src/node/"))).toBe(false);
    expect(inputs.some((i) => i.includes("sentencepiece-js"))).toBe(false);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/require\(["'](node:)?(fs|path|os|child_process)["']\)/);

    // A context with only what browsers provide (and no Node globals).
    const files = modelFiles("spm-v3-like");
    const context = vm.createContext({
      TextDecoder,
      TextEncoder,
      console,
      tokenizerJson: new TextDecoder().decode(files["tokenizer.json"]),
      configJson: new TextDecoder().decode(files["tokenizer_config.json"]),
      spmBase64: Buffer.from(files["spm.model"]!).toString("base64"),
    });
    expect(vm.runInContext("typeof process + typeof require + typeof Buffer", context)).toBe("undefinedundefinedundefined");
    vm.runInContext(code, context);
    const out = await vm.runInContext(
      `(async () => {
        const D = DebertaTokenizer;
        const bin = atobBytes(spmBase64);
        const fast = await D.loadTokenizer({ "tokenizer.json": tokenizerJson, "tokenizer_config.json": configJson });
        const slow = await D.loadSlowTokenizer({ "spm.model": bin, "tokenizer_config.json": configJson });
        const r = fast("Paris is the [MASK] of France 🦾.", { returnOffsetsMapping: true });
        return JSON.stringify({ ids: r.input_ids, offsets: r.offset_mapping, tokens: r.tokens(), slow: slow.encode("Paris is the [MASK] of France 🦾.") });
        function atobBytes(b64) {
          const t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
          const clean = b64.replace(/=+$/, "");
          const out = new Uint8Array(Math.floor(clean.length * 3 / 4));
          let acc = 0, bits = 0, o = 0;
          for (const ch of clean) { acc = (acc << 6) | t.indexOf(ch); bits += 6; if (bits >= 8) { bits -= 8; out[o++] = (acc >> bits) & 255; } }
          return out;
        }
      })()`,
      context,
    );
    const got = JSON.parse(out as string);
    const tok = await fastTokenizer("spm-v3-like");
    const expected = tok("Paris is the [MASK] of France 🦾.", { returnOffsetsMapping: true });
    expect(got.ids).toEqual(expected.input_ids);
    expect(got.offsets).toEqual(expected.offset_mapping);
    expect(got.tokens).toEqual(expected.tokens());
    expect(got.slow).toEqual((await slowTokenizer("spm-v3-like")).encode("Paris is the [MASK] of France 🦾."));
    expect(readFileSync(entry, "utf8")).not.toMatch(/from "node:/);
  });
});
