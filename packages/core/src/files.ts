/**
 * Where model files come from. The loaders (config, weights, tokenizer) read through this small interface so
 * the same code serves a folder on disk (Node), a hub download, in-memory bytes, or files a browser user picked.
 */
export interface ModelFiles {
  /** A label for error messages, e.g. the folder path or the hub id. */
  readonly location: string;
  /** File names (relative, `/`-separated) that exist. */
  list(): Promise<string[]>;
  has(name: string): Promise<boolean>;
  /** The whole file. Throws a `WeightsError` with code FILE_NOT_FOUND naming the file when it is absent. */
  read(name: string): Promise<Uint8Array>;
  /** Optional ranged read, so large files need not be held in memory twice. */
  readRange?(name: string, start: number, end: number): Promise<Uint8Array>;
  /** Optional ranged read into a caller's buffer: fills all of `dest` from byte `start`, or throws. */
  readInto?(name: string, start: number, dest: Uint8Array): Promise<void>;
  /** Optional size without reading. */
  size?(name: string): Promise<number>;
}

import { WeightsError } from "./errors.js";

/** Whether `x` is a `ModelFiles` (rather than, say, a path or a hub id). */
export function isModelFiles(x: unknown): x is ModelFiles {
  const o = x as Partial<ModelFiles> | null;
  return typeof o === "object" && o !== null && typeof o.read === "function" && typeof o.has === "function" && typeof o.list === "function";
}

/** Files held in memory (browser uploads, tests). */
export function memoryFiles(files: Record<string, Uint8Array>, location = "<memory>"): ModelFiles {
  return {
    location,
    async list() {
      return Object.keys(files);
    },
    async has(name) {
      return name in files;
    },
    async read(name) {
      const f = files[name];
      if (!f) throw new WeightsError(`${location}: file "${name}" not found`, "FILE_NOT_FOUND");
      return f;
    },
    async size(name) {
      const f = files[name];
      if (!f) throw new WeightsError(`${location}: file "${name}" not found`, "FILE_NOT_FOUND");
      return f.byteLength;
    },
  };
}
