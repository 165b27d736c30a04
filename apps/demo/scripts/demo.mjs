#!/usr/bin/env node
/**
 * `pnpm demo`: builds the demo and the workspace packages it uses (turbo, cached: a second run is quick), then serves
 * `dist/` on 127.0.0.1 and prints the URL on stdout. Build logs go to stderr.
 *
 *   node scripts/demo.mjs [--port 5178] [--no-build]
 *
 * When the port is taken, a free one is used instead.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { serve } from "./serve.mjs";

const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const rootDir = join(appDir, "..", "..");
const args = process.argv.slice(2);
const log = (m) => process.stderr.write(`demo: ${m}\n`);

function build() {
  const turbo = join(rootDir, "node_modules", ".bin", process.platform === "win32" ? "turbo.cmd" : "turbo");
  const [cmd, cmdArgs] = existsSync(turbo)
    ? [turbo, ["run", "build", "--filter=@deberta-js/demo...", "--output-logs=errors-only"]]
    : ["pnpm", ["-r", "--filter", "@deberta-js/demo...", "run", "build"]];
  log(`building: ${[cmd.startsWith(rootDir) ? "turbo" : cmd, ...cmdArgs].join(" ")}`);
  // Build output to stderr: stdout carries only the URL.
  const r = spawnSync(cmd, cmdArgs, { cwd: rootDir, stdio: ["ignore", process.stderr, process.stderr], shell: process.platform === "win32" });
  if (r.error) {
    log(`cannot run ${cmd}: ${r.error.message}`);
    process.exit(1);
  }
  if (r.status !== 0) {
    log(`the build failed (exit ${r.status}); see the messages above`);
    process.exit(r.status ?? 1);
  }
}

if (!args.includes("--no-build")) build();
if (!existsSync(join(appDir, "dist", "index.html"))) {
  log("dist/index.html is missing after the build");
  process.exit(1);
}

const i = args.indexOf("--port");
const port = Number(i >= 0 ? args[i + 1] : (process.env.PORT ?? 5178));
const dir = join(appDir, "dist");
const srvLog = (m) => process.stderr.write(`serve: ${m}\n`);
let server;
try {
  server = await serve({ dir, port, log: srvLog });
} catch (e) {
  if (e.code !== "EADDRINUSE") throw e;
  log(`port ${port} is busy; using a free port`);
  server = await serve({ dir, port: 0, log: srvLog });
}
log(`serving ${dir} — open the URL below in a browser with WebGPU (Chrome, Edge) or any modern browser for the CPU; Ctrl+C stops`);
process.stdout.write(`${server.url}\n`);
