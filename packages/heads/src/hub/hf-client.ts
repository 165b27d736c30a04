/**
 * The hub protocol through `@huggingface/hub` (huggingface.js): which commit a revision is and the repo's file list
 * (`modelInfo`), a file's blob name and size (`pathsInfo`), and the file's bytes as a stream (`downloadFile`).
 * Used by the Node cache (node-hub.ts), which keeps writing the cache itself; see README.md for why the split.
 *
 * Every call gets `hubUrl`, `accessToken` and `fetch` explicitly. The `fetch` handed to the library is ours
 * (`callFetch`): it wraps `opts.fetch`, follows redirects itself so the token never leaves the hub's origin,
 * sends tokens the library refuses (it only takes `hf_…`), and remembers the failed response, whose
 * `X-Error-Code` header the library's `HubApiError` drops. Library errors are mapped onto our `HubError`.
 *
 * No `node:*` import; the library itself is imported on first use, so a fully cached model never loads it.
 */
import { MissingDependencyError } from "@deberta-js/core";
import {
  HubError,
  describe,
  httpError,
  hubFileUrl,
  networkError,
  checkRepoInfo,
  type HubContext,
  type RepoInfo,
} from "./common.js";

type HfHub = typeof import("@huggingface/hub");
let hfHub: Promise<HfHub> | undefined;

/** The optional peer dependency that downloads need in Node (browsers and cached models never load it). */
const HUB_PACKAGE = "@huggingface/hub";

/** Node's "cannot find package" for `spec` itself (not for something the package imports). */
function isMissing(e: unknown, spec: string): boolean {
  const err = e as { code?: string; message?: string };
  return (err?.code === "ERR_MODULE_NOT_FOUND" || err?.code === "MODULE_NOT_FOUND") && typeof err.message === "string" && err.message.includes(`'${spec}'`);
}

/**
 * `@huggingface/hub`, imported once, on the first request. It is an optional peer dependency of this package (12 MB
 * that browser users and users of local folders never need): when it is not installed, a `MissingDependencyError`
 * names it.
 */
function loadHfHub(): Promise<HfHub> {
  // A non-literal specifier: bundlers leave the optional package alone (and this module is Node-only anyway).
  hfHub ??= (import(/* @vite-ignore */ /* webpackIgnore: true */ HUB_PACKAGE) as Promise<HfHub>).catch((e: unknown) => {
    if (isMissing(e, HUB_PACKAGE)) throw new MissingDependencyError(HUB_PACKAGE, "Downloading from the Hugging Face hub in Node", { cause: e });
    throw e;
  });
  hfHub.catch(() => (hfHub = undefined));
  return hfHub;
}

