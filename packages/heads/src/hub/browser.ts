/**
 * Browsers: a hub model as `ModelFiles`, downloaded with `fetch` and kept in the Cache Storage API
 * (`caches.open("deberta-js-hub")`), so the second load of a page needs no network. A file is put in the cache only
 * once all of its bytes arrived, so an interrupted download never leaves a partial entry. Keys are the hub URLs:
 * the repo info at the revision asked for, and every file at the resolved commit.
 *
 * Without Cache Storage (insecure context, old runtime) files are downloaded and kept in memory for the life of the
 * returned object.
 *
 * Requests use `fetch` directly, not `@huggingface/hub` as in Node: the library's browser build is reachable only
 * through its `package.json` `browser` field, which esbuild ignores next to an `exports` map, so importing it here
 * would make esbuild bundle its Node build (fs, os, path) and fail. See README.md.
 */
import {
  DEFAULT_REVISION,
  HubError,
  authHeaders,
  describe,
  envToken,
  fetchRepoInfo,
  httpError,
  hubFileUrl,
  invalidFileNameReason,
  invalidRepoIdReason,
  invalidRevisionReason,
  checkToken,
  isOffline,
  networkError,
  parseRepoInfo,
  plainFetch,
  repoInfoUrl,
  resolveEndpoint,
  type HubContext,
  type HubModelFiles,
  type HubOptions,
  type RepoInfo,
} from "./common.js";

export const BROWSER_CACHE_NAME = "deberta-js-hub";

export interface BrowserHubOptions extends HubOptions {
  /** The Cache Storage to use (default `globalThis.caches`); `null` turns caching off. */
  caches?: CacheStorage | null;
}

async function openCache(opts: BrowserHubOptions): Promise<Cache | undefined> {
  const storage = opts.caches === undefined ? (globalThis as { caches?: CacheStorage }).caches : opts.caches;
  if (!storage) return undefined;
  try {
    return await storage.open(BROWSER_CACHE_NAME);
  } catch {
    return undefined; // e.g. SecurityError outside a secure context
  }
}

async function cachePut(cache: Cache | undefined, url: string, resp: Response): Promise<boolean> {
  if (!cache) return false;
  try {
    await cache.put(url, resp);
    return true;
  } catch (e) {
    console.warn(`deberta-js: could not cache ${url}: ${(e as Error).message}`);
    return false;
  }
}

/** Header on cache entries we wrote after checking size (and sha256): entries without it are not trusted. */
const VERIFIED_SIZE = "x-deberta-verified-size";

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A file's size and (LFS) sha256 from the hub's paths-info API — the same answer `pathsInfo` gives the Node cache;
 * a direct request here because `@huggingface/hub` does not bundle for browsers.
 */
async function fileMeta(ctx: HubContext, name: string, commit: string): Promise<{ size: number; lfs: boolean; etag: string }> {
  const url = `${ctx.endpoint}/api/models/${ctx.repo}/paths-info/${commit}`;
  const where = { repo: ctx.repo, revision: ctx.revision, file: name };
  let resp: Response;
  try {
    resp = await ctx.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...authHeaders(ctx, url) },
      body: JSON.stringify({ paths: [name], expand: false }),
    });
  } catch (e) {
    throw networkError(ctx, name, e);
  }
  if (!resp.ok) {
    await resp.body?.cancel().catch(() => {});
    throw httpError(resp, { ...where, endpoint: ctx.endpoint, hasToken: !!ctx.token });
  }
  let entries: unknown;
  try {
    entries = await resp.json();
  } catch (e) {
    throw new HubError("download-failed", `the hub's paths-info answer for ${describe(ctx.repo, ctx.revision, name)} is not JSON`, where, { cause: e });
  }
  const entry = Array.isArray(entries) ? (entries as Array<Record<string, unknown>>).find((x) => x && x.path === name) : undefined;
  const lfs = entry?.lfs as { oid?: unknown; size?: unknown } | undefined;
  const size = lfs ? lfs.size : entry?.size;
  if (!entry || entry.type !== "file" || typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new HubError("file-not-found", `${describe(ctx.repo, ctx.revision, name)}: the hub's paths-info has no file entry with a size for it`, where);
  }
  return { size, lfs: !!lfs, etag: String(lfs ? lfs.oid : entry.oid) };
}

