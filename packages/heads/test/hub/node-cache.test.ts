// resolveModelFiles in Node against a fake hub on 127.0.0.1: Python's cache layout, no network on the second
// call, offline use of a hand-made Python cache, HF_ENDPOINT/HF_TOKEN, typed 404s, interrupted downloads.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lstat, mkdir, readFile, readdir, readlink, realpath, symlink, utimes, writeFile } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WeightsError, loadStateDict, memoryFiles } from "@deberta-js/core";
import { HubError, cachePaths, resolveModelFiles, type HubModelFiles, type HubProgress } from "../../src/hub/index.js";
import { FakeHub, TINY_COMMIT, TINY_REPO, tinyDebertaFiles } from "./fake-hub.js";
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

const repoDir = () => join(env.cache, "models--test-org--tiny-deberta");
const snap = (f = "") => join(repoDir(), "snapshots", TINY_COMMIT, f);

async function rejection(p: Promise<unknown>): Promise<HubError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(HubError);
  return e as HubError;
}

const READ = ["config.json", "model.safetensors", "tokenizer.json", "spm.model", "tokenizer_config.json", "special_tokens_map.json"];

describe("hub download into Python's cache layout", () => {
  it("fills blobs/, snapshots/ (relative symlinks) and refs/ with identical bytes, downloading only what is read", async () => {
    const events: HubProgress[] = [];
    const files = (await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, onProgress: (e) => events.push(e) })) as HubModelFiles;
    expect(files.location).toBe(snap().replace(/\/$/, ""));
    expect(files.commit).toBe(TINY_COMMIT);
    expect(files.revision).toBe("main");
    expect(await files.list()).toEqual(Object.keys(FILES).sort());
    expect(await files.has("model.safetensors")).toBe(true);
    expect(await files.has("tf_model.h5")).toBe(false);
    for (const f of READ) expect(Buffer.from(await files.read(f)).equals(Buffer.from(FILES[f]))).toBe(true);
    expect(await files.size!("model.safetensors")).toBe(FILES["model.safetensors"].byteLength);
    const range = await files.readRange!("model.safetensors", 8, 40);
    expect(Buffer.from(range).equals(Buffer.from(FILES["model.safetensors"].subarray(8, 40)))).toBe(true);

    // refs/main holds the commit, without a newline (Python reads it verbatim).
    expect(await readFile(join(repoDir(), "refs", "main"), "utf8")).toBe(TINY_COMMIT);
    for (const f of READ) {
      const etag = hub.file(TINY_REPO, f).etag;
      const link = snap(f);
      expect((await lstat(link)).isSymbolicLink()).toBe(true);
      const target = await readlink(link);
      expect(isAbsolute(target)).toBe(false);
      expect(target).toBe(join("..", "..", "blobs", etag));
      expect(await realpath(link)).toBe(await realpath(join(repoDir(), "blobs", etag)));
      expect(Buffer.from(await readFile(join(repoDir(), "blobs", etag))).equals(Buffer.from(FILES[f]))).toBe(true);
    }
    // Only the files read were downloaded, and nothing temporary is left anywhere.
    expect((await readdir(join(repoDir(), "blobs"))).sort()).toEqual(READ.map((f) => hub.file(TINY_REPO, f).etag).sort());
    expect((await readdir(snap())).sort()).toEqual([...READ].sort());
    expect(hub.requests.some((r) => r.path.includes("pytorch_model.bin") || r.path.includes("fp16"))).toBe(false);
    // LFS files came from the CDN (another origin), the others through the hub's relative resolve-cache redirect.
    expect(hub.count({ server: "cdn", method: "GET" })).toBe(2); // model.safetensors, spm.model
    expect(hub.requests.filter((r) => r.path.startsWith("/api/resolve-cache/")).length).toBeGreaterThan(0);

    const st = events.filter((e) => e.file === "model.safetensors");
    expect(st[0]).toEqual({ file: "model.safetensors", loaded: 0, total: FILES["model.safetensors"].byteLength, phase: "download" });
    expect(st.at(-1)).toEqual({ file: "model.safetensors", loaded: FILES["model.safetensors"].byteLength, total: FILES["model.safetensors"].byteLength, phase: "download" });
    expect(st.every((e, i) => i === 0 || e.loaded >= st[i - 1].loaded)).toBe(true);
    // The .no_exist marker Python uses for files a commit lacks.
    expect((await lstat(join(repoDir(), ".no_exist", TINY_COMMIT, "tf_model.h5"))).isFile()).toBe(true);
  });

  it("a second call makes no network request (even with the server gone)", async () => {
    const first = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    for (const f of READ) await first.read(f);
    await first.has("tf_model.h5");
    hub.requests.length = 0;

    const events: HubProgress[] = [];
    const again = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, onProgress: (e) => events.push(e) });
    expect(await again.list()).toEqual(Object.keys(FILES).sort());
    expect(await again.has("config.json")).toBe(true);
    expect(await again.has("tf_model.h5")).toBe(false);
    for (const f of READ) expect(Buffer.from(await again.read(f)).equals(Buffer.from(FILES[f]))).toBe(true);
    expect(hub.requests).toEqual([]);
    expect(events.every((e) => e.phase === "cached")).toBe(true);
    expect(events.find((e) => e.file === "model.safetensors")).toEqual({
      file: "model.safetensors",
      loaded: FILES["model.safetensors"].byteLength,
      total: FILES["model.safetensors"].byteLength,
      phase: "cached",
    });

    await hub.stop();
    const third = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    expect(JSON.parse(new TextDecoder().decode(await third.read("config.json")))).toEqual(JSON.parse(new TextDecoder().decode(FILES["config.json"])));
    hub = await new FakeHub().start(); // for afterEach
  });

  it("feeds core's loadStateDict, which downloads only the weight file it picks", async () => {
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    const loaded = await loadStateDict(files);
    expect(loaded.files).toEqual(["model.safetensors"]);
    const fp16 = await loadStateDict(files, { variant: "fp16" });
    expect(fp16.files).toEqual(["model.fp16.safetensors"]);
    expect(hub.requests.some((r) => r.path.includes("pytorch_model.bin"))).toBe(false);
    expect(await files.has("pytorch_model.bin")).toBe(true);
  });

  it("downloads a file once when it is read concurrently", async () => {
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    const [a, b, c] = await Promise.all([files.read("model.safetensors"), files.read("model.safetensors"), files.readRange!("model.safetensors", 0, 8)]);
    expect(a.byteLength).toBe(FILES["model.safetensors"].byteLength);
    expect(b.byteLength).toBe(a.byteLength);
    expect(c.byteLength).toBe(8);
    expect(hub.count({ server: "cdn", method: "GET" })).toBe(1);
  });

  it("pins a commit sha revision without writing a ref, and reuses it offline-free", async () => {
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, revision: TINY_COMMIT });
    await files.read("config.json");
    await expect(lstat(join(repoDir(), "refs", TINY_COMMIT))).rejects.toThrow();
    hub.requests.length = 0;
    const again = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, revision: TINY_COMMIT });
    await again.read("config.json");
    expect(await again.list()).toEqual(Object.keys(FILES).sort());
    expect(hub.requests).toEqual([]);
  });
});

