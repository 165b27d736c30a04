// Download integrity (issue 13), Node cache and browser cache: a body longer than announced is cut off at the
// announced size, a short or altered body is never cached, unverified browser cache entries are not trusted, and
// no error message carries a token or a raw CR/LF. Bad revisions are typed errors, not ENAMETOOLONG.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BROWSER_CACHE_NAME, HubError, resolveBrowserModelFiles, resolveModelFiles, type HubProgress } from "../../src/hub/index.js";
import { MAX_API_RESPONSE_BYTES, scrubMessage } from "../../src/hub/common.js";
import { WeightsError } from "@deberta-js/core";
import { FakeHub, TINY_REPO, tinyDebertaFiles } from "./fake-hub.js";
import { isolatedEnv, type TestEnv } from "./env.js";

let env: TestEnv;
let hub: FakeHub;
const FILES = tinyDebertaFiles();

beforeEach(async () => {
  env = await isolatedEnv();
  hub = await new FakeHub().start();
  hub.addRepo(TINY_REPO, { files: FILES });
});
afterEach(async () => {
  await hub.stop();
  await env.restore();
});

async function rejection(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, String(e)).toBeInstanceOf(HubError);
  return e as HubError;
}

class MemCache {
  readonly entries = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  async match(req: RequestInfo | URL) {
    const e = this.entries.get(String(req));
    return e ? new Response(e.body.slice(), { headers: e.headers }) : undefined;
  }
  async delete(req: RequestInfo | URL) {
    return this.entries.delete(String(req));
  }
  async put(req: RequestInfo | URL, resp: Response) {
    const headers: [string, string][] = [];
    resp.headers.forEach((v, k) => headers.push([k, v]));
    this.entries.set(String(req), { body: new Uint8Array(await resp.arrayBuffer()), headers });
  }
}
const memStorage = () => {
  const c = new MemCache();
  return { cache: c, storage: { open: async () => c } as unknown as CacheStorage };
};
const repoDir = () => join(env.cache, "models--test-org--tiny-deberta");

describe("Node hub cache", () => {
  it("a server streaming past the announced size is stopped at that size and nothing is cached", async () => {
    const events: HubProgress[] = [];
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, onProgress: (e) => events.push(e) });
    hub.extra.set("model.safetensors", 32 * 2 ** 20);
    hub.extra.set("tokenizer.json", 1024);
    for (const name of ["model.safetensors", "tokenizer.json"]) {
      const e = await rejection(files.read(name));
      expect(e.reason).toBe("integrity");
      expect(e.message).toMatch(/sent more than the \d+ bytes the hub announced/);
    }
    for (const ev of events) expect(ev.loaded).toBeLessThanOrEqual(ev.total);
    expect(await readdir(join(repoDir(), "blobs"))).toEqual([]);
  });

  it("a token with CR/LF is refused without being quoted; a 300-character revision is a typed error", async () => {
    const secret = "hf_abcdefghijklmnopqrstuvwxyz0123\r\nX-Injected: 1";
    const e = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, token: secret }));
    expect(e.reason).toBe("unauthorized");
    expect(e.message).not.toContain("abcdefghij");
    expect(e.message).not.toMatch(/[\r\n]/);
    const r = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, revision: "r".repeat(300) }));
    expect(r.reason).toBe("revision-not-found");
    expect(r.message).toMatch(/too long/);
    const c = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, revision: "main\r\nx" }));
    expect(c.message).not.toMatch(/[\r\n]/);
  });

  it("a hub API response that never ends (or announces gigabytes) is cut off at MAX_API_RESPONSE_BYTES, Node and browser", async () => {
    const endless = (announce: boolean): typeof fetch =>
      (async (input: RequestInfo | URL, init?: RequestInit) => {
        const url = String(input instanceof Request ? input.url : input);
        if (!new URL(url).pathname.startsWith("/api/")) return fetch(input, init);
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          pull(ctl) {
            sent += 1 << 20;
            ctl.enqueue(new Uint8Array(1 << 20).fill(0x20)); // JSON whitespace, forever
            if (sent > 4 * MAX_API_RESPONSE_BYTES) ctl.close(); // the test's own safety stop
          },
        });
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (announce) headers["content-length"] = String(2 ** 40);
        return new Response(body, { status: 200, headers });
      }) as typeof fetch;
    for (const announce of [false, true]) {
      const node = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, fetch: endless(announce) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(node, String(node)).toBeInstanceOf(WeightsError);
      expect(String((node as Error).message)).toMatch(/API response is larger than \d+ bytes/);
      const browser = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: null, fetch: endless(announce) }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(browser, String(browser)).toBeInstanceOf(WeightsError);
      expect(String((browser as Error).message)).toMatch(/API response is larger than \d+ bytes/);
    }
  });

  it("scrubMessage removes tokens, bearer values, URL credentials and control characters", () => {
    const s = scrubMessage('fetch failed: "Bearer hf_abcdefghijklmnopqrstuvwxyz0123\r\nX: y" for https://user:pw@host/x\u001b[31m');
    expect(s).not.toMatch(/abcdefghij|user:pw|[\r\n\u001b]/);
    expect(s).toContain("Bearer ***");
    expect(s).toContain("//***@host");
  });
});

describe("browser hub cache", () => {
  it("checks the announced size and sha256 before caching: altered, short and oversized bodies are not cached", async () => {
    const { cache, storage } = memStorage();
    const files = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: storage });
    const cached = (n: string) => [...cache.entries.keys()].some((k) => k.endsWith(n));
    hub.corrupt.add("model.safetensors");
    expect((await rejection(files.read("model.safetensors"))).reason).toBe("integrity");
    hub.corrupt.clear();
    hub.short.add("model.safetensors");
    expect((await rejection(files.read("model.safetensors"))).message).toMatch(/ended after \d+ of \d+ bytes/);
    hub.short.clear();
    hub.extra.set("tokenizer.json", 4096);
    expect((await rejection(files.read("tokenizer.json"))).message).toMatch(/sent more than/);
    hub.extra.clear();
    expect(cached("model.safetensors") || cached("tokenizer.json")).toBe(false);
    expect(Buffer.from(await files.read("model.safetensors")).equals(Buffer.from(FILES["model.safetensors"]))).toBe(true);
    expect(cached("model.safetensors")).toBe(true);
  });

  it("a cache entry that was not verified (truncated, or from an older version) is fetched again", async () => {
    const { cache, storage } = memStorage();
    const files = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: storage });
    await files.read("config.json");
    const key = [...cache.entries.keys()].find((k) => k.endsWith("/config.json"))!;
    cache.entries.set(key, { body: new TextEncoder().encode("{trunc"), headers: [["content-type", "application/octet-stream"]] });
    const again = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: storage });
    expect(Buffer.from(await again.read("config.json")).equals(Buffer.from(FILES["config.json"]))).toBe(true);
    expect(BROWSER_CACHE_NAME).toBeTruthy();
  });
});
