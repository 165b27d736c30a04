/**
 * Model files for browsers (and any runtime with `fetch`/`Blob`), read tensor by tensor so a multi-GB checkpoint is
 * never one ArrayBuffer:
 * - `urlFiles(base)`: a folder served over HTTP. Weights are read with `Range` requests whose streamed body is
 *   written straight into the tensor's buffer (`readInto`), so a load holds the weights plus one chunk in flight.
 * - `blobFiles(files)`: files a user picked (`<input type=file>`, drag and drop: `File` is a `Blob`) or any Blobs,
 *   read with `Blob.slice`.
 * Only small files (config, tokenizer, shard index) are read whole.
 */
import { WeightsError } from "./errors.js";
import type { ModelFiles } from "./files.js";

/** Names `urlFiles` looks for when it is not told the folder's files (a server cannot be asked to list it). */
export const WELL_KNOWN_MODEL_FILES = [
  "config.json",
  "model.safetensors",
  "model.safetensors.index.json",
  "pytorch_model.bin",
  "pytorch_model.bin.index.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "spm.model",
  "added_tokens.json",
];

export interface UrlFilesOptions {
  /** The folder's files, when known (a shard index names its shards; they are found through `has`). */
  files?: string[];
  /** `fetch` to use (default `globalThis.fetch`), e.g. one that adds credentials. */
  fetch?: typeof fetch;
  /** Extra request headers (e.g. authorization). */
  headers?: Record<string, string>;
}

/** A model folder served at `base` (e.g. `"/models/deberta-v3-large/"` or an absolute URL), read with Range requests. */
export function urlFiles(base: string, opts: UrlFilesOptions = {}): ModelFiles {
  const root = base.endsWith("/") ? base : `${base}/`;
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const sizes = new Map<string, Promise<number | undefined>>();
  const url = (name: string) => {
    if (!name || name.startsWith("/") || name.split("/").some((p) => p === ".." || p === "." || p === "")) {
      throw new WeightsError(`${root}: file name "${name}" is not a plain relative path`);
    }
    return root + name.split("/").map(encodeURIComponent).join("/");
  };
  const notFound = (name: string, status: number) => new WeightsError(`${root}${name}: file not found (HTTP ${status})`, "FILE_NOT_FOUND");
  const request = async (name: string, init: RequestInit): Promise<Response> => {
    try {
      return await doFetch(url(name), { ...init, headers: { ...opts.headers, ...(init.headers as Record<string, string>) } });
    } catch (e) {
      if (e instanceof WeightsError) throw e;
      throw new WeightsError(`${root}${name}: request failed (${(e as Error).message})`, undefined, { cause: e });
    }
  };
  /** The size from a HEAD request; undefined when the file is absent. */
  const probe = (name: string): Promise<number | undefined> => {
    let p = sizes.get(name);
    if (!p) {
      p = (async () => {
        const r = await request(name, { method: "HEAD" });
        if (r.status === 404 || r.status === 410) return undefined;
        if (!r.ok) throw new WeightsError(`${root}${name}: HTTP ${r.status} ${r.statusText}`);
        const n = Number(r.headers.get("content-length"));
        if (!Number.isSafeInteger(n) || n < 0) throw new WeightsError(`${root}${name}: the server sent no Content-Length (needed for ranged reads)`);
        return n;
      })();
      sizes.set(name, p);
      p.catch(() => sizes.delete(name));
    }
    return p;
  };
  /** Fills `dest` with bytes [start, start + dest.byteLength) of `name`, streaming the body into it. */
  const readInto = async (name: string, start: number, dest: Uint8Array): Promise<void> => {
    const end = start + dest.byteLength;
    if (dest.byteLength === 0) return;
    const r = await request(name, { headers: { range: `bytes=${start}-${end - 1}` } });
    if (r.status === 404 || r.status === 410) throw notFound(name, r.status);
    // 200 is a whole-file answer (a server without Range support): acceptable only for a whole-file read.
    if (!(r.status === 206 || (r.status === 200 && start === 0 && end === (await probe(name))))) {
      await r.body?.cancel().catch(() => {});
      throw new WeightsError(
        `${root}${name}: asked for bytes ${start}-${end - 1}, got HTTP ${r.status}${r.status === 200 ? " (the server ignores Range requests; serve the folder with a server that supports them)" : ""}`,
      );
    }
    if (!r.body) throw new WeightsError(`${root}${name}: empty response to a ranged read`);
    const reader = r.body.getReader();
    let off = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (off + value.byteLength > dest.byteLength) throw new WeightsError(`${root}${name}: ranged read of ${dest.byteLength} bytes at ${start} sent more`);
        dest.set(value, off);
        off += value.byteLength;
      }
    } catch (e) {
      reader.cancel().catch(() => {});
      if (e instanceof WeightsError) throw e;
      throw new WeightsError(`${root}${name}: download interrupted after ${off} of ${dest.byteLength} bytes at ${start} (${(e as Error).message})`, undefined, { cause: e });
    }
    if (off !== dest.byteLength) throw new WeightsError(`${root}${name}: short read: asked for bytes [${start}, ${end}), got ${off} bytes`);
  };
  return {
    location: root,
    async list() {
      const names = opts.files ?? WELL_KNOWN_MODEL_FILES;
      const present = await Promise.all(names.map(async (n) => ((await probe(n)) === undefined ? undefined : n)));
      return present.filter((n): n is string => n !== undefined).sort();
    },
    async has(name) {
      return (await probe(name)) !== undefined;
    },
    async read(name) {
      const r = await request(name, {});
      if (r.status === 404 || r.status === 410) throw notFound(name, r.status);
      if (!r.ok) throw new WeightsError(`${root}${name}: HTTP ${r.status} ${r.statusText}`);
      return new Uint8Array(await r.arrayBuffer());
    },
    async size(name) {
      const n = await probe(name);
      if (n === undefined) throw notFound(name, 404);
      return n;
    },
    async readRange(name, start, end) {
      const out = new Uint8Array(end - start);
      await readInto(name, start, out);
      return out;
    },
    readInto,
  };
}

