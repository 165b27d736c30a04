// Node-only: a model folder on disk as `ModelFiles`. Imported through `@deberta-js/core/node`, never from the
// browser entry.
import { promises as fs } from "node:fs";
import * as path from "node:path";
import type { ModelFiles } from "../files.js";
import { WeightsError } from "../errors.js";

/** Largest single read(2): Linux caps one call at ~2 GiB, and smaller calls keep the event loop responsive. */
const MAX_READ = 1 << 30;
/** A read larger than this is split into pieces read concurrently (see `readFileInto`). */
const READ_SPLIT = 4 << 20;
/** Pieces in flight at once (libuv's default thread pool has 4 threads). */
const READ_PARALLEL = 4;

export function directoryFiles(dir: string): ModelFiles {
  const root = path.resolve(dir);
  const resolve = (name: string) => {
    const p = path.resolve(root, name);
    if (p !== root && !p.startsWith(root + path.sep)) {
      throw new WeightsError(`${root}: file name "${name}" escapes the model folder`);
    }
    return p;
  };
  const notFound = (name: string, cause: unknown) =>
    new WeightsError(`${path.join(root, name)}: file not found`, "FILE_NOT_FOUND", { cause });
  /**
   * Positional reads into `dest` through one file handle: no whole-file buffer, no intermediate copy. A large
   * range is read as `READ_SPLIT`-byte pieces, `READ_PARALLEL` at a time: filling fresh memory is bound by page
   * faults (the kernel zeroes and maps every page), which run in parallel on libuv's threads.
   */
  const readFileInto = async (name: string, start: number, dest: Uint8Array): Promise<void> => {
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(resolve(name), "r");
      const file = fh;
      const piece = async (from: number, to: number) => {
        let off = from;
        while (off < to) {
          const { bytesRead } = await file.read(dest, off, Math.min(to - off, MAX_READ), start + off);
          if (bytesRead === 0) throw new WeightsError(`${path.join(root, name)}: file ends at byte ${start + off}, expected ${start + dest.byteLength}`);
          off += bytesRead;
        }
      };
      if (dest.byteLength <= READ_SPLIT) await piece(0, dest.byteLength);
      else {
        let next = 0;
        const worker = async () => {
          while (next < dest.byteLength) {
            const from = next;
            next = Math.min(dest.byteLength, next + READ_SPLIT);
            await piece(from, next);
          }
        };
        await Promise.all(Array.from({ length: READ_PARALLEL }, worker));
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw notFound(name, e);
      throw e;
    } finally {
      await fh?.close();
    }
  };
  return {
    location: root,
    async list() {
      const out: string[] = [];
      const walk = async (rel: string) => {
        const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
        for (const e of entries) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) await walk(r);
          else out.push(r);
        }
      };
      try {
        await walk("");
      } catch (e) {
        throw new WeightsError(`${root}: cannot read the model folder`, "FILE_NOT_FOUND", { cause: e });
      }
      return out.sort();
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
        if ((e as NodeJS.ErrnoException).code === "ENOENT") throw notFound(name, e);
        throw e;
      }
    },
    async readRange(name, start, end) {
      const out = new Uint8Array(end - start);
      await readFileInto(name, start, out);
      return out;
    },
    async readInto(name, start, dest) {
      await readFileInto(name, start, dest);
    },
    async size(name) {
      try {
        return (await fs.stat(resolve(name))).size;
      } catch (e) {
        throw notFound(name, e);
      }
    },
  };
}
