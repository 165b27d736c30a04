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
      this.progress(name, b.size, b.size, "cached");
      return b;
    }
    if (this.offline) {
      throw new HubError("offline", `${describe(this.repo, this.revision, name)} is not in the browser cache, and downloads are off (localFilesOnly)`, where);
    }
    if (!this.files.includes(name)) {
      throw new HubError("file-not-found", `${describe(this.repo, this.revision, name)} not found: the repo (commit ${this.commit}) has no such file`, where);
    }
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
    const len = resp.headers.get("content-length");
    const total = len !== null && Number.isSafeInteger(Number(len)) ? Number(len) : 0;
    const chunks: Uint8Array[] = [];
    let loaded = 0;
    this.progress(name, 0, total, "download");
    const reader = resp.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        loaded += value.byteLength;
        this.progress(name, loaded, total && Math.max(total, loaded), "download");
      }
    } catch (e) {
      reader.cancel().catch(() => {});
      throw new HubError(
        "download-failed",
        `download of ${describe(this.repo, this.revision, name)} was interrupted after ${loaded}${total ? ` of ${total}` : ""} bytes (${(e as Error).message}); nothing was cached, try again`,
        where,
        { cause: e },
      );
    }
    // No length check here: behind CORS a compressed response's Content-Length is the compressed size, and the
    // browser itself fails the body stream when a connection drops early.
    const bytes = new Uint8Array(loaded);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.byteLength;
    }
    const headers = { "content-type": "application/octet-stream", "content-length": String(loaded) };
    if (await cachePut(this.cache, url, new Response(bytes, { headers }))) {
      const stored = await this.cache!.match(url);
      if (stored) return stored.blob(); // disk-backed: the bytes above can be collected
    }
    return new Blob([bytes]);
  }
}
