/**
 * The WebAssembly kernel set: csrc/ compiled for wasm32 (SIMD128, or relaxed SIMD when the engine validates it) on
 * a shared `WebAssembly.Memory`, with (threads − 1) workers running the module's pool loop on the same memory
 * (worker_threads in Node, module Web Workers in browsers — these need `crossOriginIsolated`).
 *
 * On a shared memory the kernel set has a heap (`KernelHeap`): the CPU backend allocates tensor storage as views
 * onto linear memory and the kernels take those by address, copying nothing in or out; only operands from elsewhere
 * (weights adopted from the loader, small JS arrays) are copied in per call. Growing a shared memory never detaches
 * the views made before (they keep their length over the same bytes), so a view stays valid until it is freed. A
 * non-shared memory (the `-st` modules) detaches every view when it grows, so there every operand is copied in and
 * every result out, per call, as before. Packed weights live in linear memory until freed either way.
 */
import { DebertaError } from "@deberta-js/core";
import type { KernelHeap, KernelSet, PackedWeight } from "./kernels.js";

interface WasmExports {
  memory?: WebAssembly.Memory;
  __stack_pointer: WebAssembly.Global;
  dj_malloc(n: number): number;
  dj_free(p: number): void;
  dj_heap_in_use(): number;
  dj_nr(): number;
  dj_pack_b_w(w: number, n: number, k: number, out: number): void;
  dj_gemm_w(m: number, n: number, k: number, a: number, bp: number, c: number, bias: number, act: number, alpha: number): void;
  dj_gemm_multi_w(m: number, k: number, a: number, outs: number, count: number, act: number): void;
  dj_layer_norm_w(x: number, res: number, g: number, b: number, rows: number, d: number, eps: number, out: number): void;
  dj_gelu_w(x: number, n: number): void;
  dj_attention_w(args: number): void;
  dj_qpacked_bytes_w(n: number, k: number): number;
  dj_qpack_i8_w(codes: number, scb: number, n: number, k: number, out: number): void;
  dj_qgemm_i8_w(m: number, n: number, k: number, a: number, packed: number, c: number, bias: number, act: number): number;
  dj_dqgemm_w(m: number, n: number, k: number, a: number, data: number, scales: number, table: number, layout: number, block: number, c: number, bias: number, act: number): number;
  dj_set_threads(n: number): void;
  dj_threads(): number;
  dj_worker_prepare(id: number): void;
}

const dynamicImport = (m: string): Promise<any> => import(/* @vite-ignore */ m);
const isNode = typeof process !== "undefined" && !!process.versions?.node;
const STACK = 1 << 20;

async function readAsset(name: string): Promise<Uint8Array<ArrayBuffer>> {
  const url = new URL(`../wasm/${name}`, import.meta.url);
  if (isNode) {
    const { readFile } = await dynamicImport("node:fs/promises");
    return Uint8Array.from(await readFile(url) as Uint8Array);
  }
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

let notified = false;

function envVar(name: string): string | undefined {
  return typeof process !== "undefined" ? process.env?.[name] : undefined;
}

/** Whether this context can share a `WebAssembly.Memory` with workers (browsers: only when crossOriginIsolated). */
function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === "undefined") return false;
  return isNode || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/**
 * Loads the WASM kernels; a string says why they cannot run here. `relaxed: false` forces plain SIMD128;
 * `shared: false` forces the single-thread modules on a non-shared memory — what a page that is not
 * crossOriginIsolated gets (with a one-time notice), since it has no SharedArrayBuffer.
 */
export async function loadWasmKernels(threads: number | undefined, opts: { relaxed?: boolean; shared?: boolean; resident?: boolean } = {}): Promise<KernelSet | string> {
  if (typeof WebAssembly === "undefined") return "no WebAssembly";
  const shared = opts.shared !== false && canShareMemory();
  if (!shared && opts.shared !== false && !notified) {
    notified = true;
    console.warn("deberta-js cpu: this page is not crossOriginIsolated (serve it with COOP/COEP headers), so the WASM kernels run on one thread");
  }
  const st = shared ? "" : "-st";
  try {
    let bytes = opts.relaxed === false ? undefined : await readAsset(`deberta-cpu-relaxed${st}.wasm`);
    let relaxed = !!bytes && WebAssembly.validate(bytes);
    if (!relaxed) bytes = await readAsset(`deberta-cpu${st}.wasm`);
    const module = await WebAssembly.compile(bytes!);
    const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const ex = instance.exports as unknown as WasmExports;
    const name = `${relaxed ? "wasm-relaxed-simd" : "wasm-simd128"}${shared ? "" : "-st"}`;
    if (!shared) return new WasmKernels(ex, memory, name, false);
    const cores = isNode ? (await dynamicImport("node:os")).availableParallelism() : (globalThis.navigator?.hardwareConcurrency ?? 1);
    const n = Math.max(1, threads ?? cores);
    const workers = await startWorkers(module, memory, ex, n - 1);
    if (workers < n - 1) console.warn(`deberta-js cpu: ${n - 1 - workers} of ${n - 1} WASM worker threads did not start; running on ${workers + 1}`);
    ex.dj_set_threads(workers + 1);
    return new WasmKernels(ex, memory, name, opts.resident ?? envVar("DEBERTA_JS_WASM_COPY") !== "1");
  } catch (e) {
    return `WASM kernels not loadable: ${(e as Error).message.split("\n")[0]}`;
  }
}

