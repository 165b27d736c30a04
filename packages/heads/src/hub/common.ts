/**
 * Hub protocol pieces shared by the Node cache and the browser cache: options, environment variables, URLs, the
 * typed `HubError` and the mapping of HTTP failures onto it. Also the browser cache's repo-info (listing) request;
 * Node makes its requests through `@huggingface/hub` (hf-client.ts). Browser-safe: imports nothing from `node:*`.
 */
import { WeightsError, type ModelFiles } from "@deberta-js/core";

export const DEFAULT_ENDPOINT = "https://huggingface.co";
export const DEFAULT_REVISION = "main";

export interface HubProgress {
  /** The file, relative to the repo root. */
  file: string;
  /** Bytes downloaded so far ("download"), or the file's size ("cached"). */
  loaded: number;
  /** The file's size in bytes; 0 when the server did not say. */
  total: number;
  /** "download": bytes are arriving from the network; "cached": served from the local cache, no network. */
  phase: "download" | "cached";
}

export interface HubOptions {
  /** Branch, tag or commit sha (default "main"). */
  revision?: string;
  /** Node: the hub cache folder (default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`). */
  cacheDir?: string;
  /** Access token for private or gated repos (default `$HF_TOKEN`, then the token file `huggingface-cli login` writes). */
  token?: string;
  /** Hub base URL (default `$HF_ENDPOINT`, else https://huggingface.co). */
  endpoint?: string;
  /** Called as bytes arrive, and once per file served from the cache. */
  onProgress?: (p: HubProgress) => void;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
  /** Use the cache only, never the network (also when `HF_HUB_OFFLINE=1`). */
  localFilesOnly?: boolean;
}

/** What `resolveModelFiles` returns for a hub id: `ModelFiles` plus where they come from. */
export interface HubModelFiles extends ModelFiles {
  readonly repo: string;
  /** The revision asked for ("main", a tag, or a sha). */
  readonly revision: string;
  /** The commit sha that revision resolved to. */
  readonly commit: string;
  /** Node: `snapshots/<commit>` in the hub cache. */
  readonly snapshotDir?: string;
}

export type HubErrorReason =
  | "invalid-id" // not a folder and not a valid repo id
  | "repo-not-found" // 404 (or 401 without a token) for the repo
  | "revision-not-found"
  | "file-not-found"
  | "unauthorized" // 401/403: private or gated, or a bad token
  | "offline" // HF_HUB_OFFLINE / localFilesOnly and the cache lacks it
  | "network" // the endpoint could not be reached at all (DNS, refused, TLS)
  | "download-failed" // HTTP 5xx, connection lost mid-body, a malformed answer
  | "integrity"; // size or checksum differs from what the hub announced

/**
 * Every failure to get a file from the hub. A `WeightsError` with code FILE_NOT_FOUND ("integrity": WEIGHTS_INVALID),
 * so loaders treat it like a missing file; `reason`, `repo`, `revision`, `file` and `status` say more.
 */
export class HubError extends WeightsError {
  readonly reason: HubErrorReason;
  readonly repo: string;
  readonly revision: string;
  readonly file?: string;
  readonly status?: number;
  constructor(
    reason: HubErrorReason,
    message: string,
    where: { repo: string; revision: string; file?: string; status?: number },
    options?: { cause?: unknown },
  ) {
    super(scrubMessage(message), reason === "integrity" ? "WEIGHTS_INVALID" : "FILE_NOT_FOUND", options);
    this.name = "HubError";
    this.reason = reason;
    this.repo = where.repo;
    this.revision = where.revision;
    this.file = where.file;
    this.status = where.status;
  }
}

/**
 * What a hub error may say: no credentials (hf_… tokens, `Bearer …` values, `user:password@` in URLs) and no raw
 * control characters (a CR/LF from a header or a token would forge log lines). Applied to every HubError message,
 * which often quotes a library's or fetch's own message that may echo a header value.
 */
