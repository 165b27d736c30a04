/**
 * `CpuBackend`: every op of the deberta-js `Backend` contract in TypeScript on typed arrays — Node and browsers,
 * no native code, no `node:*` imports.
 *
 * Storage: Float32Array (f32), Uint16Array half bits (f16), Int32Array (i32). f16 ops widen their inputs to f32,
 * compute exactly as the f32 ops do (float64 accumulators), and round the result to f16 once.
 */
import {
  InputError,
  Tensor,
  opContract,
  sequenceSpan,
  layoutBatch,
  type Activation,
  type AttentionArgs,
  type AttentionResult,
  type Backend,
  type DType,
  type FloatDType,
  type MatmulOptions,
  type SequenceLayout,
  type TensorData,
  broadcastStrides,
  sizeOf,
  stridesOf,
  f16ToF32Into,
  f32ToF16Into,
  hostViewOf,
  type QuantizedWeight,
  int8DynamicGemmHost,
  INT8_DEQUANT,
} from "@deberta-js/core";
import { applyActivation } from "./activation.js";
import { disentangledAttention, releaseAttentionScratch } from "./attention.js";
import { gemm } from "./gemm.js";
import { quantizedGemm } from "./quantized.js";
import { BufferPool, type Storage } from "./pool.js";
import { forEachRow } from "./shape.js";

export interface CpuBackendOptions {
  /** Bytes of freed tensor storage kept for reuse (default 256 MiB; 0 disables the pool). */
  poolBytes?: number;
}

const LOWEST: Record<FloatDType, number> = { f32: -3.4028234663852886e38, f16: -65504 };

export class CpuBackend implements Backend {
  readonly name = "cpu";
  /** `quantizedLinear` runs "q8" weights with dynamic int8 activations (f32 inputs). */
  readonly int8Activations = true;
  protected readonly pool: BufferPool;

  /** `pool`: where storage comes from (a subclass's allocator, e.g. WASM linear memory); default a JS free list. */
  constructor(options: CpuBackendOptions = {}, pool?: BufferPool) {
    this.pool = pool ?? new BufferPool(options.poolBytes ?? 256 * 1024 * 1024);
  }

  supportsDtype(dtype: FloatDType): boolean {
    return dtype === "f32" || dtype === "f16";
  }

  // ── storage ───────────────────────────────────────────────────────────────────────────────────────────────

  upload(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
    const typed = opContract.upload(this, data, shape, dtype);
    const out = this.alloc(dtype, typed.length);
    out.set(typed as never);
    return new Tensor(this, out, [...shape], dtype);
  }

  /** Keeps `data` as the storage when it is a whole, exactly-typed array (streamed weights); copies otherwise. */
  adopt(data: TensorData, shape: readonly number[], dtype: DType): Tensor {
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
    const typed = dtype === "f32" ? data instanceof Float32Array : dtype === "f16" ? data instanceof Uint16Array : data instanceof Int32Array;
    if (!whole || !typed || data.length !== sizeOf(shape)) return this.upload(data, shape, dtype);
    return new Tensor(this, data, [...shape], dtype);
  }

  async read(t: Tensor): Promise<TensorData> {
    opContract.read(this, t);
    return (t.storage as Storage).slice();
  }

  dispose(t: Tensor): void {
    this.pool.give(t.storage as Storage);
  }

  destroy(): void {
    this.pool.clear();
    releaseAttentionScratch();
  }

  async sync(): Promise<void> {}

  // ── helpers ───────────────────────────────────────────────────────────────────────────────────────────────

  /** The values of `t` as float32: its storage for f32, a converted temporary (pushed to `temps`) otherwise. */
  protected f32(t: Tensor, temps: Storage[]): Float32Array {
    const s = t.storage as Storage;
    if (s instanceof Float32Array) return s;
    const out = this.pool.f32(s.length);
    temps.push(out);
    if (s instanceof Uint16Array) f16ToF32Into(s, out);
    else out.set(s);
    return out;
  }

  protected release(temps: Storage[]): void {
    for (const t of temps) this.pool.give(t);
  }