/** `@huggingface/hub` rejects any token that does not start with "hf_" (`checkCredentials`). */
function libraryTakesToken(token: string | undefined): token is string {
  return token !== undefined && token.startsWith("hf_");
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

interface Where {
  /** The revision asked for (named in messages); requests may use the commit it resolved to. */
  revision: string;
  file?: string;
}

interface FailedResponse {
  status: number;
  statusText: string;
  errorCode: string | null;
}

/** One library call's `fetch`, and what it saw go wrong. */
interface Call {
  fetch: typeof fetch;
  /** The endpoint could not be reached (already a `HubError`, reason "network"). */
  unreachable?: HubError;
  /** The last non-2xx response, after redirects. */
  failed?: FailedResponse;
}

function startCall(ctx: HubContext, where: Where): Call {
  const hubOrigin = new URL(ctx.endpoint).origin;
  const call: Call = {
    fetch: (async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      let url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init?.headers);
      // A token the library would not take goes in here, to the hub only.
      if (ctx.token && !libraryTakesToken(ctx.token) && !headers.has("authorization") && new URL(url).origin === hubOrigin) {
        headers.set("authorization", `Bearer ${ctx.token}`);
      }
      let method = (init?.method ?? "GET").toUpperCase();
      let body = init?.body;
      for (let hop = 0; ; hop++) {
        // Once a redirect leaves the hub (the CDN, S3, the xet bridge), no credentials go with it, whatever the
        // `fetch` below would do on its own.
        if (new URL(url).origin !== hubOrigin) {
          headers.delete("authorization");
          headers.delete("cookie");
        }
        let resp: Response;
        try {
          resp = await ctx.fetch(url, { ...init, method, body, headers, redirect: "manual" });
        } catch (e) {
          throw (call.unreachable = networkError(ctx, where.file, e, where.revision));
        }
        const location = resp.headers.get("location");
        if (REDIRECTS.has(resp.status) && location !== null) {
          await resp.body?.cancel().catch(() => {});
          if (hop >= MAX_REDIRECTS) {
            call.failed = { status: resp.status, statusText: `more than ${MAX_REDIRECTS} redirects`, errorCode: null };
            return resp;
          }
          url = new URL(location, url).href;
          if (resp.status === 303 || ((resp.status === 301 || resp.status === 302) && method === "POST")) {
            if (method !== "HEAD") method = "GET";
            body = undefined;
            headers.delete("content-type");
          }
          continue;
        }
        if (!resp.ok) {
          call.failed = { status: resp.status, statusText: resp.statusText, errorCode: resp.headers.get("x-error-code") };
        } else if (resp.body === null && method === "GET") {
          // An empty 2xx (e.g. 204): give the library a body, so a stream over it ends instead of waiting forever.
          return new Response(new Uint8Array(0), { status: 200, headers: resp.headers });
        }
        return resp;
      }
    }) as typeof fetch,
  };
  return call;
}

/** What every library call gets: the endpoint, the token (when the library takes it) and our `fetch`. */
function libraryParams(ctx: HubContext, call: Call) {
  return {
    hubUrl: ctx.endpoint,
    fetch: call.fetch,
    ...(libraryTakesToken(ctx.token) ? { accessToken: ctx.token } : {}),
  };
}

/** Maps what a library call threw (or a stream failed with) onto a `HubError`. */
function toHubError(hf: HfHub, e: unknown, call: Call, ctx: HubContext, where: Where): HubError {
  if (e instanceof HubError) return e;
  if (call.unreachable) return call.unreachable;
  const at = { repo: ctx.repo, revision: where.revision, file: where.file, endpoint: ctx.endpoint, hasToken: !!ctx.token };
  if (e instanceof hf.HubApiError || call.failed) {
    const status = e instanceof hf.HubApiError ? e.statusCode : call.failed!.status;
    const seen = call.failed?.status === status ? call.failed : undefined;
    const headers = { get: (name: string) => (name.toLowerCase() === "x-error-code" ? (seen?.errorCode ?? null) : null) };
    return httpError({ status, statusText: seen?.statusText, headers }, at, { cause: e });
  }
  const why = e instanceof Error ? e.message : String(e);
  return new HubError(
    "download-failed",
    `unexpected answer from ${ctx.endpoint} for ${describe(ctx.repo, where.revision, where.file)}: ${why}`,
    { repo: ctx.repo, revision: where.revision, file: where.file },
    { cause: e },
  );
}

async function libraryCall<T>(ctx: HubContext, where: Where, fn: (hf: HfHub, params: ReturnType<typeof libraryParams>) => Promise<T>): Promise<T> {
  const hf = await loadHfHub();
  const call = startCall(ctx, where);
  try {
    return await fn(hf, libraryParams(ctx, call));
  } catch (e) {
    throw toHubError(hf, e, call, ctx, where);
  }
}

/**
 * The commit `revision` (branch, tag or sha) points to, and the repo's files there: `modelInfo` with the `sha` and
 * `siblings` fields (GET `/api/models/{repo}/revision/{revision}?expand=…`, as Python's `model_info`).
 */
export async function hubRepoInfo(ctx: HubContext, revision = ctx.revision): Promise<RepoInfo> {
  const info = await libraryCall(ctx, { revision }, (hf, p) =>
    hf.modelInfo({ name: ctx.repo, revision, additionalFields: ["sha", "filePaths"], ...p }),
  );
  return checkRepoInfo(info.sha, info.filePaths, { repo: ctx.repo, revision, url: ctx.endpoint });
}

