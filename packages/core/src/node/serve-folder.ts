// Node-only: serves a model folder on 127.0.0.1 with HTTP Range support — what `urlFiles` reads in tests and in the
// browser load benchmark (a static file server as any CDN or `npx serve` would be). Files are streamed from disk,
// never held whole.
import { createReadStream, promises as fs } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

export interface ServedFolder {
  /** e.g. `http://127.0.0.1:40123/` (the folder's files are below it). */
  url: string;
  close(): Promise<void>;
}

export interface ServeFolderOptions {
  /** Answer ranged requests with the whole file (a server without Range support), for tests. */
  noRange?: boolean;
  /** Extra routes tried first (the page of a browser test); return true when handled. */
  route?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;
  /** Cross-origin isolation headers (COOP/COEP) on every answer. */
  isolated?: boolean;
}

export async function serveFolder(dir: string, opts: ServeFolderOptions = {}): Promise<ServedFolder> {
  const root = path.resolve(dir);
  const server = http.createServer(async (req, res) => {
    try {
      if (opts.isolated) {
        res.setHeader("cross-origin-opener-policy", "same-origin");
        res.setHeader("cross-origin-embedder-policy", "require-corp");
        res.setHeader("cross-origin-resource-policy", "same-origin");
      }
      if (opts.route && (await opts.route(req, res))) return;
      const rel = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname).replace(/^\/+/, "");
      const file = path.resolve(root, rel);
      const stat = file.startsWith(root + path.sep) ? await fs.stat(file).catch(() => undefined) : undefined;
      if (!stat?.isFile()) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader("content-type", "application/octet-stream");
      if (!opts.noRange) res.setHeader("accept-ranges", "bytes");
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      let start = 0;
      let end = stat.size - 1;
      if (m && !opts.noRange) {
        start = Number(m[1]);
        end = m[2] ? Math.min(Number(m[2]), stat.size - 1) : stat.size - 1;
        if (start > end) {
          res.statusCode = 416;
          res.setHeader("content-range", `bytes */${stat.size}`);
          res.end();
          return;
        }
        res.statusCode = 206;
        res.setHeader("content-range", `bytes ${start}-${end}/${stat.size}`);
      }
      res.setHeader("content-length", String(end - start + 1));
      if (req.method === "HEAD") {
        res.end();
        return;
      }
      createReadStream(file, { start, end, highWaterMark: 1 << 20 }).pipe(res);
    } catch {
      res.statusCode = 500;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