/**
 * Starts `count` workers and waits (bounded) until each has entered the pool loop; returns how many did. A worker
 * that fails to start leaves the pool smaller, never stuck: jobs only wait for workers that are running.
 */
async function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, ex: WasmExports, count: number): Promise<number> {
  const url = new URL("../worker/wasm-worker.mjs", import.meta.url);
  const WorkerCtor = isNode ? (await dynamicImport("node:worker_threads")).Worker : undefined;
  const started: Promise<boolean>[] = [];
  for (let id = 0; id < count; id++) {
    const stack = ex.dj_malloc(STACK);
    ex.dj_worker_prepare(id);
    const msg = { module, memory, id, stackTop: stack + STACK };
    started.push(
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 20000);
        const done = (ok: boolean) => {
          clearTimeout(timer);
          resolve(ok);
        };
        if (WorkerCtor) {
          const w = new WorkerCtor(url, { workerData: msg });
          w.once("message", () => done(true));
          w.once("error", () => done(false));
          w.unref(); // an idle pool never keeps Node alive
        } else {
          const w = new Worker(url, { type: "module" });
          w.onmessage = () => done(true);
          w.onerror = () => done(false);
          w.postMessage(msg);
        }
      }),
    );
  }
  return (await Promise.all(started)).filter(Boolean).length;
}

/** A quantized weight copied into linear memory: data, scales, table (0: none). */
interface HeldQuantized {
  ptrs: number[];
}

class WasmKernels implements KernelSet {
  readonly heap?: KernelHeap;
  /** The memory's buffer objects handed out so far: a new one after each growth, all over address 0. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Heap arrays not yet freed (only these are freed, once). */
  private readonly live = new WeakSet<object>();

  /** `resident`: tensor storage in linear memory (shared memory only: a non-shared one detaches views on growth). */
  constructor(
    private readonly ex: WasmExports,
    private readonly memory: WebAssembly.Memory,
    readonly name: string,
    resident: boolean,
  ) {
    if (resident) this.heap = this.makeHeap();
  }

  get threads(): number {
    return this.ex.dj_threads();
  }
  setThreads(n: number): void {
    this.ex.dj_set_threads(n);
  }

  private makeHeap(): KernelHeap {
    const self = this;
    const make = <T extends Float32Array | Uint16Array | Int32Array>(C: { new (b: ArrayBufferLike, o: number, n: number): T; new (n: number): T; BYTES_PER_ELEMENT: number }, n: number): T => {
      if (n === 0) return new C(0);
      const p = self.alloc(n * C.BYTES_PER_ELEMENT); // first: it may grow the memory, and the view needs the grown buffer
      const a = new C(self.buffer(), p, n);
      self.live.add(a);
      return a;
    };
    return {
      owns: (a) => self.resident(a),
      f32: (n) => make(Float32Array, n),
      f16: (n) => make(Uint16Array, n),
      i32: (n) => make(Int32Array, n),
      free(a) {
        if (!self.live.delete(a)) return false;
        self.ex.dj_free(a.byteOffset);
        return true;
      },
      get inUseBytes() {
        return self.ex.dj_heap_in_use() >>> 0;
      },
      get memoryBytes() {
        return self.memory.buffer.byteLength;
      },
    };
  }