export function scrubMessage(message: string): string {
  return message
    .replace(/\bhf_[A-Za-z0-9]{20,}/g, "hf_***")
    .replace(/(bearer\s+)[^\s"',)]+/gi, "$1***")
    .replace(/(\/\/)[^/@\s]+@/g, "$1***@")
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)
    .replace(/\n/g, "\\n");
}

/** Why a token cannot be sent in an Authorization header (it is never quoted back), or undefined. */
export function invalidTokenReason(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  if (/[^\x21-\x7e]/.test(token)) return "contains spaces, control characters (CR/LF) or non-ASCII characters";
  if (token.length > 4096) return "is longer than 4096 characters";
  return undefined;
}

/** Throws (without quoting it) when the context's token cannot be sent. */
export function checkToken(ctx: HubContext): void {
  const why = invalidTokenReason(ctx.token);
  if (why !== undefined) {
    throw new HubError("unauthorized", `the Hugging Face token (token option, HF_TOKEN or the token file) ${why}; fix it or unset it`, {
      repo: ctx.repo,
      revision: ctx.revision,
    });
  }
}

/** `process.env[name]` where there is a `process` (Node, Deno, Bun, some bundlers); undefined in browsers. */
export function envVar(name: string): string | undefined {
  const p = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = p?.env?.[name];
  return v === undefined || v === "" ? undefined : v;
}

/** True in Node (and runtimes that emulate it), where the file-system cache is used. */
export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: Record<string, string | undefined> } }).process;
  return typeof p?.versions?.node === "string";
}

/** Python's `huggingface_hub` truthy spelling: 1, ON, YES, TRUE (any case). */
export function envFlag(name: string): boolean {
  const v = envVar(name);
  return v !== undefined && ["1", "on", "yes", "true"].includes(v.trim().toLowerCase());
}

