/**
 * Node-only helpers (`@deberta-js/tokenizer/node`): read a model folder from disk. Everything else comes from
 * the browser-safe main entry.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { TokenizerError } from "../errors.js";
import type { TokenizerFiles } from "../files.js";
import { loadFastTokenizer, loadSlowTokenizer, type LoadOptions, type TokenizerSource } from "../load.js";
import type { DebertaV2TokenizerFast } from "../tokenizer-fast.js";
import type { DebertaV2Tokenizer } from "../tokenizer-slow.js";

/** A model folder on disk as `TokenizerFiles`. */
export function directoryFiles(dir: string): TokenizerFiles {
  if (typeof dir !== "string" || dir.length === 0) {
    throw new TokenizerError(`directoryFiles: expected a folder path, got ${JSON.stringify(dir)}`, "INVALID_ARGUMENT");
  }
  const root = path.resolve(dir);
  const resolve = (name: string) => {
    const p = path.resolve(root, name);
    if (p !== root && !p.startsWith(root + path.sep)) {
      throw new TokenizerError(`${root}: file name "${name}" escapes the model folder`, "INVALID_ARGUMENT");
    }
    return p;
  };
  return {
    location: root,
    async list() {
      try {
        return (await fs.readdir(root, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
      } catch (e) {
        throw new TokenizerError(`${root}: cannot read the model folder`, "FILE_NOT_FOUND", { cause: e });
      }
    },
    async has(name) {
      try {
        return (await fs.stat(resolve(name))).isFile();
      } catch {
        return false;
      }
    },
    async read(name) {
      try {
        const buf = await fs.readFile(resolve(name));
        return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") {
          throw new TokenizerError(`${path.join(root, name)}: file not found`, "FILE_NOT_FOUND", { cause: e });
        }
        throw new TokenizerError(`${path.join(root, name)}: cannot read the file (${code ?? (e as Error).message})`, "FILE_NOT_FOUND", { cause: e });
      }
    },
  };
}

async function sourceOf(dirOrSource: string | TokenizerSource): Promise<TokenizerSource> {
  if (typeof dirOrSource !== "string") return dirOrSource;
  let st;
  try {
    st = await fs.stat(dirOrSource);
  } catch (e) {
    throw new TokenizerError(`${path.resolve(dirOrSource)}: model folder not found`, "FILE_NOT_FOUND", { cause: e });
  }
  if (!st.isDirectory()) throw new TokenizerError(`${path.resolve(dirOrSource)}: not a folder`, "FILE_NOT_FOUND");
  return directoryFiles(dirOrSource);
}

/** Loads the fast tokenizer from a folder path (or any source). */
export async function loadTokenizer(dirOrSource: string | TokenizerSource, options?: LoadOptions): Promise<DebertaV2TokenizerFast> {
  return loadFastTokenizer(await sourceOf(dirOrSource), options);
}

export { loadTokenizer as loadFastTokenizerFromDir };

/** Loads the slow tokenizer from a folder path (or any source). */
export async function loadSlowTokenizerFromDir(dirOrSource: string | TokenizerSource, options?: LoadOptions): Promise<DebertaV2Tokenizer> {
  return loadSlowTokenizer(await sourceOf(dirOrSource), options);
}

export { runTokenizerBenchmark, buildBenchCorpus, BENCH_IMPLEMENTATIONS, type TokenizerBenchOptions, type BenchReport, type BenchResult, type BenchImplementation } from "./bench.js";