  /** Wraps a float32 result owned by this op as a tensor of `dtype` (rounding to f16 when asked). */
  protected emit(values: Float32Array, shape: readonly number[], dtype: DType): Tensor {
    if (dtype === "f32") return new Tensor(this, values, [...shape], "f32");
    if (dtype === "f16") {
      const h = this.pool.f16(values.length);
      f32ToF16Into(values, h);
      this.pool.give(values);
      return new Tensor(this, h, [...shape], "f16");
    }
    const i = this.pool.i32(values.length);
    for (let k = 0; k < values.length; k++) i[k] = values[k];
    this.pool.give(values);
    return new Tensor(this, i, [...shape], "i32");
  }

  private alloc(dtype: DType, n: number): Storage {
    return dtype === "f32" ? this.pool.f32(n) : dtype === "f16" ? this.pool.f16(n) : this.pool.i32(n);
  }

  // ── primitives ────────────────────────────────────────────────────────────────────────────────────────────

  cast(x: Tensor, dtype: FloatDType): Tensor {
    opContract.cast(this, x, dtype);
    const s = x.storage as Storage;
    const n = x.size;
    if (x.dtype === dtype) {
      const out = this.alloc(dtype, n);
      out.set(s as never);
      return new Tensor(this, out, [...x.shape], dtype);
    }
    if (dtype === "f16") {
      const out = this.pool.f16(n);
      if (s instanceof Float32Array) f32ToF16Into(s, out);
      else {
        const tmp = Float32Array.from(s as Int32Array);
        f32ToF16Into(tmp, out);
      }
      return new Tensor(this, out, [...x.shape], "f16");
    }
    const out = this.pool.f32(n);
    if (s instanceof Uint16Array) f16ToF32Into(s, out);
    else out.set(s);
    return new Tensor(this, out, [...x.shape], "f32");
  }

  matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
    const { M, N, K, transA, transB, alpha, batchA, batchB, outBatch: batch } = opContract.matmul(this, a, b, opts);
    const [ar, ac] = a.shape.slice(-2); // a's stored rows/columns (before any transpose)
    const [br, bc] = b.shape.slice(-2);
    const nBatch = sizeOf(batch);
    const temps: Storage[] = [];
    const A = this.f32(a, temps);
    const B = this.f32(b, temps);
    const out = this.pool.f32(nBatch * M * N);
    const aRs = transA ? 1 : ac;
    const aCs = transA ? ac : 1;
    const bRs = transB ? 1 : bc;
    const bCs = transB ? bc : 1;
    if (sizeOf(batchB) === 1 && !transA) {
      // b shared by every batch: one GEMM over all of a's rows
      gemm(nBatch * M, N, K, alpha, A, 0, ac, 1, B, 0, bRs, bCs, out, 0, N, false);
    } else {
      const sa = broadcastStrides(batchA, batch, "matmul a");
      const sb = broadcastStrides(batchB, batch, "matmul b");
      const idx = new Array<number>(batch.length).fill(0);
      let oa = 0;
      let ob = 0;
      for (let t = 0; t < nBatch; t++) {
        gemm(M, N, K, alpha, A, oa * ar * ac, aRs, aCs, B, ob * br * bc, bRs, bCs, out, t * M * N, N, false);
        for (let d = batch.length - 1; d >= 0; d--) {
          idx[d]++;
          oa += sa[d];
          ob += sb[d];
          if (idx[d] < batch[d]) break;
          oa -= sa[d] * batch[d];
          ob -= sb[d] * batch[d];
          idx[d] = 0;
        }
      }
    }
    this.release(temps);
    return this.emit(out, [...batch, M, N], a.dtype);
  }

  add(a: Tensor, b: Tensor): Tensor {
    return this.binary(a, b, false, opContract.add(this, a, b).shape);
  }

  mul(a: Tensor, b: Tensor): Tensor {
    return this.binary(a, b, true, opContract.mul(this, a, b).shape);
  }

  private binary(a: Tensor, b: Tensor, isMul: boolean, shape: number[]): Tensor {
    const what = isMul ? "mul" : "add";
    const n = sizeOf(shape);
    const temps: Storage[] = [];
    const A = this.f32(a, temps);
    const B = this.f32(b, temps);
    const out = this.pool.f32(n);
    const na = a.size;
    const nb = b.size;
    if (na === n && nb === n) {
      if (isMul) for (let i = 0; i < n; i++) out[i] = A[i] * B[i];
      else for (let i = 0; i < n; i++) out[i] = A[i] + B[i];
    } else if (na === n && isSuffix(b.shape, shape)) {
      // b repeats along the leading dims (a bias row, a scalar)
      for (let o = 0; o < n; o += nb) {
        if (isMul) for (let j = 0; j < nb; j++) out[o + j] = A[o + j] * B[j];
        else for (let j = 0; j < nb; j++) out[o + j] = A[o + j] + B[j];
      }
    } else if (nb === n && isSuffix(a.shape, shape)) {
      for (let o = 0; o < n; o += na) {
        if (isMul) for (let j = 0; j < na; j++) out[o + j] = A[j] * B[o + j];
        else for (let j = 0; j < na; j++) out[o + j] = A[j] + B[o + j];
      }
    } else if (n > 0) {
      const sa = broadcastStrides(a.shape, shape, what);
      const sb = broadcastStrides(b.shape, shape, what);
      const r = shape.length;
      const D = shape[r - 1];
      const la = sa[r - 1];
      const lb = sb[r - 1];
      forEachRow(shape, [sa, sb], (row, [oa, ob]) => {
        const o = row * D;
        if (isMul) for (let j = 0; j < D; j++) out[o + j] = A[oa + j * la] * B[ob + j * lb];
        else for (let j = 0; j < D; j++) out[o + j] = A[oa + j * la] + B[ob + j * lb];
      });
    }
    this.release(temps);
    return this.emit(out, shape, a.dtype);
  }

  gather(table: Tensor, ids: Tensor): Tensor {
    const { V, D, N } = opContract.gather(this, table, ids);
    const I = ids.storage as Int32Array;
    const T = table.storage as Storage;
    const out = this.alloc(table.dtype, N * D);
    for (let n = 0; n < N; n++) {
      const id = I[n];
      if (id < 0 || id >= V) throw new InputError(`gather: ids[${n}] = ${id} is outside the table's ${V} rows`);
      out.set(T.subarray(id * D, id * D + D) as never, n * D);
    }
    return new Tensor(this, out, [N, D], table.dtype);
  }

  /**
   * int8 row-wise table rows at `ids`, dequantized straight from the table's storage (no copy of the table, no
   * float table): `f32(f32(code · scale) · 1/127)` per element, as core's `dequantizeRows`.
   */
  gatherQuantized(table: QuantizedWeight, ids: Tensor, dtype: FloatDType): Tensor {
    const { V, D, N } = opContract.gatherQuantized(this, table, ids, dtype);
    const I = ids.storage as Int32Array;
    const words = table.data.storage as Int32Array;
    const codes = new Int8Array(words.buffer, words.byteOffset, V * D);
    const scales = table.scales.storage as Float32Array;
    const out = this.pool.f32(N * D);
    const fr = Math.fround;
    for (let n = 0; n < N; n++) {
      const id = I[n];
      if (!(id >= 0 && id < V)) throw new InputError(`gatherQuantized: ids[${n}] = ${id} is outside the table's ${V} rows`);
      const s = scales[id];
      const src = id * D;
      const dst = n * D;
      for (let j = 0; j < D; j++) out[dst + j] = fr(fr(codes[src + j] * s) * INT8_DEQUANT);
    }
    return this.emit(out, [N, D], dtype);
  }

  takeAlongAxis(x: Tensor, idx: Tensor, axis: number): Tensor {
    const r = x.rank;
    const g = opContract.takeAlongAxis(this, x, idx, axis);
    axis = g.axis;
    const shape = g.shape;
    const n = sizeOf(shape);
    const X = x.storage as Storage;
    const I = idx.storage as Int32Array;
    const out = this.alloc(x.dtype, n);
    if (n === 0) return new Tensor(this, out, shape, x.dtype);
    const xsOwn = stridesOf(x.shape);
    const isOwn = stridesOf(idx.shape);
    const xs = xsOwn.map((s, i) => (i === axis || x.shape[i] === 1 ? 0 : s));
    const is = isOwn.map((s, i) => (idx.shape[i] === 1 ? 0 : s));
    const xAxis = xsOwn[axis];
    const size = x.shape[axis];
    const last = r - 1;
    const D = shape[last];
    const xl = xs[last];
    const il = is[last];
    forEachRow(shape, [xs, is], (row, [xo, io]) => {
      const o = row * D;
      for (let j = 0; j < D; j++) {
        const k = I[io + j * il];
        if (k < 0 || k >= size) throw new InputError(`takeAlongAxis: index ${k} is outside [0, ${size}) on axis ${axis}`);
        out[o + j] = X[xo + k * xAxis + j * xl];
      }
    });
    return new Tensor(this, out, shape, x.dtype);
  }

  layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    return this.norm(x, undefined, gamma, beta, eps, opContract.layerNorm(this, x, gamma, beta, eps).D);
  }

  private norm(x: Tensor, res: Tensor | undefined, gamma: Tensor, beta: Tensor, eps: number, D: number): Tensor {
    const temps: Storage[] = [];
    const X = this.f32(x, temps);
    const R = res ? this.f32(res, temps) : undefined;
    const G = this.f32(gamma, temps);
    const Bt = this.f32(beta, temps);
    const n = x.size;
    const out = this.pool.f32(n);
    for (let o = 0; o < n; o += D) {
      let mean = 0;
      if (R) {
        for (let d = 0; d < D; d++) {
          const v = X[o + d] + R[o + d];
          out[o + d] = v; // the sum, rounded to f32 as an unfused add would
          mean += out[o + d];
        }
      } else {
        for (let d = 0; d < D; d++) mean += X[o + d];
      }
      mean /= D;
      const src = R ? out : X;
      let v = 0;
      for (let d = 0; d < D; d++) {
        const c = src[o + d] - mean;
        v += c * c;
      }
      const inv = 1 / Math.sqrt(v / D + eps);
      for (let d = 0; d < D; d++) out[o + d] = (src[o + d] - mean) * inv * G[d] + Bt[d];
    }
    this.release(temps);
    return this.emit(out, x.shape, x.dtype);
  }

  activation(x: Tensor, act: Activation): Tensor {
    opContract.activation(this, x, act);
    const temps: Storage[] = [];
    const X = this.f32(x, temps);
    const out = this.pool.f32(x.size);
    out.set(X);
    this.release(temps);
    applyActivation(out, 0, out.length, act);
    return this.emit(out, x.shape, x.dtype);
  }

  softmax(x: Tensor, mask?: Tensor): Tensor {
    const { D } = opContract.softmax(this, x, mask);
    const temps: Storage[] = [];
    const X = this.f32(x, temps);
    const n = x.size;
    const out = this.pool.f32(n);
    const low = LOWEST[x.dtype as FloatDType] ?? LOWEST.f32;
    if (n > 0) {
      if (!mask) {
        for (let o = 0; o < n; o += D) softmaxRow(X, o, out, o, D, null, 0, 0, low);
      } else {
        const Mk = this.f32(mask, temps);
        const shape = x.shape.length ? x.shape : [1];
        const ms = broadcastStrides(mask.shape, shape, "softmax mask");
        const ml = ms[ms.length - 1];
        forEachRow(shape, [ms], (row, [mo]) => softmaxRow(X, row * D, out, row * D, D, Mk, mo, ml, low));
      }
    }
    this.release(temps);
    return this.emit(out, x.shape, x.dtype);
  }

  conv1d(x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout): Tensor {
    const { Cout, Cin, k, T, pad } = opContract.conv1d(this, x, weight, bias, layout);
    const temps: Storage[] = [];
    const X = this.f32(x, temps);
    const W = this.f32(weight, temps);
    const Bv = this.f32(bias, temps);
    const out = this.pool.f32(T * Cout);
    // token → (sequence start, position, length)
    const seqStart = new Int32Array(T);
    const seqLen = new Int32Array(T);
    for (let b = 0; b < layoutBatch(layout); b++) {
      const { start, length } = sequenceSpan(layout, b);
      seqStart.fill(start, start, start + length);
      seqLen.fill(length, start, start + length);
    }
    // im2col in chunks of rows: col[t, c*k + r] = x[t + r - pad, c] inside the sequence, else 0; out = col · Wᵀ
    const KK = Cin * k;
    const chunk = Math.max(1, Math.min(T, Math.floor((1 << 20) / Math.max(1, KK))));
    const col = this.pool.f32(chunk * KK);
    temps.push(col);
    for (let t0 = 0; t0 < T; t0 += chunk) {
      const rows = Math.min(chunk, T - t0);
      for (let t = 0; t < rows; t++) {
        const tok = t0 + t;
        const pos = tok - seqStart[tok];
        const len = seqLen[tok];
        const co = t * KK;
        for (let r = 0; r < k; r++) {
          const src = pos + r - pad;
          if (src < 0 || src >= len) {
            for (let c = 0; c < Cin; c++) col[co + c * k + r] = 0;
          } else {
            const xo = (seqStart[tok] + src) * Cin;
            for (let c = 0; c < Cin; c++) col[co + c * k + r] = X[xo + c];
          }
        }
        out.set(Bv.subarray(0, Cout), tok * Cout);
      }
      this.convRows(rows, Cout, KK, col, W, weight, Bv, out, t0);
    }
    this.release(temps);
    return this.emit(out, [T, Cout], x.dtype);
  }

  /**
   * One chunk of conv1d's im2col GEMM: out[t0 + i, :] (already holding the bias) += col[i, :] · Wᵀ for `rows` rows,
   * W = the weight as [Cout, Cin·k]. A compiled backend overrides this with its packed SGEMM.
   */
  protected convRows(rows: number, Cout: number, KK: number, col: Float32Array, W: Float32Array, _weight: Tensor, _bias: Float32Array, out: Float32Array, t0: number): void {
    gemm(rows, Cout, KK, 1, col, 0, KK, 1, W, 0, 1, KK, out, t0 * Cout, Cout, true);
  }

  transpose(x: Tensor, perm: readonly number[]): Tensor {
    const r = x.rank;
    const { shape } = opContract.transpose(this, x, perm);
    const n = x.size;
    const X = x.storage as Storage;
    const out = this.alloc(x.dtype, n);
    if (n === 0) return new Tensor(this, out, shape, x.dtype);
    if (r === 0 || perm.every((p, i) => p === i)) {
      out.set(X as never);
      return new Tensor(this, out, shape, x.dtype);
    }
    const xs = stridesOf(x.shape);
    const ps = perm.map((p) => xs[p]);
    const D = shape[r - 1];
    const sl = ps[r - 1];
    if (sl === 1 && D >= 8) {
      forEachRow(shape, [ps], (row, [xo]) => out.set(X.subarray(xo, xo + D) as never, row * D));
    } else {
      forEachRow(shape, [ps], (row, [xo]) => {
        const o = row * D;
        for (let j = 0; j < D; j++) out[o + j] = X[xo + j * sl];
      });
    }
    return new Tensor(this, out, shape, x.dtype);
  }

  // ── fused ops ─────────────────────────────────────────────────────────────────────────────────────────────

  linear(x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
    const { inF, outF, rows: T, shape } = opContract.linear(this, x, weight, bias, act);
    const temps: Storage[] = [];
    const X = this.f32(x, temps);
    const W = this.f32(weight, temps);
    const out = this.pool.f32(T * outF);
    gemm(T, outF, inF, 1, X, 0, inF, 1, W, 0, 1, inF, out, 0, outF, false);
    if (bias) {
      const Bv = this.f32(bias, temps);
      for (let o = 0; o < out.length; o += outF) for (let j = 0; j < outF; j++) out[o + j] += Bv[j];
    }
    if (act && act !== "linear") applyActivation(out, 0, out.length, act);
    this.release(temps);
    return this.emit(out, shape, x.dtype);
  }

  /** Shapes were checked by core (`checkQuantizedLinear`). */
  quantizedLinear(x: Tensor, weight: QuantizedWeight, bias: Tensor | undefined, act?: Activation): Tensor {
    const { outF, rows: T, shape } = opContract.quantizedLinear(this, x, weight, bias, act);
    const temps: Storage[] = [];
    const X = this.f32(x, temps);
    const out = this.pool.f32(T * outF);
    const view = hostViewOf(weight, weight.data.storage as Int32Array, weight.scales.storage as Float32Array, weight.table?.storage as Float32Array | undefined);
    // dtype "q8" (f32 inputs): dynamic per-row int8 activations, as the compiled kernels compute it
    if (weight.activations === "int8" && x.dtype === "f32") int8DynamicGemmHost(X, T, view, out);
    else quantizedGemm(X, T, view, out);
    if (bias) {
      const Bv = this.f32(bias, temps);
      for (let o = 0; o < out.length; o += outF) for (let j = 0; j < outF; j++) out[o + j] += Bv[j];
    }
    if (act && act !== "linear") applyActivation(out, 0, out.length, act);
    this.release(temps);
    return this.emit(out, shape, x.dtype);
  }

  addLayerNorm(x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
    return this.norm(x, residual, gamma, beta, eps, opContract.addLayerNorm(this, x, residual, gamma, beta, eps).D);
  }

  disentangledAttention(args: AttentionArgs): AttentionResult {
    const { spec, layout } = args;
    const dtype = args.q.dtype as FloatDType;
    const { T, HD, B, L, relative } = opContract.disentangledAttention(this, args);
    const temps: Storage[] = [];
    const context = this.pool.f32(T * HD);
    let probs: Float32Array | undefined;
    if (args.outputAttentions) {
      probs = this.pool.f32(B * spec.numHeads * L * L);
      if (layout.kind === "packed") probs.fill(0);
    }
    let mask: ArrayLike<number> | undefined;
    if (layout.kind === "padded") mask = args.mask ? this.f32(args.mask, temps) : layout.mask;
    disentangledAttention({
      q: this.f32(args.q, temps),
      k: this.f32(args.k, temps),
      v: this.f32(args.v, temps),
      posKey: spec.c2p ? this.f32(args.posKey!, temps) : undefined,
      posQuery: spec.p2c ? this.f32(args.posQuery!, temps) : undefined,
      relIndex: relative ? (args.relIndex!.storage as Int32Array) : undefined,
      mask,
      layout,
      spec,
      lowest: LOWEST[dtype],
      context,
      probs,
    });
    this.release(temps);
    const ctx = this.emit(context, [T, HD], dtype);
    return probs ? { context: ctx, probs: this.emit(probs, [B, spec.numHeads, L, L], dtype) } : { context: ctx };
  }
}