  private alloc(bytes: number): number {
    // wasm32's size_t would wrap a request of 4 GiB or more into a small block
    const p = Number.isSafeInteger(bytes) && bytes < 2 ** 32 - 2 ** 16 ? this.ex.dj_malloc(Math.max(4, bytes)) : 0;
    if (!p) {
      // tensors live here too (shared memory), so this is where a too-large batch or sequence ends up
      const mib = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;
      throw new DebertaError("BACKEND_ERROR", `WASM kernels: out of memory allocating ${mib(bytes)} (linear memory holds ${mib(this.memory.buffer.byteLength)} of at most 4096 MiB); use smaller batches or shorter inputs`);
    }
    return p;
  }
  /** The memory's current buffer (after any growth), remembered as ours. */
  private buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }
  private f32(): Float32Array {
    return new Float32Array(this.buffer());
  }
  /** Whether `a` is a view onto linear memory (its byteOffset is then its address). */
  private resident(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }
  /** The address of `a` in linear memory: its own when resident, else a copy's (freed with `temps`); 0 for null. */
  private put(a: Float32Array | Int32Array | Uint8Array | null, temps: number[]): number {
    if (!a) return 0;
    if (this.resident(a)) return a.byteOffset;
    const p = this.copyIn(a);
    temps.push(p);
    return p;
  }
  /** A new copy of `a` in linear memory (the caller frees it). */
  private copyIn(a: Float32Array | Int32Array | Uint8Array): number {
    const p = this.alloc(a.byteLength);
    if (a instanceof Int32Array) new Int32Array(this.buffer(), p, a.length).set(a);
    else if (a instanceof Uint8Array) new Uint8Array(this.buffer(), p, a.length).set(a);
    else this.f32().set(a, p >> 2);
    return p;
  }
  /** Where a kernel writes the result `dst`: `dst` itself when resident, else a temporary that `get` copies out. */
  private out(dst: Float32Array, temps: number[]): number {
    if (this.resident(dst)) return dst.byteOffset;
    const p = this.alloc(dst.length * 4);
    temps.push(p);
    return p;
  }
  private get(p: number, dst: Float32Array): void {
    if (p === dst.byteOffset && this.resident(dst)) return;
    dst.set(this.f32().subarray(p >> 2, (p >> 2) + dst.length));
  }
  private free(temps: number[]): void {
    for (const p of temps) this.ex.dj_free(p);
  }

  packB(w: Float32Array, n: number, k: number): PackedWeight {
    const nr = this.ex.dj_nr();
    const len = Math.ceil(n / nr) * nr * k;
    const temps: number[] = [];
    const src = this.put(w, temps);
    const out = this.alloc(len * 4);
    this.ex.dj_pack_b_w(src, n, k, out);
    this.free(temps);
    return out;
  }
  freePacked(p: PackedWeight): void {
    if (typeof p === "number") this.ex.dj_free(p);
    else for (const q of (p as HeldQuantized).ptrs) if (q) this.ex.dj_free(q);
  }

  packI8(codes: Uint8Array, scb: Float32Array, n: number, k: number): PackedWeight {
    const temps: number[] = [];
    const pc = this.put(codes.subarray(0, n * k), temps);
    const ps = this.put(scb, temps);
    const out = this.alloc(this.ex.dj_qpacked_bytes_w(n, k));
    this.ex.dj_qpack_i8_w(pc, ps, n, k, out);
    this.free(temps);
    return out;
  }

  qgemmI8(m: number, n: number, k: number, a: Float32Array, packed: PackedWeight, c: Float32Array, bias: Float32Array | null, act: number): void {
    const t: number[] = [];
    const pa = this.put(a.subarray(0, m * k), t);
    const pb = this.put(bias, t);
    const pc = this.out(c.subarray(0, m * n), t);
    const rc = this.ex.dj_qgemm_i8_w(m, n, k, pa, packed as number, pc, pb, act);
    if (rc === 0) this.get(pc, c.subarray(0, m * n));
    this.free(t);
    if (rc !== 0) throw new RangeError("WASM kernels: out of memory in qgemmI8");
  }

  holdQuantized(data: Uint8Array, scales: Float32Array, table: Float32Array | null): PackedWeight {
    // always a copy of its own, even of resident tensors: the weight's three tensors may be disposed separately
    const ptrs = [data, scales, table].map((a) => (a ? this.copyIn(a) : 0));
    return { ptrs } satisfies HeldQuantized;
  }

  dqgemm(m: number, n: number, k: number, a: Float32Array, held: PackedWeight, layout: 0 | 1, block: number, c: Float32Array, bias: Float32Array | null, act: number): void {
    const [data, scales, table] = (held as HeldQuantized).ptrs;
    const t: number[] = [];
    const pa = this.put(a.subarray(0, m * k), t);
    const pb = this.put(bias, t);
    const pc = this.out(c.subarray(0, m * n), t);
    const rc = this.ex.dj_dqgemm_w(m, n, k, pa, data, scales, table, layout, block, pc, pb, act);
    if (rc === 0) this.get(pc, c.subarray(0, m * n));
    this.free(t);
    if (rc !== 0) throw new RangeError("WASM kernels: out of memory in dqgemm");
  }

  gemm(m: number, n: number, k: number, a: Float32Array, bp: PackedWeight, c: Float32Array, bias: Float32Array | null, act: number, alpha: number): void {
    const t: number[] = [];
    const pa = this.put(a.subarray(0, m * k), t);
    const pb = this.put(bias, t);
    const pc = this.out(c.subarray(0, m * n), t);
    this.ex.dj_gemm_w(m, n, k, pa, bp as number, pc, pb, act, alpha);
    this.get(pc, c.subarray(0, m * n));
    this.free(t);
  }

  gemmMulti(m: number, k: number, a: Float32Array, ns: readonly number[], bps: readonly PackedWeight[], cs: readonly Float32Array[], biases: readonly (Float32Array | null)[]): void {
    const t: number[] = [];
    const pa = this.put(a.subarray(0, m * k), t);
    // dj_gemm_out records: n, bp, bias, c, ldc (i32 each)
    const outs = this.alloc(5 * ns.length * 4);
    t.push(outs);
    const fields = ns.flatMap((n, i) => [n, bps[i] as number, this.put(biases[i], t), this.out(cs[i].subarray(0, m * n), t), n]);
    new Int32Array(this.buffer(), outs, fields.length).set(fields); // after the allocations (memory may grow)
    const pcs = ns.map((_, i) => fields[5 * i + 3]);
    this.ex.dj_gemm_multi_w(m, k, pa, outs, ns.length, 0);
    pcs.forEach((pc, i) => this.get(pc, cs[i].subarray(0, m * ns[i])));
    this.free(t);
  }

  layerNorm(x: Float32Array, res: Float32Array | null, gamma: Float32Array, beta: Float32Array, rows: number, d: number, eps: number, out: Float32Array): void {
    const t: number[] = [];
    const n = rows * d;
    const px = this.put(x.subarray(0, n), t);
    const pr = this.put(res ? res.subarray(0, n) : null, t);
    const pg = this.put(gamma, t);
    const pbt = this.put(beta, t);
    const po = this.out(out.subarray(0, n), t);
    this.ex.dj_layer_norm_w(px, pr, pg, pbt, rows, d, eps, po);
    this.get(po, out.subarray(0, n));
    this.free(t);
  }

  gelu(x: Float32Array): void {
    const t: number[] = [];
    const p = this.put(x, t);
    this.ex.dj_gelu_w(p, x.length);
    this.get(p, x);
    this.free(t);
  }

  attention(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    posKey: Float32Array | null,
    posQuery: Float32Array | null,
    relIndex: Int32Array | null,
    mask: Float32Array | null,
    maskStride: number,
    seqStart: Int32Array,
    seqLen: Int32Array,
    maxLen: number,
    heads: number,
    headDim: number,
    invScale: number,
    lowest: number,
    context: Float32Array,
    probs: Float32Array | null,
  ): void {
    const t: number[] = [];
    const B = seqStart.length;
    // the same memory guards as the native binding (core checks shapes; these keep the kernel inside its buffers)
    const HD = heads * headDim;
    const tokens = q.length / HD;
    for (let b = 0; b < B; b++) {
      if (seqStart[b] < 0 || seqLen[b] < 0 || seqLen[b] > maxLen || seqStart[b] + seqLen[b] > tokens) throw new RangeError("attention: sequence outside the token rows");
      if (relIndex && seqLen[b] > 0 && 2 * seqLen[b] - 1 > relIndex.length) throw new RangeError("attention: relIndex too short");
    }
    if (relIndex) {
      const rows = Math.min(posKey ? posKey.length / HD : Infinity, posQuery ? posQuery.length / HD : Infinity);
      for (const r of relIndex) if (r < 0 || r >= rows) throw new RangeError("attention: relIndex entry outside the position rows");
    }
    const args = this.alloc(19 * 4);
    t.push(args);
    const ctx = this.out(context, t);
    const pr = probs ? this.out(probs, t) : 0;
    if (probs) this.f32().fill(0, pr >> 2, (pr >> 2) + probs.length); // entries outside packed sequences stay 0
    const fields = [
      this.put(q, t),
      this.put(k, t),
      this.put(v, t),
      this.put(posKey, t),
      this.put(posQuery, t),
      this.put(relIndex, t),
      relIndex ? relIndex.length : 0,
      this.put(mask, t),
      maskStride,
      this.put(seqStart, t),
      this.put(seqLen, t),
      B,
      maxLen,
      heads,
      headDim,
    ];
    const i32 = new Int32Array(this.buffer(), args, 19);
    i32.set(fields);
    const f = new Float32Array(this.buffer(), args, 19);
    f[15] = invScale;
    f[16] = lowest;
    i32[17] = ctx;
    i32[18] = pr;
    this.ex.dj_attention_w(args);
    this.get(ctx, context);
    if (probs) this.get(pr, probs);
    this.free(t);
  }
}
