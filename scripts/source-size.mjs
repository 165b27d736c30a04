#!/usr/bin/env node
// Guard: no TypeScript source file in packages/*/src is longer than MAX_LINES lines (one concept per file; split a
// file that grows past it). Run as `pnpm check:size`; core's test suite runs it too (test/source-size.test.ts).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const MAX_LINES = 600;

/**
 * Files allowed to be longer. ONLY kernel source strings: a WGSL / CUDA C++ kernel is one unit of GPU code that
 * reads best in one piece, and its length is the kernel's, not a sign of mixed concerns. Every entry says why.
 * Do not add ordinary TypeScript here: split it instead.
 */
export const ALLOWED = [
  { pattern: /^packages\/backend-webgpu\/src\/kernels\/[^/]+\.wgsl\.ts$/, why: "WGSL kernel source strings" },
  { pattern: /^packages\/backend-cuda\/src\/kernels\/[^/]+\.cu\.ts$/, why: "CUDA C++ kernel source strings (NVRTC)" },
];

/** Every `*.ts` / `*.mts` / `*.tsx` under `packages/<pkg>/src`, as repository-relative paths. */
export function sourceFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== "node_modules") walk(path);
      } else if (/\.(m?ts|tsx)$/.test(name)) out.push(relative(root, path).split("\\").join("/"));
    }
  };
  for (const pkg of readdirSync(join(root, "packages"))) {
    const src = join(root, "packages", pkg, "src");
    try {
      if (statSync(src).isDirectory()) walk(src);
    } catch {
      /* a package without src */
    }
  }
  return out.sort();
}

export function lineCount(text) {
  if (!text) return 0;
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/** The files over `MAX_LINES` that the allow-list does not cover, with their line counts. */
export function oversizedSources(root) {
  return sourceFiles(root)
    .map((file) => ({ file, lines: lineCount(readFileSync(join(root, file), "utf8")) }))
    .filter(({ file, lines }) => lines > MAX_LINES && !ALLOWED.some((a) => a.pattern.test(file)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const over = oversizedSources(root);
  for (const { file, lines } of over) console.error(`${file}: ${lines} lines > ${MAX_LINES}`);
  if (over.length) {
    console.error(`${over.length} source file(s) exceed ${MAX_LINES} lines: split them (one concept per file).`);
    process.exit(1);
  }
  console.log(`source size: every packages/*/src file is within ${MAX_LINES} lines (kernel source strings excepted)`);
}
