// The browser path: fetch + Cache Storage, checked with a fake `caches` object against the fake hub.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BROWSER_CACHE_NAME, HubError, resolveBrowserModelFiles, type HubProgress } from "../../src/hub/index.js";
import { FakeHub, TINY_COMMIT, TINY_REPO, tinyDebertaFiles } from "./fake-hub.js";
import { isolatedEnv, type TestEnv } from "./env.js";

/** Cache Storage in memory, with the semantics we rely on: match by URL, put stores a full response. */
class FakeCache {
  readonly entries = new Map<string, { body: Uint8Array; headers: [string, string][] }>();
  async match(req: RequestInfo | URL): Promise<Response | undefined> {
    const e = this.entries.get(String(req instanceof Request ? req.url : req));
    return e ? new Response(e.body.slice(), { headers: e.headers }) : undefined;
  }
  async delete(req: RequestInfo | URL): Promise<boolean> {
    return this.entries.delete(String(req instanceof Request ? req.url : req));
  }
  async put(req: RequestInfo | URL, resp: Response): Promise<void> {
    const headers: [string, string][] = [];
    resp.headers.forEach((v, k) => headers.push([k, v]));
    this.entries.set(String(req instanceof Request ? req.url : req), { body: new Uint8Array(await resp.arrayBuffer()), headers });
  }
}

class FakeCacheStorage {
  readonly opened: string[] = [];
  readonly stores = new Map<string, FakeCache>();
  async open(name: string): Promise<FakeCache> {
    this.opened.push(name);
    let c = this.stores.get(name);
    if (!c) this.stores.set(name, (c = new FakeCache()));
    return c;
  }
}

let env: TestEnv;
let hub: FakeHub;
let storage: FakeCacheStorage;
const FILES = tinyDebertaFiles();
const caches = () => storage as unknown as CacheStorage;

beforeEach(async () => {
  env = await isolatedEnv();
  hub = await new FakeHub().start();
  hub.addRepo(TINY_REPO, { files: FILES });
  storage = new FakeCacheStorage();
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
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

describe("browser hub cache (Cache Storage)", () => {
  it("downloads into the cache, and a second load is served from it with no request", async () => {
    const events: HubProgress[] = [];
    const files = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: caches(), onProgress: (e) => events.push(e) });
    expect(files.commit).toBe(TINY_COMMIT);
    expect(files.location).toBe(`${hub.hubUrl}/${TINY_REPO}/resolve/${TINY_COMMIT}`);
    expect(await files.list()).toEqual(Object.keys(FILES).sort());
    expect(await files.has("model.safetensors")).toBe(true);
    expect(await files.has("tf_model.h5")).toBe(false);
    expect(Buffer.from(await files.read("config.json")).equals(Buffer.from(FILES["config.json"]))).toBe(true);
    expect(await files.size!("model.safetensors")).toBe(FILES["model.safetensors"].byteLength);
    expect(Buffer.from(await files.readRange!("model.safetensors", 8, 64)).equals(Buffer.from(FILES["model.safetensors"].subarray(8, 64)))).toBe(true);
    expect(hub.count({ server: "cdn", method: "GET" })).toBe(1); // one download for size + readRange
    expect(storage.opened).toEqual([BROWSER_CACHE_NAME]);
    const cache = storage.stores.get(BROWSER_CACHE_NAME)!;
    expect([...cache.entries.keys()].sort()).toEqual(
      [
        `${hub.hubUrl}/api/models/${TINY_REPO}/revision/main`,
        `${hub.hubUrl}/${TINY_REPO}/resolve/${TINY_COMMIT}/config.json`,
        `${hub.hubUrl}/${TINY_REPO}/resolve/${TINY_COMMIT}/model.safetensors`,
      ].sort(),
    );
    const last = events.filter((e) => e.file === "model.safetensors").at(-1);
    expect(last).toEqual({ file: "model.safetensors", loaded: FILES["model.safetensors"].byteLength, total: FILES["model.safetensors"].byteLength, phase: "download" });

    hub.requests.length = 0;
    const again: HubProgress[] = [];
    const second = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: caches(), onProgress: (e) => again.push(e) });
    expect(await second.list()).toEqual(Object.keys(FILES).sort());
    expect(Buffer.from(await second.read("model.safetensors")).equals(Buffer.from(FILES["model.safetensors"]))).toBe(true);
    expect(Buffer.from(await second.read("config.json")).equals(Buffer.from(FILES["config.json"]))).toBe(true);
    expect(hub.requests).toEqual([]);
    expect(again.map((e) => e.phase)).toEqual(["cached", "cached"]);
  });

  it("an interrupted download is not cached and a retry succeeds", async () => {
    const files = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: caches() });
    hub.interrupt.add("model.safetensors");
    const e = await rejection(files.read("model.safetensors"));
    expect(e.reason).toBe("download-failed");
    expect(e.message).toContain('"model.safetensors"');
    const cache = storage.stores.get(BROWSER_CACHE_NAME)!;
    expect([...cache.entries.keys()].some((k) => k.endsWith("model.safetensors"))).toBe(false);
    expect(Buffer.from(await files.read("model.safetensors")).equals(Buffer.from(FILES["model.safetensors"]))).toBe(true);
    expect([...cache.entries.keys()].some((k) => k.endsWith("model.safetensors"))).toBe(true);
  });

  it("typed errors: missing repo, missing file, offline without a cache entry, 401 mentioning HF_TOKEN", async () => {
    const r = await rejection(resolveBrowserModelFiles("test-org/missing", { endpoint: hub.hubUrl, caches: caches() }));
    expect(r.reason).toBe("repo-not-found");
    expect(r.message).toContain("test-org/missing");
    const files = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: caches() });
    const f = await rejection(files.read("nope.json"));
    expect(f.reason).toBe("file-not-found");
    expect(f.message).toContain('"nope.json" of "test-org/tiny-deberta" (revision "main")');
    const off = await rejection(resolveBrowserModelFiles("test-org/other", { endpoint: hub.hubUrl, caches: caches(), localFilesOnly: true }));
    expect(off.reason).toBe("offline");
    hub.requiredToken = "hf_x";
    const u = await rejection(resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: null }));
    expect(u.reason).toBe("unauthorized");
    expect(u.message).toContain("HF_TOKEN");
  });

  it("works without Cache Storage, sending the token to the hub only", async () => {
    hub.requiredToken = "hf_x";
    const files = await resolveBrowserModelFiles(TINY_REPO, { endpoint: hub.hubUrl, caches: null, token: "hf_x" });
    expect(Buffer.from(await files.read("spm.model")).equals(Buffer.from(FILES["spm.model"]))).toBe(true);
    expect(Buffer.from(await files.readRange!("spm.model", 4, 20)).equals(Buffer.from(FILES["spm.model"].subarray(4, 20)))).toBe(true);
    expect(hub.count({ server: "cdn", method: "GET" })).toBe(1);
    expect(hub.requests.filter((q) => q.server === "hub").every((q) => q.authorization === "Bearer hf_x")).toBe(true);
    expect(hub.requests.filter((q) => q.server === "cdn").every((q) => q.authorization === undefined)).toBe(true);
  });
});
