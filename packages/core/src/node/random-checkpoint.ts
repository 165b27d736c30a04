/**
 * Writes random-weight checkpoints of a config's real shape — `model.safetensors`, sharded safetensors, or a
 * torch.save `pytorch_model.bin` — for load benchmarks and memory tests without downloading a model.
 *
 * Streaming on purpose: tensors are generated and written a chunk at a time, so writing deberta-v2-xxlarge
 * (6 GB of fp32) needs a few MB of memory. The parameter list comes from building the model itself against a
 * recording store, so it is exactly the set of names and shapes `fromPretrained` asks for.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { crc32 as zlibCrc32 } from "node:zlib";
import type { Backend } from "../backend.js";
import type { DebertaV2Config } from "../config.js";
import { f32ToF16Into } from "../dtype.js";
import { DebertaV2Model } from "../model/deberta.js";
import { Params } from "../model/params.js";
import { Tensor } from "../tensor.js";
import type { HostTensor } from "../weights/state-dict.js";
import { WeightStore } from "../weights/store.js";

export type RandomCheckpointFormat = "safetensors" | "sharded" | "bin";

export interface RandomCheckpointOptions {
  format: RandomCheckpointFormat;
  /** File dtype (default F32). */
  dtype?: "F32" | "F16";
  /** Shard size for "sharded" (default 2 GB, HF's `max_shard_size` default is 5 GB; smaller shows sharding). */
  maxShardBytes?: number;
  /** Prefix every key with "deberta." as HF head checkpoints do (default true). */
  basePrefix?: boolean;
  seed?: number;
}

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** The names and shapes of every parameter `DebertaV2Model` loads for `config`, in build order. */
export function parameterSpecs(config: DebertaV2Config): ParamSpec[] {
  const specs: ParamSpec[] = [];
  class Recording extends WeightStore {
    constructor() {
      super(new Map());
    }
    override has(): boolean {
      return true;
    }
    override get(name: string, shape?: readonly number[]): HostTensor {
      specs.push({ name, shape: [...(shape ?? [])] });
      return { dtype: "f32", shape: [...(shape ?? [])], data: new Float32Array(0) };
    }
  }
  // A backend that only records shapes: nothing is allocated.
  const shapes = {
    name: "shapes",
    supportsDtype: () => true,
    upload: (_d: unknown, shape: readonly number[], dtype: "f32") => new Tensor(shapes, null, [...shape], dtype),
    dispose: () => undefined,
  } as unknown as Backend;
  DebertaV2Model.load(new Params(shapes, new Recording(), "f32"), config);
  return specs;
}

const ITEM = { F32: 4, F16: 2 } as const;
const CHUNK = 1 << 20; // elements per generated chunk

/** Fills a tensor's bytes chunk by chunk (LayerNorm weights 1, biases 0, others uniform with std 0.02). */
async function* tensorChunks(spec: ParamSpec, dtype: "F32" | "F16", seed: number): AsyncGenerator<Uint8Array> {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const isLnWeight = /LayerNorm\.weight$/.test(spec.name);
  const isBias = /bias$/.test(spec.name);
  const f = new Float32Array(Math.min(n, CHUNK));
  const h = dtype === "F16" ? new Uint16Array(f.length) : undefined;
  let s = seed >>> 0 || 1;
  const a = 0.02 * Math.sqrt(3);
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    if (isLnWeight) f.fill(1, 0, m);
    else if (isBias) f.fill(0, 0, m);
    else {
      for (let k = 0; k < m; k++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        f[k] = ((s >>> 0) / 4294967296 - 0.5) * 2 * a;
      }
    }
    if (h) {
      f32ToF16Into(f, h, m);
      yield new Uint8Array(h.buffer, 0, m * 2);
    } else yield new Uint8Array(f.buffer, 0, m * 4);
  }
}

function bytesOf(spec: ParamSpec, dtype: "F32" | "F16"): number {
  return spec.shape.reduce((a, b) => a * b, 1) * ITEM[dtype];
}

