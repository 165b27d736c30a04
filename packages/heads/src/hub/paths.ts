/**
 * Where Python's `huggingface_hub` keeps its cache, computed from the same environment variables, so a model
 * downloaded by Python is found here and vice versa. Pure string work (browser-safe); the Node cache uses it.
 *
 *   $HF_HUB_CACHE  (else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else $XDG_CACHE_HOME/huggingface/hub,
 *                   else ~/.cache/huggingface/hub)
 *   └── models--{org}--{name}/
 *       ├── blobs/{etag}                      file contents, named by the hub's ETag (sha256 for LFS files,
 *       │                                     the git blob sha1 otherwise)
 *       ├── refs/{revision}                   the commit sha the branch or tag pointed to (no newline)
 *       ├── snapshots/{commit}/{file}         relative symlinks to ../../blobs/{etag}
 *       └── .no_exist/{commit}/{file}         empty files: "this file is not in that commit"
 */
import { DEFAULT_REVISION, envVar, isCommitSha } from "./common.js";

export interface CachePaths {
  /** The hub cache root. */
  cacheDir: string;
  /** `models--{org}--{name}`. */
  repoDir: string;
  blobsDir: string;
  refsDir: string;
  snapshotsDir: string;
  noExistDir: string;
  /** `refs/{revision}`; undefined when the revision is a commit sha (Python writes no ref for those). */
  refFile?: string;
  /** `snapshots/{revision}` when the revision is a commit sha. */
  snapshotDir?: string;
}

function sep(): string {
  const p = (globalThis as { process?: { platform?: string } }).process;
  return p?.platform === "win32" ? "\\" : "/";
}

/** Joins with the platform separator (no normalisation of "." or ".."). */
export function joinPath(...parts: string[]): string {
  const s = sep();
  let out = "";
  for (let p of parts) {
    if (s === "\\") p = p.replace(/\//g, "\\");
    if (p.length === 0) continue;
    if (out.length === 0) out = p;
    else out = out.replace(/[\\/]+$/, "") + s + p.replace(/^[\\/]+/, "");
  }
  return out;
}

function expandUser(p: string, home: string): string {
  return p === "~" || p.startsWith("~/") || p.startsWith("~\\") ? home + p.slice(1) : p;
}

function defaultHome(): string {
  return envVar("HOME") ?? envVar("USERPROFILE") ?? "~";
}

/** `$HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface` (Python's `HF_HOME`). */
export function hfHomeDir(home = defaultHome()): string {
  const v = envVar("HF_HOME") ?? joinPath(envVar("XDG_CACHE_HOME") ?? joinPath(home, ".cache"), "huggingface");
  return expandUser(v, home);
}

/** The hub cache root, as Python's `HF_HUB_CACHE` constant. */
export function hubCacheDir(home = defaultHome()): string {
  const v = envVar("HF_HUB_CACHE") ?? envVar("HUGGINGFACE_HUB_CACHE") ?? joinPath(hfHomeDir(home), "hub");
  return expandUser(v, home);
}

/** `$HF_TOKEN_PATH`, else `$HF_HOME/token` (where `huggingface-cli login` stores the token). */
export function tokenFilePath(home = defaultHome()): string {
  return expandUser(envVar("HF_TOKEN_PATH") ?? joinPath(hfHomeDir(home), "token"), home);
}

/** `models--{org}--{name}` (Python's `repo_folder_name` for model repos). */
export function repoFolderName(repo: string): string {
  return ["models", ...repo.split("/")].join("--");
}

/** The cache paths of a model repo (and of a revision), in Python's layout. */
export function cachePaths(repo: string, opts: { revision?: string; cacheDir?: string; home?: string } = {}): CachePaths {
  const cacheDir = opts.cacheDir ?? hubCacheDir(opts.home);
  const repoDir = joinPath(cacheDir, repoFolderName(repo));
  const rev = opts.revision ?? DEFAULT_REVISION;
  const snapshotsDir = joinPath(repoDir, "snapshots");
  return {
    cacheDir,
    repoDir,
    blobsDir: joinPath(repoDir, "blobs"),
    refsDir: joinPath(repoDir, "refs"),
    snapshotsDir,
    noExistDir: joinPath(repoDir, ".no_exist"),
    refFile: isCommitSha(rev) ? undefined : joinPath(repoDir, "refs", ...rev.split("/")),
    snapshotDir: isCommitSha(rev) ? joinPath(snapshotsDir, rev) : undefined,
  };
}