export function resolveEndpoint(endpoint?: string): string {
  return (endpoint ?? envVar("HF_ENDPOINT") ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
}

/** The explicit token, else `$HF_TOKEN`, else the legacy `$HUGGING_FACE_HUB_TOKEN`. (Node also reads the token file.) */
export function envToken(token?: string): string | undefined {
  return token ?? envVar("HF_TOKEN") ?? envVar("HUGGING_FACE_HUB_TOKEN");
}

export function isOffline(opts: HubOptions): boolean {
  return opts.localFilesOnly === true || envFlag("HF_HUB_OFFLINE");
}

/** Python's `REGEX_COMMIT_HASH`. */
export function isCommitSha(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}

/**
 * Why `id` is not a valid hub repo id (Python's `validate_repo_id`), or undefined when it is:
 * `name` or `namespace/name`, letters, digits, "-", "_" and ".", no "--" or "..", at most 96 characters.
 */
export function invalidRepoIdReason(id: string): string | undefined {
  if (id.length === 0) return "is empty";
  if (id.length > 96) return "is longer than 96 characters";
  if (!/^([\w.-]+\/)?[\w.-]+$/.test(id)) return 'must be "name" or "namespace/name" (letters, digits, "-", "_", ".")';
  if (id.split("/").some((p) => /^[-.]|[-.]$/.test(p))) return 'has a part that starts or ends with "-" or "."';
  if (id.includes("--") || id.includes("..")) return 'contains "--" or ".."';
  if (id.endsWith(".git")) return 'ends with ".git"';
  return undefined;
}

/** Why `rev` cannot be used as a revision (it becomes a path under refs/), or undefined. */
export function invalidRevisionReason(rev: string): string | undefined {
  if (rev.length === 0) return "is empty";
  // refs/{revision} becomes a path in the cache: each segment must fit a file name (255 bytes on every OS).
  if (rev.length > 1024 || rev.split("/").some((p) => new TextEncoder().encode(p).length > 200)) return "is too long (a segment over 200 bytes, or over 1024 in all)";
  if (/[\u0000-\u001f\u007f]/.test(rev)) return "contains control characters";
  if (rev.includes("\\") || rev.includes("\0")) return "contains a backslash or NUL";
  if (rev.split("/").some((p) => p === "" || p === "." || p === "..")) return 'has an empty, "." or ".." segment';
  return undefined;
}

/** Why `name` cannot be a file of a repo (it becomes a path under snapshots/), or undefined. */
export function invalidFileNameReason(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (name.length > 1024 || name.split("/").some((p) => new TextEncoder().encode(p).length > 200)) return "is too long (a segment over 200 bytes, or over 1024 in all)";
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains control characters";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "is an absolute path";
  if (name.includes("\\") || name.includes("\0")) return "contains a backslash or NUL";
  if (name.split("/").some((p) => p === "" || p === "." || p === "..")) return 'has an empty, "." or ".." segment';
  return undefined;
}

function encodePath(file: string): string {
  return file.split("/").map(encodeURIComponent).join("/");
}

/** `{endpoint}/{repo}/resolve/{revision}/{file}` — the URL `hf_hub_url` builds (model repos). */
export function hubFileUrl(repo: string, file: string, opts: { revision?: string; endpoint?: string } = {}): string {
  const rev = opts.revision ?? DEFAULT_REVISION;
  return `${resolveEndpoint(opts.endpoint)}/${repo}/resolve/${encodeURIComponent(rev)}/${encodePath(file)}`;
}

/** `{endpoint}/api/models/{repo}/revision/{revision}` — repo info: the commit sha and the file list. */
export function repoInfoUrl(repo: string, opts: { revision?: string; endpoint?: string } = {}): string {
  const rev = opts.revision ?? DEFAULT_REVISION;
  return `${resolveEndpoint(opts.endpoint)}/api/models/${repo}/revision/${encodeURIComponent(rev)}`;
}

export function describe(repo: string, revision: string, file?: string): string {
  return file === undefined ? `"${repo}" (revision "${revision}")` : `"${file}" of "${repo}" (revision "${revision}")`;
}

/** The `HubError` for a failed hub response (listing when `file` is undefined, else a file). */
export function httpError(
  resp: { status: number; statusText?: string; headers: { get(name: string): string | null } },
  where: { repo: string; revision: string; file?: string; endpoint: string; hasToken: boolean },
  options?: { cause?: unknown },
): HubError {
  const { repo, revision, file, endpoint, hasToken } = where;
  const status = resp.status;
  const code = resp.headers.get("x-error-code") ?? "";
  const at = { repo, revision, file, status };
  const tokenHint = hasToken
    ? "a token (HF_TOKEN or the `token` option) was sent: check that it is valid and can read this repo"
    : "no token was sent: set HF_TOKEN (or pass `token`) to an access token that can read it";
  if (status === 401 || status === 403) {
    const what = code === "GatedRepo" ? "the repo is gated (accept its terms on the hub); " : "the repo does not exist, or it is private or gated; ";
    return new HubError(
      "unauthorized",
      `cannot access ${describe(repo, revision, file)} on ${endpoint} (HTTP ${status}${code ? ` ${code}` : ""}): ${what}${tokenHint}`,
      at,
      options,
    );
  }
  if (status === 404) {
    if (code === "RepoNotFound" || (file === undefined && code !== "RevisionNotFound")) {
      return new HubError("repo-not-found", `repository "${repo}" not found on ${endpoint} (HTTP 404, revision "${revision}"); if it is private, ${hasToken ? "check that the token sent (HF_TOKEN or `token`) can read it" : "set HF_TOKEN (or pass `token`)"}`, at, options);
    }
    if (code === "RevisionNotFound") {
      return new HubError("revision-not-found", `revision "${revision}" not found in "${repo}" on ${endpoint} (HTTP 404)`, at, options);
    }
    return new HubError("file-not-found", `${describe(repo, revision, file)} not found on ${endpoint} (HTTP 404)`, at, options);
  }
  return new HubError(
    "download-failed",
    `cannot fetch ${describe(repo, revision, file)} from ${endpoint}: HTTP ${status}${resp.statusText ? ` ${resp.statusText}` : ""}`,
    at,
    options,
  );
}

export interface RepoInfo {
  sha: string;
  files: string[];
}

/** Parses the JSON of `/api/models/{repo}/revision/{rev}`: `{ sha, siblings: [{ rfilename }] }`. */
export function parseRepoInfo(json: unknown, where: { repo: string; revision: string; url: string }): RepoInfo {
  const o = (typeof json === "object" && json !== null ? json : {}) as { sha?: unknown; siblings?: unknown };
  const names = Array.isArray(o.siblings) ? o.siblings.map((s) => (s as { rfilename?: unknown } | null)?.rfilename) : o.siblings;
  return checkRepoInfo(o.sha, names, where);
}

/** Checks a repo's commit sha and file names (dropping names that cannot be cache paths) and sorts the names. */
export function checkRepoInfo(sha: unknown, names: unknown, where: { repo: string; revision: string; url: string }): RepoInfo {
  const bad = (what: string) =>
    new HubError("download-failed", `${where.url}: unexpected repo info for ${describe(where.repo, where.revision)}: ${what}`, where);
  if (typeof sha !== "string" || !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw bad(`"sha" is not a commit hash`);
  if (!Array.isArray(names)) throw bad(`"siblings" is not a list`);
  const files: string[] = [];
  for (const name of names) {
    if (typeof name !== "string") throw bad(`a sibling has no "rfilename"`);
    if (invalidFileNameReason(name) === undefined) files.push(name);
  }
  return { sha, files: files.sort() };
}

export interface HubContext {
  repo: string;
  revision: string;
  endpoint: string;
  token?: string;
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
}

/**
 * Largest hub API response (repo info, paths-info) read into memory. Real ones are a few KB per file; without a cap
 * a hostile hub could stream gigabytes into `resp.json()` (file downloads have their own announced-size checks).
 */
export const MAX_API_RESPONSE_BYTES = 64 * 2 ** 20;

/**
 * `f` (default: the global fetch) called as a plain function, so a browser's `fetch` never sees a foreign `this`.
 * Responses of the hub's JSON API are capped at `MAX_API_RESPONSE_BYTES`, whichever client reads them.
 */
export function plainFetch(f?: typeof fetch): HubContext["fetch"] {
  return async (input, init) => {
    const resp = await (f ?? globalThis.fetch)(input, init);
    const url = typeof input === "string" ? input : String((input as unknown as { url?: string }).url ?? input);
    return isApiUrl(url) ? capBody(resp, url, MAX_API_RESPONSE_BYTES) : resp;
  };
}

function isApiUrl(url: string): boolean {
  try {
    const path = new URL(url).pathname;
    return path.includes("/api/") && !path.includes("/resolve/");
  } catch {
    return false;
  }
}

function apiTooLarge(url: string, bytes: number, max: number): WeightsError {
  return new WeightsError(scrubMessage(`${url}: the hub's API response is larger than ${max} bytes (${bytes} so far); refusing to read it`), "WEIGHTS_INVALID");
}

/** The same response with a body that errors as soon as it passes `max` bytes (and fails at once when it says so). */
function capBody(resp: Response, url: string, max: number): Response {
  const declared = Number(resp.headers.get("content-length") ?? NaN);
  if (declared > max) {
    void resp.body?.cancel().catch(() => {});
    throw apiTooLarge(url, declared, max);
  }
  if (!resp.body || [101, 204, 205, 304].includes(resp.status)) return resp;
  let seen = 0;
  const limited = resp.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctl) {
        seen += chunk.byteLength;
        if (seen > max) ctl.error(apiTooLarge(url, seen, max));
        else ctl.enqueue(chunk);
      },
    }),
  );
  const out = new Response(limited, { status: resp.status, statusText: resp.statusText, headers: resp.headers });
  Object.defineProperty(out, "url", { value: resp.url });
  return out;
}

