/**
 * A small free list of typed arrays by dtype and length: disposed tensors' storage is reused by the next op that
 * needs the same size, which spares the allocator and the garbage collector the churn of a forward pass.
 * Reused buffers hold stale data; every op writes every element of its output.
 */
export type Storage = Float32Array | Uint16Array | Int32Array;

export class BufferPool {
  private readonly lists = {
    f32: new Map<number, Float32Array[]>(),
    f16: new Map<number, Uint16Array[]>(),
    i32: new Map<number, Int32Array[]>(),
  };
  private bytes = 0;

  constructor(
    /** Upper bound on the bytes kept for reuse. */
    private readonly maxBytes = 256 * 1024 * 1024,
    /** Upper bound on buffers kept per (dtype, length). */
    private readonly perSize = 16,
  ) {}

  f32(n: number): Float32Array {
    return this.take(this.lists.f32, n) ?? new Float32Array(n);
  }
  f16(n: number): Uint16Array {
    return this.take(this.lists.f16, n) ?? new Uint16Array(n);
  }
  i32(n: number): Int32Array {
    return this.take(this.lists.i32, n) ?? new Int32Array(n);
  }

  /** Hands a buffer back (it must not be used afterwards). */
  give(a: Storage): void {
    if (a.byteOffset !== 0 || a.byteLength !== a.buffer.byteLength || a.length === 0) return; // views stay out
    if (this.bytes + a.byteLength > this.maxBytes) return;
    const map = (a instanceof Float32Array ? this.lists.f32 : a instanceof Uint16Array ? this.lists.f16 : this.lists.i32) as Map<number, Storage[]>;
    let list = map.get(a.length);
    if (!list) map.set(a.length, (list = []));
    if (list.length >= this.perSize || list.includes(a)) return;
    list.push(a);
    this.bytes += a.byteLength;
  }

  clear(): void {
    for (const m of Object.values(this.lists)) m.clear();
    this.bytes = 0;
  }

  get heldBytes(): number {
    return this.bytes;
  }

  private take<T extends Storage>(map: Map<number, T[]>, n: number): T | undefined {
    const list = map.get(n);
    const a = list?.pop();
    if (a) this.bytes -= a.byteLength;
    return a;
  }
}
