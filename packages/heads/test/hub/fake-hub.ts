/**
 * A fake Hugging Face hub on 127.0.0.1 for the hub tests, speaking the subset of the hub's HTTP protocol that
 * Python's `huggingface_hub`, `@huggingface/hub` (which our Node cache uses) and our browser client use:
 *   GET  /api/models/{repo}/revision/{rev}              → the model info: { _id, id, sha, siblings: [{ rfilename }], … };
 *        with `?expand=a&expand=b` only `_id`, `id` and those fields (an unknown field is a 400), as the hub does
 *   POST /api/models/{repo}/paths-info/{rev}            body `{ paths: [...], expand }` (JSON, or form-encoded as
 *        Python sends it) → [{ type, oid, size, path, lfs?: { oid, size, pointerSize } }] for the paths that exist:
 *        `oid` is the git blob sha1 (of the LFS pointer, for LFS files), `lfs.oid` the sha256 of the content;
 *        no `xetHash` (no file here is xet-backed, and no X-Xet-* header is ever sent)
 *   HEAD|GET /{repo}/resolve/{rev}/{file}
 *        LFS files:   302 to the CDN (a second server, another origin) with X-Repo-Commit, X-Linked-Etag (sha256),
 *                     X-Linked-Size, ETag
 *        other files: 307 to the relative /api/resolve-cache/models/{repo}/{commit}/{file}, which answers 200 with
 *                     ETag (git blob sha1), Content-Length, X-Repo-Commit — as the real hub does
 *   404s carry X-Error-Code: RepoNotFound / RevisionNotFound / EntryNotFound; a missing or wrong token (when one is
 *   required) gets 401. Both servers honour Range, log every request, and can cut a body in half (`interrupt`) or
 *   serve wrong bytes (`corrupt`).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface LoggedRequest {
  server: "hub" | "cdn";
  method: string;
  /** The request target: path and query. */
  path: string;
  authorization?: string;
  /** The request body, for POSTs. */
  body?: string;
}

export interface FakeFile {
  bytes: Uint8Array;
  lfs: boolean;
  /** sha256 for LFS files, the git blob sha1 otherwise — what Python names the blob. */
  etag: string;
}

export interface FakeRepoSpec {
  files: Record<string, Uint8Array>;
  /** Branch/tag name → commit; the default puts everything on "main" at a fixed commit. */
  commit?: string;
}

export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

export function gitBlobSha1(b: Uint8Array): string {
  return createHash("sha1").update(`blob ${b.byteLength}\0`).update(b).digest("hex");
}