/** `shape` (leading 1s dropped) equals the trailing dims of `full`. */
function isSuffix(shape: readonly number[], full: readonly number[]): boolean {
  let i = 0;
  while (i < shape.length && shape[i] === 1 && shape.length - i > 0) i++;
  const s = shape.slice(i);
  if (s.length > full.length) return false;
  const off = full.length - s.length;
  return s.every((d, k) => d === full[off + k]);
}

function softmaxRow(
  X: Float32Array,
  xo: number,
  out: Float32Array,
  oo: number,
  D: number,
  M: Float32Array | null,
  mo: number,
  ml: number,
  low: number,
): void {
  let max = -Infinity;
  if (M) {
    for (let j = 0; j < D; j++) {
      const s = M[mo + j * ml] === 0 ? low : X[xo + j];
      out[oo + j] = s;
      if (s > max) max = s;
    }
  } else {
    for (let j = 0; j < D; j++) {
      const s = X[xo + j];
      out[oo + j] = s;
      if (s > max) max = s;
    }
  }
  let sum = 0;
  for (let j = 0; j < D; j++) {
    const e = Math.exp(out[oo + j] - max);
    out[oo + j] = e;
    sum += e;
  }
  const r = 1 / sum;
  for (let j = 0; j < D; j++) out[oo + j] *= r;
}