/** A hub model repo, downloaded with `fetch` and cached in Cache Storage. */
export async function resolveBrowserModelFiles(repo: string, opts: BrowserHubOptions = {}): Promise<HubModelFiles> {
  const revision = opts.revision ?? DEFAULT_REVISION;
  const badId = invalidRepoIdReason(repo);
  if (badId !== undefined) throw new HubError("invalid-id", `"${repo}" is not a valid hub repo id: it ${badId}`, { repo, revision });
  const badRev = invalidRevisionReason(revision);
  if (badRev !== undefined) throw new HubError("revision-not-found", `revision ${JSON.stringify(revision)} of "${repo}" ${badRev}`, { repo, revision });
  const ctx: HubContext = {
    repo,
    revision,
    endpoint: resolveEndpoint(opts.endpoint),
    token: envToken(opts.token),
    fetch: plainFetch(opts.fetch),
  };
  checkToken(ctx);
  const offline = isOffline(opts);
  const cache = await openCache(opts);

  const infoUrl = repoInfoUrl(repo, { revision, endpoint: ctx.endpoint });
  let info: RepoInfo | undefined;
  const hit = await cache?.match(infoUrl);
  if (hit) {
    try {
      info = parseRepoInfo(await hit.json(), { repo, revision, url: infoUrl });
    } catch {
      info = undefined; // a damaged entry: fetch again
    }
  }
  if (!info) {
    if (offline) {
      throw new HubError("offline", `${describe(repo, revision)} is not in the browser cache "${BROWSER_CACHE_NAME}", and downloads are off (localFilesOnly)`, {
        repo,
        revision,
      });
    }
    info = await fetchRepoInfo(ctx);
    const body = JSON.stringify({ sha: info.sha, siblings: info.files.map((rfilename) => ({ rfilename })) });
    await cachePut(cache, infoUrl, new Response(body, { headers: { "content-type": "application/json" } }));
  }
  return new BrowserHubFiles(ctx, info, cache, offline, opts);
}

class BrowserHubFiles implements HubModelFiles {
  readonly location: string;
  readonly repo: string;
  readonly revision: string;
  readonly commit: string;
  private readonly files: string[];
  private readonly blobs = new Map<string, Promise<Blob>>();

  constructor(
    private readonly ctx: HubContext,
    info: RepoInfo,
    private readonly cache: Cache | undefined,
    private readonly offline: boolean,
    private readonly opts: HubOptions,
  ) {
    this.repo = ctx.repo;
    this.revision = ctx.revision;
    this.commit = info.sha;
    this.files = info.files;
    this.location = `${ctx.endpoint}/${ctx.repo}/resolve/${info.sha}`;
  }

  async list(): Promise<string[]> {
    return [...this.files];
  }

  async has(name: string): Promise<boolean> {
    return this.files.includes(name);
  }