export function authHeaders(ctx: HubContext, url: string): Record<string, string> {
  if (!ctx.token) return {};
  // Only ever send the token to the hub itself, never to a CDN it redirects to.
  if (new URL(url).origin !== new URL(ctx.endpoint).origin) return {};
  return { authorization: `Bearer ${ctx.token}` };
}

/** GET the repo info for `revision` (a branch, tag or sha). */
export async function fetchRepoInfo(ctx: HubContext, revision = ctx.revision): Promise<RepoInfo> {
  const url = repoInfoUrl(ctx.repo, { revision, endpoint: ctx.endpoint });
  const where = { repo: ctx.repo, revision, endpoint: ctx.endpoint, hasToken: !!ctx.token };
  let resp: Response;
  try {
    resp = await ctx.fetch(url, { headers: { accept: "application/json", ...authHeaders(ctx, url) } });
  } catch (e) {
    throw networkError(ctx, undefined, e, revision);
  }
  if (!resp.ok) {
    await resp.body?.cancel().catch(() => {});
    throw httpError(resp, where);
  }
  let json: unknown;
  try {
    json = await resp.json();
  } catch (e) {
    throw new HubError("download-failed", `${url}: repo info is not valid JSON (${(e as Error).message})`, { repo: ctx.repo, revision }, { cause: e });
  }
  return parseRepoInfo(json, { repo: ctx.repo, revision, url });
}

export function networkError(ctx: HubContext, file: string | undefined, cause: unknown, revision = ctx.revision): HubError {
  const why = cause instanceof Error ? (cause.cause instanceof Error ? `${cause.message}: ${cause.cause.message}` : cause.message) : String(cause);
  return new HubError(
    "network",
    `cannot reach ${ctx.endpoint} to fetch ${describe(ctx.repo, revision, file)}: ${why}` +
      (isNode()
        ? " (offline? set HF_HUB_OFFLINE=1 or pass localFilesOnly to use the local cache only)"
        : // A browser has no environment variables and no hub cache folder: the advice is about the connection.
          ` (offline, or the request was blocked? check the network connection and that nothing — an extension, a proxy, a firewall — blocks ${new URL(ctx.endpoint).host}; models already downloaded load from the browser's Cache Storage without the network)`),
    { repo: ctx.repo, revision, file },
    { cause },
  );
}