export interface HubFileMeta {
  /** The blob name in the cache: the LFS sha256 (what Python gets as X-Linked-Etag), else the git blob sha1 (ETag). */
  etag: string;
  /** The file's size in bytes (the LFS object's, not the pointer's). */
  size: number;
  /** An LFS (or xet) file: `etag` is the sha256 of its bytes. */
  lfs: boolean;
  /** `{endpoint}/{repo}/resolve/{commit}/{file}`. */
  url: string;
}

/**
 * A file's blob name and size at `commit`: `pathsInfo` (POST `/api/models/{repo}/paths-info/{commit}`), as the
 * library's own `downloadFileToCacheDir` does — but at the commit the revision resolved to.
 */
export async function hubFileMeta(ctx: HubContext, name: string, commit: string): Promise<HubFileMeta> {
  const where = { revision: ctx.revision, file: name };
  const entries = await libraryCall(ctx, where, (hf, p) => hf.pathsInfo({ repo: ctx.repo, paths: [name], revision: commit, expand: false, ...p }));
  const entry = entries.find((x) => x.path === name);
  const at = { repo: ctx.repo, revision: ctx.revision, file: name };
  if (!entry || entry.type !== "file") {
    throw new HubError(
      "file-not-found",
      `${describe(ctx.repo, ctx.revision, name)} not found on ${ctx.endpoint}: commit ${commit} has ${entry ? `a ${entry.type} there, not a file` : "no such file"}`,
      at,
    );
  }
  const etag = entry.lfs?.oid ?? entry.oid;
  const size = entry.lfs?.size ?? entry.size;
  if (typeof etag !== "string" || !/^[\w.-]+$/.test(etag) || /^\.\.?$/.test(etag)) {
    throw new HubError("download-failed", `${ctx.endpoint} sent no usable oid for ${describe(ctx.repo, ctx.revision, name)} (got ${JSON.stringify(etag ?? null)}); cannot place it in the cache`, at);
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new HubError("download-failed", `${ctx.endpoint} sent no usable size for ${describe(ctx.repo, ctx.revision, name)} (got ${JSON.stringify(size ?? null)})`, at);
  }
  return { etag, size, lfs: entry.lfs !== undefined, url: hubFileUrl(ctx.repo, name, { revision: commit, endpoint: ctx.endpoint }) };
}

export interface HubDownload {
  /** The file's bytes, as they arrive. */
  stream: ReadableStream<Uint8Array>;
  /**
   * When reading `stream` failed: the `HubError` for an HTTP error or an unreachable endpoint (the library hands the
   * stream only a message), or undefined when the body broke off after a good start.
   */
  failure(): HubError | undefined;
}

/**
 * The bytes of `name` at `commit`: `downloadFile` (a GET of the resolve URL, following the hub's redirects) with the
 * metadata already known, so no probe request; `xet: false`, since the hub serves xet files over plain HTTP too.
 */
export async function hubDownload(ctx: HubContext, name: string, commit: string, meta: HubFileMeta): Promise<HubDownload> {
  const where = { revision: ctx.revision, file: name };
  const hf = await loadHfHub();
  const call = startCall(ctx, where);
  let blob: Blob | null;
  try {
    blob = await hf.downloadFile({
      repo: ctx.repo,
      path: name,
      revision: commit,
      xet: false,
      downloadInfo: { etag: meta.etag, size: meta.size, url: meta.url },
      ...libraryParams(ctx, call),
    });
  } catch (e) {
    throw toHubError(hf, e, call, ctx, where);
  }
  if (!blob) throw new HubError("file-not-found", `${describe(ctx.repo, ctx.revision, name)} not found on ${ctx.endpoint}`, { repo: ctx.repo, ...where });
  return {
    stream: blob.stream() as ReadableStream<Uint8Array>,
    failure: () => (call.unreachable || call.failed ? toHubError(hf, undefined, call, ctx, where) : undefined),
  };
}
