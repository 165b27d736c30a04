import { TokenizerError } from "./errors.js";

/**
 * Where tokenizer files come from. Structurally identical to `ModelFiles` in `@deberta-js/core` (its
 * `directoryFiles` / `memoryFiles` can be passed in as they are), so the same loader serves a folder on disk
 * (Node, through `@deberta-js/tokenizer/node`), in-memory bytes, or files a browser user picked.
 */
export interface TokenizerFiles {
  /** A label for error messages, e.g. the folder path. */
  readonly location: string;
  /** File names (relative, `/`-separated) that exist. */
  list(): Promise<string[]>;
  has(name: string): Promise<boolean>;
  /** The whole file; throws when it is absent. */
  read(name: string): Promise<Uint8Array>;
}

/** Files held in memory (browser uploads, tests). Values may be bytes or (for JSON files) strings. */
export function memoryFiles(files: Record<string, Uint8Array | string>, location = "<memory>"): TokenizerFiles {
  const enc = new TextEncoder();
  return {
    location,
    async list() {
      return Object.keys(files).sort();
    },
    async has(name) {
      return Object.prototype.hasOwnProperty.call(files, name);
    },
    async read(name) {
      if (!Object.prototype.hasOwnProperty.call(files, name)) {
        throw new TokenizerError(`${location}: file "${name}" not found`, "FILE_NOT_FOUND");
      }
      const f = files[name]!;
      return typeof f === "string" ? enc.encode(f) : f;
    },
  };
}

/** `location/name` for messages. */
export function filePath(files: TokenizerFiles, name: string): string {
  const loc = files.location;
  if (!loc || loc.startsWith("<")) return `${loc || "<memory>"}:${name}`;
  return loc.endsWith("/") ? loc + name : `${loc}/${name}`;
}
