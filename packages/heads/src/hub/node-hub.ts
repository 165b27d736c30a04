/**
 * Node: a hub model as `ModelFiles`, backed by the hub cache in Python `huggingface_hub`'s layout (see paths.ts).
 * Loaded only through a guarded dynamic `import()` from index.ts, so browser bundles never see `node:*`.
 *
 * Requests to the hub go through `@huggingface/hub` (hf-client.ts): the revision's commit and file list, each
 * file's blob name and size, and its bytes. Writing the cache is ours: files are fetched lazily (`has()` answers
 * from the repo's file list, `read()` downloads the one file asked for); bytes stream into
 * `blobs/{etag}.{pid}-{random}.incomplete`, are checked (size; sha256 for LFS files), synced and renamed onto
 * `blobs/{etag}`; the snapshot symlink is created under a temporary name and renamed into place. An interrupted
 * download therefore leaves nothing under a final name, and the temporary file is removed.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createHash, randomBytes, type Hash } from "node:crypto";
import { WeightsError, type ModelFiles } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import {
  DEFAULT_REVISION,
  HubError,
  describe,
  envToken,
  invalidFileNameReason,
  invalidRepoIdReason,
  invalidRevisionReason,
  checkToken,
  isCommitSha,
  isOffline,
  plainFetch,
  resolveEndpoint,
  type HubContext,
  type HubModelFiles,
  type HubOptions,
} from "./common.js";
import { hubDownload, hubFileMeta, hubRepoInfo, type HubFileMeta } from "./hf-client.js";
import { cachePaths, hubCacheDir, tokenFilePath, type CachePaths } from "./paths.js";

/** Where our own bookkeeping lives inside a repo folder (Python's tools ignore it). */
const OWN_DIR = ".deberta-js";

async function statOrUndefined(p: string) {
  try {
    return await fs.stat(p);
  } catch {
    return undefined;
  }
}

function looksLikePath(s: string): boolean {
  return /^(\.{1,2}([\\/]|$)|[\\/~]|[A-Za-z]:)/.test(s) || s.includes("\\") || s.split("/").length > 2;
}

function rand(): string {
  return `${process.pid}-${randomBytes(6).toString("hex")}`;
}

