#!/usr/bin/env node
/**
 * A small static server for the built demo (`dist/`), on 127.0.0.1 only. Prints the URL on stdout (logs go to
 * stderr). Sends correct MIME types (`.wasm` included: `WebAssembly.instantiateStreaming` insists on it) and the
 * cross-origin isolation headers (COOP same-origin + COEP require-corp, see isolation.mjs), so the page is
 * `crossOriginIsolated`: SharedArrayBuffer exists and the CPU backend's WASM kernels run on worker threads.
 *
 *   node scripts/serve.mjs [--port 5178] [--host 127.0.0.1] [--dir dist]
 *
 * Port 0 picks a free port. Also usable from tests: `import { serve } from "./serve.mjs"`.
 */
import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ISOLATION_HEADERS } from "./isolation.mjs";

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".wasm": "application/wasm",
  ".wgsl": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
  // Model files: opaque bytes.
  ".safetensors": "application/octet-stream",
  ".model": "application/octet-stream",
  ".bin": "application/octet-stream",
  ".vocab": "text/plain; charset=utf-8",
};

const SECURITY_HEADERS = {
  ...ISOLATION_HEADERS,
  "x-content-type-options": "nosniff",
};

/**
 * Serves `dir` on `host:port`. Resolves to `{ url, server, close() }` once listening.
 * @param {{ dir?: string, host?: string, port?: number, log?: (m: string) => void }} [opts]
 */
export function serve(opts = {}) {
  const root = resolve(opts.dir ?? fileURLToPath(new URL("../dist", import.meta.url)));
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? (() => {});
  const server = createServer((req, res) => {
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, ...SECURITY_HEADERS });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed\n");
    let path;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      return send(400, "bad request\n");
    }
    let file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return send(403, "forbidden\n");
    let st;
    try {
      st = statSync(file);
      if (st.isDirectory()) {
        file = join(file, "index.html");
        st = statSync(file);
      }
    } catch {
      log(`404 ${path}`);
      return send(404, `not found: ${path}\n`);
    }
    const type = MIME[extname(file).toLowerCase()] ?? "application/octet-stream";
    // Hashed assets never change; everything else (index.html, models) is revalidated.
    const cache = path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
    res.writeHead(200, { "content-type": type, "content-length": st.size, "cache-control": cache, ...SECURITY_HEADERS });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 5178, host, () => {
      const addr = server.address();
      const url = `http://${host}:${typeof addr === "object" && addr ? addr.port : opts.port}/`;
      resolvePromise({ url, server, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const dir = resolve(arg("dir", fileURLToPath(new URL("../dist", import.meta.url))));
  try {
    statSync(join(dir, "index.html"));
  } catch {
    process.stderr.write(`serve: ${dir}/index.html not found; build the demo first (pnpm --filter @deberta-js/demo build)\n`);
    process.exit(1);
  }
  const port = Number(arg("port", process.env.PORT ?? "5178"));
  const host = arg("host", "127.0.0.1");
  serve({ dir, host, port, log: (m) => process.stderr.write(`serve: ${m}\n`) }).then(
    ({ url }) => {
      process.stderr.write(`serve: serving ${dir} (Ctrl+C to stop)\n`);
      process.stdout.write(`${url}\n`);
    },
    (e) => {
      const hint = e.code === "EADDRINUSE" ? ` (port ${port} is busy; pass --port 0 for a free one, or --port N)` : "";
      process.stderr.write(`serve: cannot listen on ${host}:${port}: ${e.message}${hint}\n`);
      process.exit(1);
    },
  );
}