/** The Git LFS pointer file that git stores in place of an LFS file. */
export function lfsPointer(b: Uint8Array): Uint8Array {
  return new TextEncoder().encode(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(b)}\nsize ${b.byteLength}\n`);
}

/** The fields `/api/models/{repo}/revision/{rev}` can be asked for with `expand` (those huggingface.js knows). */
const EXPANDABLE = new Set([
  "author", "cardData", "config", "createdAt", "disabled", "downloads", "downloadsAllTime", "gated", "gitalyUid",
  "inferenceProviderMapping", "lastModified", "library_name", "likes", "model-index", "pipeline_tag", "private",
  "safetensors", "sha", "siblings", "spaces", "tags", "transformersInfo",
]);

const isLfs = (name: string) => /\.(safetensors|bin|model|onnx|h5|msgpack)$/.test(name);

const fixtures = (p: string) => fileURLToPath(new URL(`../../../../fixtures/${p}`, import.meta.url));

/** The fake repo `test-org/tiny-deberta`: fixtures/models/tiny-v3 plus the tokenizer of fixtures/tokenizer/spm-v3-like. */
export function tinyDebertaFiles(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const f of ["config.json", "model.safetensors", "model.fp16.safetensors", "pytorch_model.bin"]) {
    out[f] = new Uint8Array(readFileSync(fixtures(`models/tiny-v3/${f}`)));
  }
  for (const f of ["spm.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]) {
    out[f] = new Uint8Array(readFileSync(fixtures(`tokenizer/spm-v3-like/${f}`)));
  }
  out["README.md"] = new TextEncoder().encode("# tiny-deberta\nA test repo.\n");
  out[".gitattributes"] = new TextEncoder().encode("*.safetensors filter=lfs diff=lfs merge=lfs -text\n");
  return out;
}

export const TINY_REPO = "test-org/tiny-deberta";
export const TINY_COMMIT = "0123456789abcdef0123456789abcdef01234567";

interface Repo {
  refs: Map<string, string>;
  commits: Map<string, Map<string, FakeFile>>;
}

export class FakeHub {
  readonly requests: LoggedRequest[] = [];
  /** When set, every hub request must carry `Authorization: Bearer <token>`. */
  requiredToken?: string;
  /** File names whose next content response is cut after half the body (one-shot). */
  readonly interrupt = new Set<string>();
  /** File names whose content responses carry altered bytes (same length). */
  readonly corrupt = new Set<string>();
  /** File names whose content responses carry this many extra bytes (the announced size stays the true one). */
  readonly extra = new Map<string, number>();
  /** File names whose content responses end cleanly after half the body (Content-Length says so too). */
  readonly short = new Set<string>();
  /** File names that stay in the repo listing (and in paths-info) but whose resolve URL answers 404 EntryNotFound. */
  readonly hidden = new Set<string>();
  private readonly repos = new Map<string, Repo>();
  private readonly byEtag = new Map<string, FakeFile>();
  private hub!: http.Server;
  private cdn!: http.Server;
  hubUrl = "";
  cdnUrl = "";
  /** Host name put in CDN redirects. Python's client follows redirects to the same host name whatever the port, so a
   * check against real `huggingface_hub` needs another name (e.g. "localhost"); ours compares origins. */
  cdnHost = "127.0.0.1";

  addRepo(id: string, spec: FakeRepoSpec): void {
    const commit = spec.commit ?? TINY_COMMIT;
    const files = new Map<string, FakeFile>();
    for (const [name, bytes] of Object.entries(spec.files)) {
      const lfs = isLfs(name);
      const f: FakeFile = { bytes, lfs, etag: lfs ? sha256(bytes) : gitBlobSha1(bytes) };
      files.set(name, f);
      this.byEtag.set(f.etag, f);
    }
    this.repos.set(id, { refs: new Map([["main", commit]]), commits: new Map([[commit, files]]) });
  }

  file(repo: string, name: string): FakeFile {
    const r = this.repos.get(repo)!;
    return [...r.commits.values()][0].get(name)!;
  }

  count(filter: Partial<LoggedRequest> = {}): number {
    return this.requests.filter((r) => Object.entries(filter).every(([k, v]) => r[k as keyof LoggedRequest] === v)).length;
  }

  async start(): Promise<this> {
    this.hub = http.createServer((req, res) => this.onHub(req, res));
    this.cdn = http.createServer((req, res) => this.onCdn(req, res));
    const listen = (s: http.Server) =>
      new Promise<string>((resolve) => s.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
    this.hubUrl = await listen(this.hub);
    this.cdnUrl = await listen(this.cdn);
    return this;
  }

  async stop(): Promise<void> {
    for (const s of [this.hub, this.cdn]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  private log(server: "hub" | "cdn", req: http.IncomingMessage, body?: string): void {
    this.requests.push({ server, method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, ...(body !== undefined ? { body } : {}) });
  }

  private static readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });
  }

  /** The commit a branch, tag or sha names, or an error response sent. */
  private commitOf(res: http.ServerResponse, repoId: string, rawRev: string): { repo: Repo; commit: string } | undefined {
    const repo = this.repos.get(repoId);
    if (!repo) return void this.error(res, 404, "RepoNotFound", "Repository not found");
    const rev = decodeURIComponent(rawRev);
    const commit = repo.refs.get(rev) ?? (repo.commits.has(rev) ? rev : undefined);
    if (!commit) return void this.error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);
    return { repo, commit };
  }

  private modelInfo(id: string, commit: string, files: Map<string, FakeFile>): Record<string, unknown> {
    return {
      _id: createHash("sha1").update(id).digest("hex").slice(0, 24),
      id,
      modelId: id,
      author: id.split("/")[0],
      sha: commit,
      lastModified: "2024-01-02T03:04:05.000Z",
      createdAt: "2024-01-01T00:00:00.000Z",
      private: false,
      disabled: false,
      gated: false,
      downloads: 0,
      likes: 0,
      tags: ["deberta-v2"],
      library_name: "transformers",
      siblings: [...files.keys()].map((rfilename) => ({ rfilename })),
    };
  }

  private pathInfo(path: string, files: Map<string, FakeFile>): Record<string, unknown> | undefined {
    const f = files.get(path);
    if (f?.lfs) {
      const pointer = lfsPointer(f.bytes);
      return { type: "file", oid: gitBlobSha1(pointer), size: f.bytes.byteLength, lfs: { oid: f.etag, size: f.bytes.byteLength, pointerSize: pointer.byteLength }, path };
    }
    if (f) return { type: "file", oid: f.etag, size: f.bytes.byteLength, path };
    if ([...files.keys()].some((n) => n.startsWith(`${path}/`))) {
      return { type: "directory", oid: createHash("sha1").update(`tree ${path}`).digest("hex"), size: 0, path };
    }
    return undefined;
  }

  private error(res: http.ServerResponse, status: number, code: string | undefined, message: string): void {
    res.writeHead(status, { "content-type": "application/json", ...(code ? { "x-error-code": code } : {}) });
    res.end(JSON.stringify({ error: message }));
  }

  private onHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    const body = req.method === "POST" ? FakeHub.readBody(req) : Promise.resolve(undefined);
    body.then(
      (text) => this.routeHub(req, res, text),
      (e: Error) => this.error(res, 400, undefined, e.message),
    );
  }

  private routeHub(req: http.IncomingMessage, res: http.ServerResponse, body: string | undefined): void {
    this.log("hub", req, body);
    if (this.requiredToken !== undefined && req.headers.authorization !== `Bearer ${this.requiredToken}`) {
      return this.error(res, 401, "RepoNotFound", "Invalid credentials in Authorization header");
    }
    const url = new URL(req.url ?? "/", this.hubUrl);
    const p = url.pathname;
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(p);
    if (m && req.method === "GET") {
      const at = this.commitOf(res, m[1], m[2]);
      if (!at) return;
      const info = this.modelInfo(m[1], at.commit, at.repo.commits.get(at.commit)!);
      const expand = url.searchParams.getAll("expand");
      const unknown = expand.find((k) => !EXPANDABLE.has(k));
      if (unknown !== undefined) return this.error(res, 400, undefined, `"expand" must be one of [${[...EXPANDABLE].join(", ")}], got "${unknown}"`);
      const out = expand.length === 0 ? info : Object.fromEntries(Object.entries(info).filter(([k]) => k === "_id" || k === "id" || expand.includes(k)));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(out));
      return;
    }
    m = /^\/api\/models\/([^/]+\/[^/]+)\/paths-info\/([^/]+)$/.exec(p);
    if (m && req.method === "POST") {
      const at = this.commitOf(res, m[1], m[2]);
      if (!at) return;
      let paths: unknown;
      if ((req.headers["content-type"] ?? "").startsWith("application/json")) {
        try {
          paths = (JSON.parse(body ?? "") as { paths?: unknown }).paths;
        } catch {
          return this.error(res, 400, undefined, "Invalid JSON body");
        }
      } else {
        paths = new URLSearchParams(body ?? "").getAll("paths");
      }
      if (!Array.isArray(paths) || !paths.every((x) => typeof x === "string")) return this.error(res, 400, undefined, '"paths" must be a list of strings');
      const files = at.repo.commits.get(at.commit)!;
      const out = paths.map((x) => this.pathInfo(x, files)).filter((x) => x !== undefined);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(out));
      return;
    }
    m = /^\/api\/resolve-cache\/models\/([^/]+\/[^/]+)\/([0-9a-f]{40})\/(.+)$/.exec(p);
    if (m) {
      const f = this.repos.get(m[1])?.commits.get(m[2])?.get(decodeURIComponent(m[3]));
      if (!f) return this.error(res, 404, "EntryNotFound", "Entry not found");
      return this.sendBody(req, res, f, decodeURIComponent(m[3]), { etag: `"${f.etag}"`, "x-repo-commit": m[2] });
    }
    m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (m && (req.method === "GET" || req.method === "HEAD")) {
      const at = this.commitOf(res, m[1], m[2]);
      if (!at) return;
      const { repo, commit } = at;
      const rev = decodeURIComponent(m[2]);
      const name = decodeURIComponent(m[3]);
      const f = this.hidden.has(name) ? undefined : repo.commits.get(commit)!.get(name);
      if (!f) return this.error(res, 404, "EntryNotFound", `${name} does not exist on "${rev}"`);
      if (f.lfs) {
        res.writeHead(302, {
          location: `${this.cdnUrl.replace("127.0.0.1", this.cdnHost)}/blobs/${f.etag}?name=${encodeURIComponent(name)}&X-Amz-Signature=abc`,
          "x-repo-commit": commit,
          "x-linked-etag": `"${f.etag}"`,
          "x-linked-size": String(f.bytes.byteLength),
          etag: `"${f.etag}"`,
          "content-length": "0",
        });
        res.end();
      } else {
        res.writeHead(307, {
          location: `/api/resolve-cache/models/${m[1]}/${commit}/${m[3]}`,
          "x-repo-commit": commit,
          "content-length": "0",
        });
        res.end();
      }
      return;
    }
    this.error(res, 404, undefined, `no route for ${req.method} ${p}`);
  }

  private onCdn(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.log("cdn", req);
    const url = new URL(req.url ?? "/", this.cdnUrl);
    const m = /^\/blobs\/([0-9a-f]{64})$/.exec(url.pathname);
    const f = m ? this.byEtag.get(m[1]) : undefined;
    if (!f) return this.error(res, 404, undefined, "NoSuchKey");
    this.sendBody(req, res, f, url.searchParams.get("name") ?? "", { etag: `"cdn-${f.etag.slice(0, 8)}"` });
  }

  private sendBody(req: http.IncomingMessage, res: http.ServerResponse, f: FakeFile, name: string, headers: Record<string, string>): void {
    let body = f.bytes;
    if (this.corrupt.has(name)) {
      body = body.slice();
      body[body.length >> 1] ^= 0xff;
    }
    if (this.extra.has(name)) {
      const more = new Uint8Array(body.length + this.extra.get(name)!);
      more.set(body);
      body = more;
    }
    if (this.short.has(name)) body = body.subarray(0, body.length >> 1);
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const h: Record<string, string> = { ...headers, "accept-ranges": "bytes", "content-type": "application/octet-stream" };
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]) + 1, body.length) : body.length;
      h["content-range"] = `bytes ${start}-${end - 1}/${body.length}`;
      body = body.subarray(start, end);
      status = 206;
    }
    h["content-length"] = String(body.byteLength);
    res.writeHead(status, h);
    if (req.method === "HEAD") return void res.end();
    if (this.interrupt.has(name)) {
      this.interrupt.delete(name);
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body);
  }
}