async function readTokenFile(): Promise<string | undefined> {
  try {
    const t = (await fs.readFile(tokenFilePath(os.homedir()), "utf8")).trim();
    return t.length > 0 ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes our own temporary downloads (`{etag}.{pid}-{hex}.incomplete`) left in `blobsDir` by a process that was
 * killed mid-download. Only files untouched for a day: one being written is touched constantly, even by another
 * machine sharing the cache.
 */
async function removeStaleDownloads(blobsDir: string): Promise<void> {
  let names: string[];
  try {
    names = await fs.readdir(blobsDir);
  } catch {
    return;
  }
  const cutoff = Date.now() - 24 * 3600 * 1000;
  for (const n of names) {
    if (!/\.\d+-[0-9a-f]{12}\.incomplete$/.test(n)) continue;
    const p = path.join(blobsDir, n);
    const st = await statOrUndefined(p);
    if (st && st.mtimeMs < cutoff) await fs.rm(p, { force: true }).catch(() => {});
  }
}

function describeCause(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  return e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message;
}

/** Writes `data` to `dest` atomically: a temporary file in `stageDir`, then a rename. */
async function writeAtomic(stageDir: string, dest: string, data: string): Promise<void> {
  await fs.mkdir(stageDir, { recursive: true });
  await fs.mkdir(path.dirname(dest), { recursive: true });
  const tmp = path.join(stageDir, `tmp-${rand()}`);
  try {
    await fs.writeFile(tmp, data);
    await fs.rename(tmp, dest);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** Resolves a local folder or a hub id (Node). */
export async function resolveNodeModelFiles(idOrPath: string, opts: HubOptions = {}): Promise<ModelFiles> {
  const st = await statOrUndefined(idOrPath);
  if (st?.isDirectory()) return directoryFiles(idOrPath);
  if (st) {
    throw new WeightsError(`${path.resolve(idOrPath)} is a file; pass the model folder that holds it, or a hub repo id`, "FILE_NOT_FOUND");
  }
  const reason = invalidRepoIdReason(idOrPath);
  if (reason !== undefined || looksLikePath(idOrPath)) {
    throw new HubError(
      "invalid-id",
      `"${idOrPath}" is not a model folder (${path.resolve(idOrPath)} does not exist)` +
        (reason !== undefined ? ` nor a valid hub repo id (it ${reason})` : ""),
      { repo: idOrPath, revision: opts.revision ?? DEFAULT_REVISION },
    );
  }
  return openHubRepo(idOrPath, opts);
}

/** A hub model repo at one commit, through the on-disk hub cache. */
export async function openHubRepo(repo: string, opts: HubOptions = {}): Promise<HubModelFiles> {
  const revision = opts.revision ?? DEFAULT_REVISION;
  const badRev = invalidRevisionReason(revision);
  if (badRev !== undefined) {
    throw new HubError("revision-not-found", `revision ${JSON.stringify(revision)} of "${repo}" ${badRev}`, { repo, revision });
  }
  const ctx: HubContext = {
    repo,
    revision,
    endpoint: resolveEndpoint(opts.endpoint),
    token: envToken(opts.token) ?? (await readTokenFile()),
    fetch: plainFetch(opts.fetch),
  };
  checkToken(ctx);
  const offline = isOffline(opts);
  const paths = cachePaths(repo, { revision, cacheDir: opts.cacheDir ?? hubCacheDir(os.homedir()) });
  const store = new RepoCache(paths);

  let commit = isCommitSha(revision) ? revision : await store.readRef(revision);
  let listing: string[] | undefined;
  const offlineMiss = (what: string) =>
    new HubError(
      "offline",
      `${describe(repo, revision)} is not in the hub cache ${paths.repoDir} (${what}), and downloads are off ` +
        `(${opts.localFilesOnly ? "localFilesOnly" : "HF_HUB_OFFLINE"}); download it once online, or unset that`,
      { repo, revision },
    );
  if (offline) {
    if (commit === undefined) throw offlineMiss(`no refs/${revision}`);
    if (!(await statOrUndefined(store.snapshotDir(commit)))?.isDirectory()) throw offlineMiss(`no snapshots/${commit}`);
  } else if (commit === undefined) {
    const info = await hubRepoInfo(ctx);
    commit = info.sha;
    listing = info.files;
    await store.saveListing(commit, listing);
    await fs.mkdir(store.snapshotDir(commit), { recursive: true }); // before the ref, so the ref never dangles
    await store.writeRef(revision, commit);
  } else {
    listing = await store.loadListing(commit);
    if (listing === undefined && !(await statOrUndefined(store.snapshotDir(commit)))?.isDirectory()) {
      listing = (await hubRepoInfo(ctx, commit)).files;
      await store.saveListing(commit, listing);
    }
  }
  return new NodeHubFiles(ctx, store, commit, listing, offline, opts);
}

class RepoCache {
  constructor(readonly paths: CachePaths) {}
  snapshotDir(commit: string): string {
    return path.join(this.paths.snapshotsDir, commit);
  }
  get stageDir(): string {
    return path.join(this.paths.repoDir, OWN_DIR);
  }
  async readRef(revision: string): Promise<string | undefined> {
    try {
      const sha = (await fs.readFile(path.join(this.paths.refsDir, ...revision.split("/")), "utf8")).trim();
      return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha) ? sha : undefined;
    } catch {
      return undefined;
    }
  }
  async writeRef(revision: string, commit: string): Promise<void> {
    // No newline: Python reads the file verbatim.
    await writeAtomic(this.stageDir, path.join(this.paths.refsDir, ...revision.split("/")), commit);
  }
  listingFile(commit: string): string {
    return path.join(this.stageDir, `${commit}.files.json`);
  }
  async loadListing(commit: string): Promise<string[] | undefined> {
    try {
      const j = JSON.parse(await fs.readFile(this.listingFile(commit), "utf8")) as { files?: unknown };
      return Array.isArray(j.files) && j.files.every((f) => typeof f === "string") ? (j.files as string[]) : undefined;
    } catch {
      return undefined;
    }
  }
  async saveListing(commit: string, files: string[]): Promise<void> {
    await writeAtomic(this.stageDir, this.listingFile(commit), JSON.stringify({ sha: commit, files }));
  }
  noExistFile(commit: string, name: string): string {
    return path.join(this.paths.noExistDir, commit, ...name.split("/"));
  }
}

class NodeHubFiles implements HubModelFiles {
  readonly location: string;
  readonly repo: string;
  readonly revision: string;
  readonly snapshotDir: string;
  private readonly dir: ModelFiles;
  private readonly inflight = new Map<string, Promise<string>>();
  private readonly reported = new Set<string>();
  private listingPromise?: Promise<string[]>;

  constructor(
    private readonly ctx: HubContext,
    private readonly store: RepoCache,
    readonly commit: string,
    private listing: string[] | undefined,
    private readonly offline: boolean,
    private readonly opts: HubOptions,
  ) {
    this.repo = ctx.repo;
    this.revision = ctx.revision;
    this.snapshotDir = store.snapshotDir(commit);
    this.location = this.snapshotDir;
    this.dir = directoryFiles(this.snapshotDir);
  }

  private where(file?: string) {
    return { repo: this.repo, revision: this.revision, file };
  }

  private snapshotPath(name: string): string {
    return path.join(this.snapshotDir, ...name.split("/"));
  }

  private checkName(name: string): void {
    const why = invalidFileNameReason(name);
    if (why !== undefined) throw new HubError("file-not-found", `file name ${JSON.stringify(name)} ${why}`, this.where(name));
  }

  /** The repo's file list for this commit (persisted listing, else one request). */
  private getListing(): Promise<string[]> {
    if (this.listing) return Promise.resolve(this.listing);
    this.listingPromise ??= (async () => {
      const saved = await this.store.loadListing(this.commit);
      const files = saved ?? (await hubRepoInfo(this.ctx, this.commit)).files;
      if (!saved) await this.store.saveListing(this.commit, files).catch(() => {});
      this.listing = files;
      return files;
    })();
    this.listingPromise.catch(() => (this.listingPromise = undefined));
    return this.listingPromise;
  }

  private async cachedFiles(): Promise<string[]> {
    try {
      return (await this.dir.list()).filter((f) => !f.includes(`${OWN_DIR}-tmp-`));
    } catch {
      return [];
    }
  }

  /** Offline, or the hub cannot be reached: the files the cache holds (as Python falls back to its cache). */
  async list(): Promise<string[]> {
    if (this.offline) return this.cachedFiles();
    try {
      return [...(await this.getListing())];
    } catch (e) {
      if (e instanceof HubError && e.reason === "network") return this.cachedFiles();
      throw e;
    }
  }

  async has(name: string): Promise<boolean> {
    if (invalidFileNameReason(name) !== undefined) return false;
    if ((await statOrUndefined(this.snapshotPath(name)))?.isFile()) return true;
    if (this.offline) return false;
    if (await statOrUndefined(this.store.noExistFile(this.commit, name))) return false;
    let files: string[];
    try {
      files = await this.getListing();
    } catch (e) {
      if (e instanceof HubError && e.reason === "network") return false; // not cached, and no way to get it
      throw e;
    }
    const present = files.includes(name);
    if (!present) await this.markMissing(name);
    return present;
  }

  /** Python's `.no_exist/{commit}/{file}` marker (best effort). */
  private async markMissing(name: string): Promise<void> {
    const p = this.store.noExistFile(this.commit, name);
    try {
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, "", { flag: "a" });
    } catch {
      // a read-only cache still works
    }
  }

  async read(name: string): Promise<Uint8Array> {
    await this.ensure(name);
    return this.dir.read(name);
  }

  async readRange(name: string, start: number, end: number): Promise<Uint8Array> {
    await this.ensure(name);
    return this.dir.readRange!(name, start, end);
  }

  async size(name: string): Promise<number> {
    await this.ensure(name);
    return this.dir.size!(name);
  }

  private progress(file: string, loaded: number, total: number, phase: "download" | "cached"): void {
    this.opts.onProgress?.({ file, loaded, total, phase });
  }

  /** The snapshot path of `name`, downloading it first if the cache lacks it. */
  private async ensure(name: string): Promise<string> {
    this.checkName(name);
    const p = this.snapshotPath(name);
    const st = await statOrUndefined(p);
    if (st?.isFile()) {
      if (!this.reported.has(name)) {
        this.reported.add(name);
        this.progress(name, st.size, st.size, "cached");
      }
      return p;
    }
    if (this.offline) {
      throw new HubError(
        "offline",
        `${describe(this.repo, this.revision, name)} is not in the hub cache (${p}), and downloads are off ` +
          `(${this.opts.localFilesOnly ? "localFilesOnly" : "HF_HUB_OFFLINE"})`,
        this.where(name),
      );
    }
    const known = this.listing ?? (await this.store.loadListing(this.commit));
    if ((known && !known.includes(name)) || (await statOrUndefined(this.store.noExistFile(this.commit, name)))) {
      throw new HubError(
        "file-not-found",
        `${describe(this.repo, this.revision, name)} not found: the repo (commit ${this.commit}) has no such file`,
        this.where(name),
      );
    }
    let job = this.inflight.get(name);
    if (!job) {
      job = this.download(name, p).finally(() => this.inflight.delete(name));
      this.inflight.set(name, job);
    }
    return job;
  }

  private async download(name: string, pointer: string): Promise<string> {
    const meta = await hubFileMeta(this.ctx, name, this.commit);
    const blob = path.join(this.store.paths.blobsDir, meta.etag);
    const have = await statOrUndefined(blob);
    if (have?.isFile()) {
      this.reported.add(name);
      this.progress(name, have.size, have.size, "cached");
    } else {
      await this.fetchBlob(name, meta, blob);
      this.reported.add(name); // later reads of it are not news
    }
    await this.link(blob, pointer);
    return pointer;
  }

  /**
   * The bytes (`downloadFile` through hf-client.ts) into `blobs/{etag}.{pid}-{rand}.incomplete`, checked against the
   * size and (LFS files) the sha256 that `pathsInfo` announced, then renamed onto `blobs/{etag}`.
   */
  private async fetchBlob(name: string, meta: HubFileMeta, blob: string): Promise<void> {
    const total = meta.size;
    const sha256: Hash | undefined = meta.lfs && /^[0-9a-f]{64}$/.test(meta.etag) ? createHash("sha256") : undefined;
    const download = await hubDownload(this.ctx, name, this.commit, meta);
    const reader = download.stream.getReader();
    let loaded = 0;
    const interrupted = (e: unknown) =>
      download.failure() ??
      new HubError(
        "download-failed",
        `download of ${describe(this.repo, this.revision, name)} was interrupted after ${loaded} of ${total} bytes ` +
          `(${describeCause(e)}); nothing was kept in the cache, try again`,
        this.where(name),
        { cause: e },
      );
    // Nothing touches the cache before the hub answered with bytes (or an empty file).
    let first: ReadableStreamReadResult<Uint8Array>;
    try {
      first = await reader.read();
    } catch (e) {
      throw interrupted(e);
    }

    await fs.mkdir(path.dirname(blob), { recursive: true });
    await removeStaleDownloads(path.dirname(blob));
    const tmp = `${blob}.${rand()}.incomplete`;
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(tmp, "wx");
    } catch (e) {
      reader.cancel().catch(() => {});
      throw e;
    }
    let closed = false;
    try {
      this.progress(name, 0, total, "download");
      for (let chunk = first; !chunk.done; ) {
        const value = chunk.value;
        // Stop at the first byte past the announced size: a hostile or broken server must not fill the disk.
        if (loaded + value.byteLength > total) {
          throw new HubError(
            "integrity",
            `download of ${describe(this.repo, this.revision, name)} sent more than the ${total} bytes the hub announced (stopped after ${loaded}); nothing was kept in the cache`,
            this.where(name),
          );
        }
        let off = 0;
        while (off < value.byteLength) off += (await fh.write(value, off, value.byteLength - off)).bytesWritten;
        sha256?.update(value);
        loaded += value.byteLength;
        this.progress(name, loaded, total, "download");
        try {
          chunk = await reader.read();
        } catch (e) {
          throw interrupted(e);
        }
      }
      if (loaded !== total) {
        throw new HubError(
          "download-failed",
          `download of ${describe(this.repo, this.revision, name)} ended after ${loaded} of ${total} bytes; nothing was kept in the cache, try again`,
          this.where(name),
        );
      }
      if (sha256) {
        const got = sha256.digest("hex");
        if (got !== meta.etag) {
          throw new HubError(
            "integrity",
            `download of ${describe(this.repo, this.revision, name)} is corrupt: its sha256 is ${got}, the hub announced ${meta.etag}; nothing was kept in the cache`,
            this.where(name),
          );
        }
      }
      await fh.sync();
      await fh.close();
      closed = true;
      await fs.rename(tmp, blob);
    } catch (e) {
      reader.cancel().catch(() => {});
      if (!closed) await fh.close().catch(() => {});
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }

  /** `snapshots/{commit}/{file}` → relative symlink to the blob, made under a temporary name then renamed. */
  private async link(blob: string, pointer: string): Promise<void> {
    await fs.mkdir(path.dirname(pointer), { recursive: true });
    const tmp = path.join(path.dirname(pointer), `${OWN_DIR}-tmp-${rand()}`);
    try {
      await fs.symlink(path.relative(path.dirname(pointer), blob), tmp);
    } catch {
      // No symlinks (Windows without developer mode): a copy, as Python does.
      await fs.copyFile(blob, tmp);
    }
    try {
      await fs.rename(tmp, pointer);
    } catch (e) {
      await fs.rm(tmp, { force: true });
      throw e;
    }
  }
}