/** A cache laid out by hand exactly as Python's huggingface_hub writes it (config + weights only). */
async function pythonCache(names = ["config.json", "model.safetensors"]): Promise<void> {
  await mkdir(join(repoDir(), "blobs"), { recursive: true });
  await mkdir(snap(), { recursive: true });
  await mkdir(join(repoDir(), "refs"), { recursive: true });
  await writeFile(join(repoDir(), "refs", "main"), TINY_COMMIT);
  for (const f of names) {
    const etag = hub.file(TINY_REPO, f).etag;
    await writeFile(join(repoDir(), "blobs", etag), FILES[f]);
    await symlink(join("..", "..", "blobs", etag), snap(f));
  }
}

describe("a cache Python already filled", () => {
  it("is reused offline (HF_HUB_OFFLINE=1) with no server at all", async () => {
    await pythonCache();
    process.env.HF_HUB_OFFLINE = "1";
    const files = await resolveModelFiles(TINY_REPO, { endpoint: "http://127.0.0.1:9" });
    expect(await files.list()).toEqual(["config.json", "model.safetensors"]);
    expect(await files.has("model.safetensors")).toBe(true);
    expect(await files.has("pytorch_model.bin")).toBe(false);
    expect(Buffer.from(await files.read("model.safetensors")).equals(Buffer.from(FILES["model.safetensors"]))).toBe(true);
    expect((await loadStateDict(files)).files).toEqual(["model.safetensors"]);
    const e = await rejection(files.read("tokenizer.json"));
    expect(e.reason).toBe("offline");
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.message).toContain("tokenizer.json");
    expect(e.message).toContain(TINY_REPO);
    expect(e.message).toContain("HF_HUB_OFFLINE");
    expect(hub.requests).toEqual([]);
  });

  it("is reused with localFilesOnly, and online without any request for what it holds", async () => {
    await pythonCache();
    const offline = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, localFilesOnly: true });
    expect(Buffer.from(await offline.read("config.json")).equals(Buffer.from(FILES["config.json"]))).toBe(true);
    const online = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    expect(Buffer.from(await online.read("model.safetensors")).equals(Buffer.from(FILES["model.safetensors"]))).toBe(true);
    expect(await online.has("config.json")).toBe(true);
    expect(hub.requests).toEqual([]);
    // A file Python did not fetch is downloaded into the same snapshot.
    expect(Buffer.from(await online.read("spm.model")).equals(Buffer.from(FILES["spm.model"]))).toBe(true);
    expect(await readlink(snap("spm.model"))).toBe(join("..", "..", "blobs", hub.file(TINY_REPO, "spm.model").etag));
  });

  it("an empty cache with localFilesOnly or HF_HUB_OFFLINE is a typed error", async () => {
    const e = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, localFilesOnly: true }));
    expect(e.reason).toBe("offline");
    expect(e.message).toContain(TINY_REPO);
    expect(e.message).toContain("localFilesOnly");
    process.env.HF_HUB_OFFLINE = "true";
    const e2 = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl }));
    expect(e2.message).toContain("HF_HUB_OFFLINE");
    expect(hub.requests).toEqual([]);
  });
});

