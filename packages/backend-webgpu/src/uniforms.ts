/**
 * Kernel parameters: every kernel reads a small uniform struct at `@group(0) @binding(0)`.
 *
 * `ParamLayout` describes it once — scalar fields (u32 / i32 / f32), then fixed arrays of u32 (packed as
 * `array<vec4<u32>, n>`, the stride uniform arrays need) — and gives both the WGSL declaration and the host packing.
 *
 * `UniformArena` hands out 256-byte-aligned slots of big uniform buffers. Slot contents are staged on the host and
 * written with one `queue.writeBuffer` per arena buffer right before the encoder is submitted, so every dispatch of
 * the encoder sees its own parameters (a `writeBuffer` per dispatch into a reused buffer would be seen by all of them).
 */
import { BufferUsage } from "./gpu-constants.js";

export type ScalarType = "u32" | "i32" | "f32";

export class ParamLayout {
  readonly words: number;
  private readonly offsets = new Map<string, { offset: number; type: ScalarType | "array"; length: number }>();
  readonly wgsl: string;

  constructor(scalars: Record<string, ScalarType>, arrays: Record<string, number> = {}) {
    const lines: string[] = [];
    let w = 0;
    for (const [name, type] of Object.entries(scalars)) {
      this.offsets.set(name, { offset: w, type, length: 1 });
      lines.push(`  ${name}: ${type},`);
      w++;
    }
    let pad = 0;
    while (w % 4) {
      lines.push(`  _pad${pad++}: u32,`);
      w++;
    }
    const accessors: string[] = [];
    for (const [name, length] of Object.entries(arrays)) {
      const vecs = Math.ceil(length / 4);
      this.offsets.set(name, { offset: w, type: "array", length: vecs * 4 });
      lines.push(`  ${name}: array<vec4<u32>, ${vecs}>,`);
      accessors.push(`fn ${name}_at(i: u32) -> u32 { return u.${name}[i / 4u][i % 4u]; }`);
      w += vecs * 4;
    }
    if (w === 0) {
      lines.push("  _empty: vec4<u32>,");
      w = 4;
    }
    this.words = w;
    this.wgsl = `struct Params {\n${lines.join("\n")}\n}\n@group(0) @binding(0) var<uniform> u: Params;\n${accessors.join("\n")}\n`;
  }

  pack(values: Record<string, number | readonly number[]>): Uint32Array {
    const out = new Uint32Array(this.words);
    const f = new Float32Array(out.buffer);
    const i = new Int32Array(out.buffer);
    for (const [name, v] of Object.entries(values)) {
      const o = this.offsets.get(name);
      if (!o) throw new Error(`ParamLayout: no field "${name}"`);
      if (o.type === "array") {
        const arr = v as readonly number[];
        if (arr.length > o.length) throw new Error(`ParamLayout: "${name}" holds ${o.length} values, got ${arr.length}`);
        for (let k = 0; k < arr.length; k++) out[o.offset + k] = arr[k];
      } else if (o.type === "f32") f[o.offset] = v as number;
      else if (o.type === "i32") i[o.offset] = v as number;
      else out[o.offset] = v as number;
    }
    return out;
  }

  /** The fields of packed words (arrays in full, padding included): the inverse of `pack`, for tests and debugging. */
  unpack(words: Uint32Array): Record<string, number | number[]> {
    const f = new Float32Array(words.buffer, words.byteOffset, words.length);
    const i = new Int32Array(words.buffer, words.byteOffset, words.length);
    const out: Record<string, number | number[]> = {};
    for (const [name, o] of this.offsets) {
      if (o.type === "array") out[name] = [...words.subarray(o.offset, o.offset + o.length)];
      else out[name] = o.type === "f32" ? f[o.offset] : o.type === "i32" ? i[o.offset] : words[o.offset];
    }
    return out;
  }
}

interface ArenaBuffer {
  buffer: GPUBuffer;
  host: Uint8Array<ArrayBuffer>;
  used: number;
}

export interface UniformSlot {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

export class UniformArena {
  private readonly capacity = 64 * 1024;
  private readonly idle: ArenaBuffer[] = [];
  private readonly active: ArenaBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly align: number,
  ) {}

  /** A slot holding `data` (written to the GPU at `flush`). */
  alloc(data: Uint32Array): UniformSlot {
    const size = Math.max(16, data.byteLength);
    let cur = this.active[this.active.length - 1];
    if (!cur || cur.used + size > this.capacity) {
      cur = this.idle.pop() ?? {
        buffer: this.device.createBuffer({ size: this.capacity, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST, label: "deberta-js uniforms" }),
        host: new Uint8Array(this.capacity),
        used: 0,
      };
      cur.used = 0;
      this.active.push(cur);
    }
    const offset = cur.used;
    cur.host.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    cur.used = Math.ceil((offset + size) / this.align) * this.align;
    return { buffer: cur.buffer, offset, size };
  }

  /** Writes the staged parameters (call right before `queue.submit`); the buffers are reusable afterwards. */
  flush(queue: GPUQueue): void {
    for (const a of this.active) {
      if (a.used) queue.writeBuffer(a.buffer, 0, a.host, 0, Math.min(a.used, this.capacity));
      a.used = 0;
      this.idle.push(a);
    }
    this.active.length = 0;
  }

  destroy(): void {
    for (const a of [...this.idle, ...this.active]) a.buffer.destroy();
    this.idle.length = 0;
    this.active.length = 0;
  }
}
