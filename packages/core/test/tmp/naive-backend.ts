// Throwaway naive backend for early model checks (lead's scratch; replaced by HostBackend/CpuBackend).
import { Tensor, type Backend, type Activation, type MatmulOptions, type SequenceLayout, type DType, type TensorData } from "../../src/index.js";

function bshape(a: readonly number[], b: readonly number[]) {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1, y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}
function strides(s: readonly number[]) { const st = new Array(s.length).fill(1); for (let i = s.length - 2; i >= 0; i--) st[i] = st[i + 1] * s[i + 1]; return st; }
function bidx(idx: number, out: number[], src: readonly number[]) {
  const so = strides(out), ss = strides(src); let off = 0; const k = out.length - src.length;
  for (let d = 0; d < out.length; d++) { const c = Math.floor(idx / so[d]) % out[d]; if (d >= k && src[d - k] !== 1) off += c * ss[d - k]; }
  return off;
}
const erf = (x: number) => { const t = 1 / (1 + 0.3275911 * Math.abs(x)); const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x); return x >= 0 ? y : -y; };
function erfPrecise(x: number): number { // series / continued fraction for double precision
  const ax = Math.abs(x);
  if (ax < 3) { let sum = x, term = x; const x2 = x * x; for (let n = 1; n < 200; n++) { term *= -x2 / n; const t = term / (2 * n + 1); sum += t; if (Math.abs(t) < 1e-17 * Math.abs(sum)) break; } return 2 / Math.sqrt(Math.PI) * sum; }
  return Math.sign(x) * (1 - erfcCf(ax));
}
function erfcCf(x: number) { let f = 0; for (let n = 60; n >= 1; n--) f = n / 2 / (x + f); return Math.exp(-x * x) / Math.sqrt(Math.PI) / (x + f); }
void erf;
export class NaiveBackend implements Backend {
  readonly name = "naive";
  supportsDtype(d: string) { return d === "f32"; }
  private mk(data: Float32Array | Int32Array, shape: readonly number[], dtype: DType) { return new Tensor(this, data, [...shape], dtype); }
  upload(data: TensorData, shape: readonly number[], dtype: DType) { return this.mk(dtype === "i32" ? Int32Array.from(data as Int32Array) : Float32Array.from(data as Float32Array), shape, dtype); }
  async read(t: Tensor) { return (t.storage as Float32Array).slice(0, t.size); }
  dispose() {}
  d(t: Tensor) { return t.storage as Float32Array; }
  cast(x: Tensor) { return this.mk(Float32Array.from(this.d(x)), x.shape, "f32"); }
  matmul(a: Tensor, b: Tensor, o: MatmulOptions = {}) {
    const as = a.shape, bs = b.shape; const M = o.transA ? as[as.length - 1] : as[as.length - 2]; const K = o.transA ? as[as.length - 2] : as[as.length - 1];
    const N = o.transB ? bs[bs.length - 2] : bs[bs.length - 1];
    const batch = bshape(as.slice(0, -2), bs.slice(0, -2)); const nb = batch.reduce((x, y) => x * y, 1);
    const out = new Float32Array(nb * M * N); const A = this.d(a), B = this.d(b); const alpha = o.alpha ?? 1;
    for (let bi = 0; bi < nb; bi++) {
      const ao = bidx(bi, batch, as.slice(0, -2)) * as[as.length - 1] * as[as.length - 2];
      const bo = bidx(bi, batch, bs.slice(0, -2)) * bs[bs.length - 1] * bs[bs.length - 2];
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) { let s = 0; for (let k = 0; k < K; k++) s += A[ao + (o.transA ? k * M + i : i * K + k)] * B[bo + (o.transB ? j * K + k : k * N + j)]; out[bi * M * N + i * N + j] = s * alpha; }
    }
    return this.mk(out, [...batch, M, N], a.dtype);
  }
  bin(a: Tensor, b: Tensor, f: (x: number, y: number) => number) { const s = bshape(a.shape, b.shape); const n = s.reduce((x, y) => x * y, 1); const o = new Float32Array(n); const A = this.d(a), B = this.d(b); for (let i = 0; i < n; i++) o[i] = f(A[bidx(i, s, a.shape)], B[bidx(i, s, b.shape)]); return this.mk(o, s, a.dtype); }
  add(a: Tensor, b: Tensor) { return this.bin(a, b, (x, y) => x + y); }
  mul(a: Tensor, b: Tensor) { return this.bin(a, b, (x, y) => x * y); }
  gather(t: Tensor, ids: Tensor) { const D = t.shape[1]; const I = ids.storage as Int32Array; const o = new Float32Array(I.length * D); const T = this.d(t); for (let i = 0; i < I.length; i++) o.set(T.subarray(I[i] * D, I[i] * D + D), i * D); return this.mk(o, [I.length, D], t.dtype); }
  takeAlongAxis(x: Tensor, idx: Tensor, axis: number) {
    const s = bshape(x.shape, idx.shape); s[axis] = idx.shape[axis]; const n = s.reduce((a, b) => a * b, 1); const o = new Float32Array(n); const X = this.d(x); const I = idx.storage as Int32Array; const so = strides(s); const sx = strides(x.shape);
    for (let i = 0; i < n; i++) { const k = I[bidx(i, s, idx.shape)]; let off = 0; for (let dd = 0; dd < s.length; dd++) { const c = dd === axis ? k : Math.floor(i / so[dd]) % s[dd]; off += (x.shape[dd] === 1 && dd !== axis ? 0 : c) * sx[dd]; } o[i] = X[off]; }
    return this.mk(o, s, x.dtype);
  }
  layerNorm(x: Tensor, g: Tensor, b: Tensor, eps: number) { const D = x.shape[x.shape.length - 1]; const X = this.d(x), G = this.d(g), B = this.d(b); const o = new Float32Array(X.length); for (let r = 0; r < X.length / D; r++) { let m = 0; for (let i = 0; i < D; i++) m += X[r * D + i]; m /= D; let v = 0; for (let i = 0; i < D; i++) v += (X[r * D + i] - m) ** 2; v /= D; const inv = 1 / Math.sqrt(v + eps); for (let i = 0; i < D; i++) o[r * D + i] = (X[r * D + i] - m) * inv * G[i] + B[i]; } return this.mk(o, x.shape, x.dtype); }
  activation(x: Tensor, act: Activation) { const f: Record<string, (v: number) => number> = { gelu: (v) => 0.5 * v * (1 + erfPrecise(v / Math.SQRT2)), tanh: Math.tanh, relu: (v) => Math.max(0, v), linear: (v) => v }; return this.mk(this.d(x).map(f[act]), x.shape, x.dtype); }
  softmax(x: Tensor, mask?: Tensor) { const N = x.shape[x.shape.length - 1]; const X = Float32Array.from(this.d(x)); if (mask) { const M = this.d(mask); for (let i = 0; i < X.length; i++) if (M[bidx(i, [...x.shape], mask.shape)] === 0) X[i] = -3.4028234663852886e38; } for (let r = 0; r < X.length / N; r++) { let mx = -Infinity; for (let i = 0; i < N; i++) mx = Math.max(mx, X[r * N + i]); let s = 0; for (let i = 0; i < N; i++) { X[r * N + i] = Math.exp(X[r * N + i] - mx); s += X[r * N + i]; } for (let i = 0; i < N; i++) X[r * N + i] /= s; } return this.mk(X, x.shape, x.dtype); }
  conv1d(x: Tensor, w: Tensor, b: Tensor, layout: SequenceLayout) {
    const [Co, Ci, K] = w.shape; const X = this.d(x), W = this.d(w), Bb = this.d(b); const T = x.shape[0]; const o = new Float32Array(T * Co); const pad = (K - 1) / 2;
    const spans: [number, number][] = layout.kind === "padded" ? Array.from({ length: layout.batch }, (_, i) => [i * layout.seqLen, layout.seqLen]) : Array.from({ length: layout.offsets.length - 1 }, (_, i) => [layout.offsets[i], layout.offsets[i + 1] - layout.offsets[i]]);
    for (const [st, len] of spans) for (let t = 0; t < len; t++) for (let co = 0; co < Co; co++) { let s = Bb[co]; for (let k = 0; k < K; k++) { const tt = t + k - pad; if (tt < 0 || tt >= len) continue; for (let ci = 0; ci < Ci; ci++) s += W[(co * Ci + ci) * K + k] * X[(st + tt) * Ci + ci]; } o[(st + t) * Co + co] = s; }
    return this.mk(o, [T, Co], x.dtype);
  }
  transpose(x: Tensor, perm: readonly number[]) { const s = perm.map((p) => x.shape[p]); const n = x.size; const o = new Float32Array(n); const X = this.d(x); const so = strides(s), sx = strides(x.shape); for (let i = 0; i < n; i++) { let off = 0; for (let dd = 0; dd < s.length; dd++) off += (Math.floor(i / so[dd]) % s[dd]) * sx[perm[dd]]; o[i] = X[off]; } return this.mk(o, s, x.dtype); }
}