/** Writes `config.json` and a random checkpoint into `dir`; returns the files written and the weight bytes. */
export async function writeRandomCheckpoint(
  dir: string,
  config: DebertaV2Config,
  configJson: Record<string, unknown>,
  opts: RandomCheckpointOptions,
): Promise<{ files: string[]; weightBytes: number; parameters: number }> {
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, "config.json"), JSON.stringify(configJson, null, 2));
  const dtype = opts.dtype ?? "F32";
  const prefix = opts.basePrefix === false ? "" : "deberta.";
  const specs = parameterSpecs(config).map((s) => ({ ...s, name: prefix + s.name.replace(/^deberta\./, "") }));
  const seed = opts.seed ?? 1;
  const weightBytes = specs.reduce((a, s) => a + bytesOf(s, dtype), 0);
  const parameters = specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
  let files: string[];
  if (opts.format === "bin") files = [await writeTorchZip(path.join(dir, "pytorch_model.bin"), specs, dtype, seed)];
  else if (opts.format === "safetensors") files = [await writeSafetensorsStream(path.join(dir, "model.safetensors"), specs, dtype, seed)];
  else files = await writeSharded(dir, specs, dtype, seed, opts.maxShardBytes ?? 2e9);
  return { files: ["config.json", ...files.map((f) => path.basename(f))], weightBytes, parameters };
}

async function writeSafetensorsStream(file: string, specs: ParamSpec[], dtype: "F32" | "F16", seed: number): Promise<string> {
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let off = 0;
  for (const s of specs) {
    const b = bytesOf(s, dtype);
    header[s.name] = { dtype, shape: s.shape, data_offsets: [off, off + b] };
    off += b;
  }
  let json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const fh = await fs.open(file, "w");
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    await fh.write(len);
    await fh.write(json);
    let i = 0;
    for (const s of specs) for await (const c of tensorChunks(s, dtype, seed + i++)) await fh.write(c);
  } finally {
    await fh.close();
  }
  return file;
}

async function writeSharded(dir: string, specs: ParamSpec[], dtype: "F32" | "F16", seed: number, maxShard: number): Promise<string[]> {
  const shards: ParamSpec[][] = [[]];
  let size = 0;
  for (const s of specs) {
    const b = bytesOf(s, dtype);
    if (size > 0 && size + b > maxShard) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(s);
    size += b;
  }
  const n = shards.length;
  const names = shards.map((_, i) => `model-${String(i + 1).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.safetensors`);
  const weightMap: Record<string, string> = {};
  shards.forEach((sh, i) => sh.forEach((s) => (weightMap[s.name] = names[i])));
  const total = specs.reduce((a, s) => a + bytesOf(s, dtype), 0);
  const index = path.join(dir, "model.safetensors.index.json");
  await fs.writeFile(index, JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
  const out = [index];
  for (let i = 0; i < n; i++) out.push(await writeSafetensorsStream(path.join(dir, names[i]), shards[i], dtype, seed + 1000 * i));
  return out;
}

// ── torch.save zip ────────────────────────────────────────────────────────────────────────────────────────────

/** The pickle of a state dict of one storage per tensor (what torch.save writes for `model.state_dict()`). */
function stateDictPickle(specs: ParamSpec[], dtype: "F32" | "F16"): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  const op = (...b: number[]) => out.push(...b);
  const str = (s: string) => {
    const b = enc.encode(s);
    op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
  };
  const int = (n: number) => {
    if (n < 256) op(0x4b, n);
    else if (n < 65536) op(0x4d, n & 0xff, n >> 8);
    else if (n < 2 ** 31) op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff);
    else {
      // LONG1 with 8 little-endian bytes
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, BigInt(n), true);
      op(0x8a, 8, ...b);
    }
  };
  const global = (m: string, n: string) => op(0x63, ...enc.encode(`${m}\n${n}\n`));
  const intTuple = (xs: number[]) => {
    op(0x28);
    xs.forEach(int);
    op(0x74);
  };
  op(0x80, 2);
  global("collections", "OrderedDict");
  op(0x29, 0x52, 0x28); // () REDUCE MARK
  specs.forEach((s, i) => {
    const numel = s.shape.reduce((a, b) => a * b, 1);
    const stride = s.shape.map((_, d) => s.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    str(s.name);
    global("torch._utils", "_rebuild_tensor_v2");
    op(0x28, 0x28); // MARK (args) MARK (persistent id)
    str("storage");
    global("torch", dtype === "F32" ? "FloatStorage" : "HalfStorage");
    str(String(i));
    str("cpu");
    int(numel);
    op(0x74, 0x51); // TUPLE BINPERSID
    int(0);
    intTuple(s.shape);
    intTuple(stride);
    op(0x89); // False
    global("collections", "OrderedDict");
    op(0x29, 0x52, 0x74, 0x52); // () REDUCE TUPLE REDUCE
  });
  op(0x75, 0x2e); // SETITEMS STOP
  return new Uint8Array(out);
}

