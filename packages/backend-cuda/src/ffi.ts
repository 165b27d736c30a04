/**
 * koffi, loaded lazily: importing this package must never throw, even where koffi's prebuilt binary cannot load.
 */
import { createRequire } from "node:module";

export type Koffi = typeof import("koffi");

let cached: Koffi | undefined;
let failure: string | undefined;

export function loadKoffi(): Koffi {
  if (cached) return cached;
  if (failure) throw new Error(failure);
  try {
    cached = createRequire(import.meta.url)("koffi") as Koffi;
    return cached;
  } catch (e) {
    failure = `the koffi FFI module could not be loaded (${(e as Error).message})`;
    throw new Error(failure);
  }
}

/** Opens a shared library; the error names the library and dlopen's reason. */
export function openLibrary(path: string): ReturnType<Koffi["load"]> {
  const koffi = loadKoffi();
  try {
    return koffi.load(path);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** A C string result or out-parameter as a JS string (koffi gives strings, or pointers for `void*`). */
export function cString(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint" && v !== 0n) return loadKoffi().decode.string(v);
  if (typeof v === "number" && v !== 0) return loadKoffi().decode.string(BigInt(v));
  return "";
}
