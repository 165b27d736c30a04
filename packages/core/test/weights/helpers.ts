// Test helpers: fixture paths, a tiny pickle assembler and a torch.save-style zip builder, so malformed
// checkpoints are built in TypeScript at test time (no python needed).
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { DebertaError } from "../../src/errors.js";
import { writeZip } from "../../src/weights/zip.js";

export const FIXTURES = fileURLToPath(new URL("../../../../fixtures/models/", import.meta.url));
export const TINY = FIXTURES + "tiny-v3";
export const MALFORMED = fileURLToPath(new URL("../fixtures-malformed/", import.meta.url));

/** Asserts that `p` rejects with a DebertaError of `code` whose message contains every part of `parts`. */
export async function expectError(p: Promise<unknown> | (() => unknown), code: string, ...parts: (string | RegExp)[]): Promise<DebertaError> {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, "expected an error").toBeInstanceOf(DebertaError);
  const e = err as DebertaError;
  expect(e.code, e.message).toBe(code);
  for (const part of parts) {
    if (typeof part === "string") expect(e.message).toContain(part);
    else expect(e.message).toMatch(part);
  }
  return e;
}

/** Minimal pickle assembler (protocol 2 opcodes). */
export class PickleWriter {
  private bytes: number[] = [];
  private enc = new TextEncoder();
  get length(): number {
    return this.bytes.length;
  }
  op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  proto(v = 2): this {
    return this.op(0x80, v);
  }
  mark(): this {
    return this.op(0x28);
  }
  str(s: string): this {
    const b = this.enc.encode(s);
    this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24);
    return this.op(...b);
  }
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n);
    if (n >= 0 && n < 65536) return this.op(0x4d, n & 0xff, n >> 8);
    return this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...this.enc.encode(`${module}\n${name}\n`));
  }
  tuple(): this {
    return this.op(0x74);
  }
  intTuple(xs: number[]): this {
    this.mark();
    for (const x of xs) this.int(x);
    return this.tuple();
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  reduce(): this {
    return this.op(0x52);
  }
  build(): this {
    return this.op(0x62);
  }
  setitems(): this {
    return this.op(0x75);
  }
  binpersid(): this {
    return this.op(0x51);
  }
  newfalse(): this {
    return this.op(0x89);
  }
  stop(): this {
    return this.op(0x2e);
  }
  toBytes(): Uint8Array {
    return new Uint8Array(this.bytes);
  }
}

export interface FakeTensor {
  key: string;
  storageKey: string;
  storageType?: string; // default FloatStorage
  numel: number;
  offset?: number;
  size: number[];
  stride?: number[];
}

function contiguousStride(size: number[]): number[] {
  const s = new Array<number>(size.length);
  let acc = 1;
  for (let i = size.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= size[i];
  }
  return s;
}

/** The pickle torch.save writes for a state dict of `tensors` (optionally as OrderedDict with `_metadata`). */
export function stateDictPickle(tensors: FakeTensor[], opts: { ordered?: boolean } = {}): Uint8Array {
  const w = new PickleWriter().proto(2);
  if (opts.ordered) w.global("collections", "OrderedDict").emptyTuple().reduce();
  else w.emptyDict();
  w.mark();
  for (const t of tensors) {
    w.str(t.key).global("torch._utils", "_rebuild_tensor_v2").mark();
    w.mark().str("storage").global("torch", t.storageType ?? "FloatStorage").str(t.storageKey).str("cpu").int(t.numel).tuple().binpersid();
    w.int(t.offset ?? 0).intTuple(t.size).intTuple(t.stride ?? contiguousStride(t.size)).newfalse();
    w.global("collections", "OrderedDict").emptyTuple().reduce();
    w.tuple().reduce();
  }
  w.setitems();
  if (opts.ordered) {
    // state = {"_metadata": OrderedDict({"": {"version": 1}})}
    w.emptyDict().str("_metadata").global("collections", "OrderedDict").emptyTuple().reduce();
    w.mark().str("").emptyDict().mark().str("version").int(1).setitems().setitems();
    w.op(0x73); // SETITEM
    w.build();
  }
  return w.stop().toBytes();
}

/** A torch.save-style zip: `<archive>/data.pkl`, `<archive>/data/<key>`, `<archive>/version`. */
export function torchZip(pkl: Uint8Array, storages: Record<string, Uint8Array>, archive = "archive"): Uint8Array {
  const files: Array<[string, Uint8Array]> = [[`${archive}/data.pkl`, pkl]];
  for (const [k, v] of Object.entries(storages)) files.push([`${archive}/data/${k}`, v]);
  files.push([`${archive}/version`, new TextEncoder().encode("3\n")]);
  return writeZip(files);
}

export function f32Bytes(values: number[] | Float32Array): Uint8Array {
  const f = Float32Array.from(values);
  return new Uint8Array(f.buffer);
}