/**
 * A stored zip like torch.save writes: entries `archive/data.pkl`, `archive/byteorder`, `archive/data/<i>`,
 * `archive/version`, data 64-byte aligned, ZIP64 records when the archive passes 4 GB.
 */
async function writeTorchZip(file: string, specs: ParamSpec[], dtype: "F32" | "F16", seed: number): Promise<string> {
  const enc = new TextEncoder();
  const fh = await fs.open(file, "w");
  const central: Buffer[] = [];
  let offset = 0;
  const write = async (b: Uint8Array) => {
    await fh.write(b);
    offset += b.byteLength;
  };
  const entry = async (name: string, size: number, crc: number, body: () => AsyncIterable<Uint8Array>) => {
    const nameBytes = enc.encode(name);
    const base = offset + 30 + nameBytes.length + 4;
    const pad = (64 - (base % 64)) % 64;
    const local = Buffer.alloc(30 + nameBytes.length + 4 + pad);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(4 + pad, 28);
    local.set(nameBytes, 30);
    local.writeUInt16LE(0x4246, 30 + nameBytes.length);
    local.writeUInt16LE(pad, 32 + nameBytes.length);
    const localOffset = offset;
    await write(local);
    for await (const c of body()) await write(c);
    const big = localOffset >= 0xffffffff;
    const c = Buffer.alloc(46 + nameBytes.length + (big ? 12 : 0));
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(45, 6);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(size, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(nameBytes.length, 28);
    c.writeUInt32LE(big ? 0xffffffff : localOffset, 42);
    c.set(nameBytes, 46);
    if (big) {
      c.writeUInt16LE(12, 30);
      c.writeUInt16LE(0x0001, 46 + nameBytes.length);
      c.writeUInt16LE(8, 48 + nameBytes.length);
      c.writeBigUInt64LE(BigInt(localOffset), 50 + nameBytes.length);
    }
    central.push(c);
  };
  const small = (name: string, data: Uint8Array) =>
    entry(name, data.byteLength, zlibCrc32(data) >>> 0, async function* () {
      yield data;
    });
  try {
    await small("archive/data.pkl", stateDictPickle(specs, dtype));
    await small("archive/byteorder", enc.encode("little"));
    for (let i = 0; i < specs.length; i++) {
      const s = specs[i];
      let crc = 0;
      for await (const c of tensorChunks(s, dtype, seed + i)) crc = zlibCrc32(c, crc);
      await entry(`archive/data/${i}`, bytesOf(s, dtype), crc >>> 0, () => tensorChunks(s, dtype, seed + i));
    }
    await small("archive/version", enc.encode("3\n"));
    const cdOffset = offset;
    for (const c of central) await write(c);
    const cdSize = offset - cdOffset;
    const zip64 = cdOffset >= 0xffffffff || central.length >= 0xffff;
    if (zip64) {
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(0x06064b50, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(central.length), 24);
      rec.writeBigUInt64LE(BigInt(central.length), 32);
      rec.writeBigUInt64LE(BigInt(cdSize), 40);
      rec.writeBigUInt64LE(BigInt(cdOffset), 48);
      const recOffset = offset;
      await write(rec);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeBigUInt64LE(BigInt(recOffset), 8);
      loc.writeUInt32LE(1, 16);
      await write(loc);
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(zip64 ? 0xffff : central.length, 8);
    eocd.writeUInt16LE(zip64 ? 0xffff : central.length, 10);
    eocd.writeUInt32LE(zip64 ? 0xffffffff : cdSize, 12);
    eocd.writeUInt32LE(zip64 ? 0xffffffff : cdOffset, 16);
    await write(eocd);
  } finally {
    await fh.close();
  }
  return file;
}
