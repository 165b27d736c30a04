/**
 * The backend inside headless Chromium (WebGPU on SwiftShader): the browser entry and core are bundled with esbuild,
 * served from 127.0.0.1, and fixture cases run in the page through `navigator.gpu`; the outputs are compared with
 * the stored Hugging Face ones here. Skips with a message when Chromium is not installed.
 */
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { directoryFiles } from "@deberta-js/core/node";
import { compareOutputs, loadFixtureCases } from "@deberta-js/core/testing";
import { build } from "esbuild";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FIXTURES = fileURLToPath(new URL("../../../fixtures/models", import.meta.url));
const CASES: [string, string][] = [
  ["tiny-v3", "batch3_padded"],
  ["tiny-v2-conv", "batch3_padded"],
  ["tiny-v2-classic", "token_types_nonzero"],
];

const haveChromium = existsSync(CHROMIUM);
const required = process.env.DEBERTA_JS_REQUIRE_WEBGPU === "1";
if (!haveChromium) console.warn(`WebGPU browser test skipped: no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`);

(haveChromium || required ? describe : describe.skip)("WebGPU in headless Chromium", () => {
  if (!haveChromium) {
    it("needs Chromium (DEBERTA_JS_REQUIRE_WEBGPU=1)", () => {
      throw new Error(`no Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`);
    });
    return;
  }
  let server: http.Server;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("./browser/page.ts", import.meta.url))],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      conditions: ["source"],
      write: false,
      logLevel: "silent",
    });
    const js = bundle.outputFiles[0].text;
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      if (url.pathname === "/") {
        res.setHeader("content-type", "text/html");
        res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>');
      } else if (url.pathname === "/page.js") {
        res.setHeader("content-type", "text/javascript");
        res.end(js);
      } else if (url.pathname.startsWith("/fixtures/")) {
        const file = normalize(join(FIXTURES, decodeURIComponent(url.pathname.slice("/fixtures/".length))));
        if (!file.startsWith(FIXTURES) || !existsSync(file)) {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.end(readFileSync(file));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--enable-unsafe-webgpu",
        "--use-webgpu-adapter=swiftshader",
        "--use-vulkan=swiftshader",
        "--no-sandbox",
        "--headless",
        "--disable-gpu-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
    page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => (globalThis as unknown as { pageReady?: boolean }).pageReady === true, undefined, { timeout: 60_000 }).catch((e) => {
      throw new Error(`page did not start: ${errors.join("; ") || (e as Error).message}`);
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  });

  for (const [fixture, name] of CASES) {
    it(`${fixture}/${name} matches Hugging Face within 1e-4`, async () => {
      const [c] = (await loadFixtureCases(directoryFiles(FIXTURES), { fixtures: [fixture] })).filter((x) => x.name === name);
      expect(c, `${fixture}/${name} in cases.json`).toBeDefined();
      const result = await page.evaluate(
        ([f, inputs]) => (globalThis as unknown as { runCase: (f: string, i: unknown) => Promise<{ shape: number[]; data: number[]; adapter: string; features: string[]; f16: boolean }> }).runCase(f, inputs),
        [fixture, c.inputs] as const,
      );
      const cmp = compareOutputs({ last_hidden_state: result }, c.outputs);
      console.log(`chromium (${result.adapter}; shader-f16: ${result.features.includes("shader-f16")}): ${fixture}/${name} max |a−r| ${cmp.maxAbsError.toExponential(2)}`);
      expect(cmp.problems).toEqual([]);
      expect(cmp.ok).toBe(true);
    }, 120_000);
  }
});