  async read(name: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.blob(name)).arrayBuffer());
  }

  async readRange(name: string, start: number, end: number): Promise<Uint8Array> {
    return new Uint8Array(await (await this.blob(name)).slice(start, end).arrayBuffer());
  }

  async size(name: string): Promise<number> {
    return (await this.blob(name)).size;
  }

  private blob(name: string): Promise<Blob> {
    let b = this.blobs.get(name);
    if (!b) {
      b = this.load(name);
      this.blobs.set(name, b);
      b.catch(() => this.blobs.delete(name));
    }
    return b;
  }

  private progress(file: string, loaded: number, total: number, phase: "download" | "cached"): void {
    this.opts.onProgress?.({ file, loaded, total, phase });
  }

  private async load(name: string): Promise<Blob> {
    const where = { repo: this.repo, revision: this.revision, file: name };
    const why = invalidFileNameReason(name);
    if (why !== undefined) throw new HubError("file-not-found", `file name ${JSON.stringify(name)} ${why}`, where);
    const url = hubFileUrl(this.repo, name, { revision: this.commit, endpoint: this.ctx.endpoint });
    const hit = await this.cache?.match(url);
    if (hit) {
      const b = await hit.blob();
      // Only entries we verified carry their size; anything else (an older version's entry, a truncated write) is
      // dropped and fetched again rather than trusted forever.
      if (hit.headers.get(VERIFIED_SIZE) === String(b.size)) {
        this.progress(name, b.size, b.size, "cached");
        return b;
      }
      await this.cache!.delete(url).catch(() => false);
    }
    if (this.offline) {
      throw new HubError("offline", `${describe(this.repo, this.revision, name)} is not in the browser cache, and downloads are off (localFilesOnly)`, where);
    }
    if (!this.files.includes(name)) {
      throw new HubError("file-not-found", `${describe(this.repo, this.revision, name)} not found: the repo (commit ${this.commit}) has no such file`, where);
    }
    // The size and (LFS) sha256 the hub announces, checked before anything is cached, as the Node cache does.
    const meta = await fileMeta(this.ctx, name, this.commit);
    let resp: Response;
    try {
      resp = await this.ctx.fetch(url, { headers: authHeaders(this.ctx, url) });
    } catch (e) {
      throw networkError(this.ctx, name, e);
    }
    if (!resp.ok || !resp.body) {
      await resp.body?.cancel().catch(() => {});
      throw httpError(resp, { ...where, endpoint: this.ctx.endpoint, hasToken: !!this.ctx.token });
    }
    const total = meta.size;
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    this.progress(name, 0, total, "download");
    const reader = resp.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (loaded + value.byteLength > total) {
          throw new HubError(
            "integrity",
            `download of ${describe(this.repo, this.revision, name)} sent more than the ${total} bytes the hub announced (stopped after ${loaded}); nothing was cached`,
            where,
          );
        }
        chunks.push(value);
        loaded += value.byteLength;
        this.progress(name, loaded, total, "download");
      }
    } catch (e) {
      reader.cancel().catch(() => {});
      if (e instanceof HubError) throw e;
      throw new HubError(
        "download-failed",
        `download of ${describe(this.repo, this.revision, name)} was interrupted after ${loaded}${total ? ` of ${total}` : ""} bytes (${(e as Error).message}); nothing was cached, try again`,
        where,
        { cause: e },
      );
    }
    // Checked against the hub's announced size (not Content-Length: behind CORS a compressed response's is the
    // compressed size), then the sha256 for LFS files; a short or altered body is never cached.
    if (loaded !== total) {
      throw new HubError(
        "download-failed",
        `download of ${describe(this.repo, this.revision, name)} ended after ${loaded} of ${total} bytes; nothing was cached, try again`,
        where,
      );
    }
    const bytes = new Uint8Array(loaded);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.byteLength;
    }
    if (meta.lfs && /^[0-9a-f]{64}$/.test(meta.etag)) {
      const got = await sha256Hex(bytes);
      if (got !== meta.etag) {
        throw new HubError(
          "integrity",
          `download of ${describe(this.repo, this.revision, name)} is corrupt: its sha256 is ${got}, the hub announced ${meta.etag}; nothing was cached`,
          where,
        );
      }
    }
    const headers = { "content-type": "application/octet-stream", "content-length": String(loaded), [VERIFIED_SIZE]: String(loaded) };
    if (await cachePut(this.cache, url, new Response(bytes, { headers }))) {
      const stored = await this.cache!.match(url);
      if (stored) return stored.blob(); // disk-backed: the bytes above can be collected
    }
    return new Blob([bytes]);
  }
}
