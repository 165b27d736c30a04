/**
 * A fake Hugging Face hub on 127.0.0.1 for the hub tests, speaking the subset of the hub's HTTP protocol that
 * `huggingface_hub` (and our client) use:
 *   GET  /api/models/{repo}/revision/{rev}              → { id, sha, siblings: [{ rfilename }] }
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
  path: string;
  authorization?: string;
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
  /** File names that stay in the repo listing but whose resolve URL answers 404 EntryNotFound. */
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

  private log(server: "hub" | "cdn", req: http.IncomingMessage): void {
    this.requests.push({ server, method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization });
  }

  private error(res: http.ServerResponse, status: number, code: string | undefined, message: string): void {
    res.writeHead(status, { "content-type": "application/json", ...(code ? { "x-error-code": code } : {}) });
    res.end(JSON.stringify({ error: message }));
  }

  private onHub(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.log("hub", req);
    if (this.requiredToken !== undefined && req.headers.authorization !== `Bearer ${this.requiredToken}`) {
      return this.error(res, 401, "RepoNotFound", "Invalid credentials in Authorization header");
    }
    const url = new URL(req.url ?? "/", this.hubUrl);
    const p = url.pathname;
    let m = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(p);
    if (m && req.method === "GET") {
      const repo = this.repos.get(m[1]);
      if (!repo) return this.error(res, 404, "RepoNotFound", "Repository not found");
      const rev = decodeURIComponent(m[2]);
      const commit = repo.refs.get(rev) ?? (repo.commits.has(rev) ? rev : undefined);
      if (!commit) return this.error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);
      const files = repo.commits.get(commit)!;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: m[1], sha: commit, siblings: [...files.keys()].map((rfilename) => ({ rfilename })) }));
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
      const repo = this.repos.get(m[1]);
      if (!repo) return this.error(res, 404, "RepoNotFound", "Repository not found");
      const rev = decodeURIComponent(m[2]);
      const commit = repo.refs.get(rev) ?? (repo.commits.has(rev) ? rev : undefined);
      if (!commit) return this.error(res, 404, "RevisionNotFound", `Invalid rev id: ${rev}`);
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
