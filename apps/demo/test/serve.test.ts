// The demo's static server sends the cross-origin isolation headers on every response (pages and assets alike), so
// the page is crossOriginIsolated and the CPU backend's WASM kernels get worker threads.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { serve } from "../scripts/serve.mjs";
import { ISOLATION_HEADERS } from "../scripts/isolation.mjs";

describe("demo server", () => {
  it("sends COOP same-origin and COEP require-corp on pages, assets and 404s", async () => {
    const dir = mkdtempSync(join(tmpdir(), "demo-serve-"));
    writeFileSync(join(dir, "index.html"), "<!doctype html>");
    writeFileSync(join(dir, "k.wasm"), new Uint8Array([0, 97, 115, 109]));
    const { url, close } = await serve({ dir, port: 0 });
    try {
      for (const path of ["", "k.wasm", "missing.js"]) {
        const r = await fetch(url + path);
        expect(r.headers.get("cross-origin-opener-policy")).toBe("same-origin");
        expect(r.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
      }
      expect(ISOLATION_HEADERS["cross-origin-embedder-policy"]).toBe("require-corp");
    } finally {
      await close();
    }
  });
});