describe("environment", () => {
  it("honours HF_ENDPOINT, HF_HUB_CACHE and HF_TOKEN, and never sends the token to the CDN", async () => {
    hub.requiredToken = "hf_secret";
    process.env.HF_ENDPOINT = hub.hubUrl + "/";
    const e = await rejection(resolveModelFiles(TINY_REPO));
    expect(e.reason).toBe("unauthorized");
    expect(e.status).toBe(401);
    expect(e.message).toContain("HF_TOKEN");
    expect(e.message).toContain(TINY_REPO);
    expect(hub.requests.length).toBe(1); // HF_ENDPOINT was used

    process.env.HF_TOKEN = "hf_secret";
    hub.requests.length = 0;
    const files = await resolveModelFiles(TINY_REPO);
    await files.read("config.json");
    await files.read("model.safetensors");
    expect(files.location.startsWith(env.cache)).toBe(true);
    const hubReqs = hub.requests.filter((r) => r.server === "hub");
    expect(hubReqs.length).toBeGreaterThan(2);
    expect(hubReqs.every((r) => r.authorization === "Bearer hf_secret")).toBe(true);
    const cdnReqs = hub.requests.filter((r) => r.server === "cdn");
    expect(cdnReqs.length).toBe(1);
    expect(cdnReqs[0].authorization).toBeUndefined();
  });

  it("a wrong token: the error says a token was sent; the token option and the token file work", async () => {
    hub.requiredToken = "hf_right";
    const e = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, token: "hf_wrong" }));
    expect(e.reason).toBe("unauthorized");
    expect(e.message).toMatch(/token .*was sent/);
    await mkdir(env.home, { recursive: true });
    await writeFile(join(env.home, "token"), "hf_right\n");
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    expect((await files.read("config.json")).byteLength).toBe(FILES["config.json"].byteLength);
  });

  it("cachePaths follows HF_HUB_CACHE, then HF_HOME/hub", () => {
    const p = cachePaths(TINY_REPO, { revision: "main" });
    expect(p.repoDir).toBe(repoDir());
    expect(p.refFile).toBe(join(repoDir(), "refs", "main"));
    delete process.env.HF_HUB_CACHE;
    expect(cachePaths(TINY_REPO).cacheDir).toBe(join(env.home, "hub"));
    expect(cachePaths(TINY_REPO, { revision: TINY_COMMIT }).snapshotDir).toBe(join(env.home, "hub", "models--test-org--tiny-deberta", "snapshots", TINY_COMMIT));
  });
});