/**
 * Blobs as model files: `File`s a user picked (their `name`, or `webkitRelativePath` minus the top folder when a
 * folder was picked), or a record of name → Blob. Reads are `Blob.slice(...).arrayBuffer()` of one tensor (or
 * chunk) at a time.
 */
export function blobFiles(files: Iterable<File> | ArrayLike<File> | Record<string, Blob>, location = "<files>"): ModelFiles {
  const map = new Map<string, Blob>();
  const isList = typeof (files as Iterable<File>)[Symbol.iterator] === "function" || typeof (files as ArrayLike<File>).length === "number";
  if (isList) {
    for (const f of Array.from(files as ArrayLike<File>)) {
      const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath;
      map.set(rel ? rel.split("/").slice(1).join("/") : f.name, f);
    }
  } else for (const [k, v] of Object.entries(files as Record<string, Blob>)) map.set(k, v);
  const get = (name: string) => {
    const b = map.get(name);
    if (!b) throw new WeightsError(`${location}: file "${name}" not found`, "FILE_NOT_FOUND");
    return b;
  };
  const slice = async (name: string, start: number, end: number) => {
    const b = get(name);
    if (!(0 <= start && start <= end && end <= b.size)) throw new WeightsError(`${location}/${name}: read of bytes [${start}, ${end}) is outside the file (${b.size} bytes)`);
    return new Uint8Array(await b.slice(start, end).arrayBuffer());
  };
  return {
    location,
    async list() {
      return [...map.keys()].sort();
    },
    async has(name) {
      return map.has(name);
    },
    async read(name) {
      return new Uint8Array(await get(name).arrayBuffer());
    },
    async size(name) {
      return get(name).size;
    },
    readRange: slice,
  };
}