describe("errors", () => {
  it("404 for the repo, the revision and a file name them; nothing is cached", async () => {
    const e = await rejection(resolveModelFiles("test-org/missing", { endpoint: hub.hubUrl }));
    expect(e.reason).toBe("repo-not-found");
    expect(e).toBeInstanceOf(WeightsError);
    expect(e.code).toBe("FILE_NOT_FOUND");
    expect(e.repo).toBe("test-org/missing");
    expect(e.message).toContain('"test-org/missing"');
    expect(e.message).toContain('"main"');

    const r = await rejection(resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl, revision: "v9" }));
    expect(r.reason).toBe("revision-not-found");
    expect(r.message).toContain('"v9"');
    expect(r.message).toContain(TINY_REPO);

    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    hub.requests.length = 0;
    const f = await rejection(files.read("nope.bin"));
    expect(f.reason).toBe("file-not-found");
    expect(f.file).toBe("nope.bin");
    expect(f.message).toContain('"nope.bin"');
    expect(f.message).toContain(TINY_REPO);
    expect(f.message).toContain('"main"');
    expect(hub.requests).toEqual([]); // the listing already said so

    hub.hidden.add("tokenizer.json"); // listed, but the server answers 404
    const g = await rejection(files.read("tokenizer.json"));
    expect(g.reason).toBe("file-not-found");
    expect(g.status).toBe(404);
    expect(g.message).toContain('"tokenizer.json" of "test-org/tiny-deberta" (revision "main")');
    expect(await readdir(join(repoDir(), "blobs")).catch(() => [])).toEqual([]);
  });

  it("an interrupted download throws, leaves no partial file in blobs/ or snapshots/, and a retry succeeds", async () => {
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    hub.interrupt.add("model.safetensors");
    hub.interrupt.add("tokenizer.json"); // a non-LFS file, through the resolve-cache redirect
    for (const name of ["model.safetensors", "tokenizer.json"]) {
      const e = await rejection(files.read(name));
      expect(e.reason).toBe("download-failed");
      expect(e.message).toContain(`"${name}"`);
      expect(e.message).toMatch(/interrupted after \d+ of \d+ bytes/);
    }
    expect(await readdir(join(repoDir(), "blobs"))).toEqual([]);
    expect(await readdir(snap())).toEqual([]);
    for (const name of ["model.safetensors", "tokenizer.json"]) {
      expect(Buffer.from(await files.read(name)).equals(Buffer.from(FILES[name]))).toBe(true);
    }
    expect((await readdir(join(repoDir(), "blobs"))).sort()).toEqual([hub.file(TINY_REPO, "model.safetensors").etag, hub.file(TINY_REPO, "tokenizer.json").etag].sort());
  });

  it("a temporary download left by a killed process a day ago is removed; a fresh one is left alone", async () => {
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    const blobs = join(repoDir(), "blobs");
    await mkdir(blobs, { recursive: true });
    const old = join(blobs, `${hub.file(TINY_REPO, "spm.model").etag}.4242-0123456789ab.incomplete`);
    const fresh = join(blobs, `${hub.file(TINY_REPO, "spm.model").etag}.4243-0123456789ab.incomplete`);
    await writeFile(old, "partial");
    await writeFile(fresh, "partial");
    const dayAgo = new Date(Date.now() - 25 * 3600 * 1000);
    await utimes(old, dayAgo, dayAgo);
    await files.read("model.safetensors");
    expect((await readdir(blobs)).sort()).toEqual([hub.file(TINY_REPO, "model.safetensors").etag, fresh.slice(blobs.length + 1)].sort());
  });

  it("bytes that do not match the announced sha256 are rejected and not cached", async () => {
    const files = await resolveModelFiles(TINY_REPO, { endpoint: hub.hubUrl });
    hub.corrupt.add("model.safetensors");
    const e = await rejection(files.read("model.safetensors"));
    expect(e.reason).toBe("integrity");
    expect(e.code).toBe("WEIGHTS_INVALID");
    expect(await readdir(join(repoDir(), "blobs"))).toEqual([]);
    hub.corrupt.clear();
    expect((await files.read("model.safetensors")).byteLength).toBe(FILES["model.safetensors"].byteLength);
  });

  it("a refused connection is a network error that suggests offline mode; a cached revision still loads", async () => {
    const e = await rejection(resolveModelFiles(TINY_REPO, { endpoint: "http://127.0.0.1:9" }));
    expect(e.reason).toBe("network");
    expect(e.message).toContain("HF_HUB_OFFLINE");
    expect(e.message).toContain("127.0.0.1:9");
    // Python's cache without our file list, hub unreachable, not in offline mode: what is cached still works,
    // has()/list() fall back to the cache (as Python does), and reading an uncached file is a network error.
    await pythonCache();
    const files = await resolveModelFiles(TINY_REPO, { endpoint: "http://127.0.0.1:9" });
    expect(await files.has("model.safetensors")).toBe(true);
    expect(await files.has("tokenizer.json")).toBe(false);
    expect(await files.list()).toEqual(["config.json", "model.safetensors"]);
    expect((await loadStateDict(files)).files).toEqual(["model.safetensors"]);
    const n = await rejection(files.read("tokenizer.json"));
    expect(n.reason).toBe("network");
    expect(n.message).toContain('"tokenizer.json"');
  });
});

describe("local folders and ModelFiles", () => {
  it("an existing folder is read in place; a ModelFiles is returned as is; bad ids are typed errors", async () => {
    const dir = fileURLToPath(new URL("../../../../fixtures/models/tiny-v3", import.meta.url));
    const files = await resolveModelFiles(dir);
    expect(files.location).toBe(dir);
    expect(await files.has("config.json")).toBe(true);
    const mem = memoryFiles({ "config.json": new Uint8Array([123, 125]) });
    expect(await resolveModelFiles(mem)).toBe(mem);
    const e = await rejection(resolveModelFiles("./no/such/folder"));
    expect(e.reason).toBe("invalid-id");
    expect(e.message).toContain("does not exist");
    const bad = await rejection(resolveModelFiles("org/name with spaces"));
    expect(bad.reason).toBe("invalid-id");
    expect(bad.message).toContain("nor a valid hub repo id");
    expect(hub.requests).toEqual([]);
  });
});
