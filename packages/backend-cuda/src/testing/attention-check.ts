/**
 * Checks of the fused attention kernels on shapes the conformance kit's small cases do not reach: several query and
 * key tiles (online softmax across tiles, the relative-window arithmetic with q0 ≠ j0), log buckets with the index
 * clamp, padded rows in several tiles, left padding, packed batches of uneven lengths, every padded head size
 * (16/32/64/128), c2p / p2c alone — for the scalar kernel (f32, f16, bf16) and the tensor-core kernel (f16, bf16),
 * against core's float64 `refDisentangledAttention`.
 *
 * Framework-free, so the vitest suites (emulator, GPU) and `scripts/gpu-check.mjs` on a lent GPU run the same
 * cases: `for (const c of ATTENTION_CASES) for (const r of ATTENTION_RUNS) await checkAttention(backend, c, r)`.
 */
import {
  type AttentionSpec,
  f16ArrayToF32,
  f32ArrayToF16,
  layoutMaxLen,
  layoutTokens,
  packedLayout,
  paddedLayout,
  type SequenceLayout,
} from "@deberta-js/core";
import { buildRelIndex, randomNormal, refDisentangledAttention, Rng, roundToDtype } from "@deberta-js/core/testing";
import type { CudaBackend } from "../backend.js";

export interface AttentionCheckCase {
  name: string;
  layout: SequenceLayout;
  H: number;
  d: number;
  c2p: boolean;
  p2c: boolean;
  span: number;
  buckets: number;
  maxPosition: number;
}

export interface AttentionCheckRun {
  kind: "scalar" | "mma";
  /** Tensor dtype; "f16" means the backend's 16-bit type (`half`). */
  dtype: "f32" | "f16";
  half: "f16" | "bf16";
  /** Bound on ‖out − ref‖ / ‖ref‖. */
  tol: number;
}

function mask(B: number, L: number, lens: number[], left: boolean[]): number[] {
  const m: number[] = [];
  for (let b = 0; b < B; b++) for (let i = 0; i < L; i++) m.push(left[b] ? (i >= L - lens[b] ? 1 : 0) : i < lens[b] ? 1 : 0);
  return m;
}

export const ATTENTION_CASES: readonly AttentionCheckCase[] = [
  {
    name: "padded 3x140, right/left/full padding, c2p+p2c, log buckets + clamp, d=64",
    layout: paddedLayout(3, 140, mask(3, 140, [97, 130, 0], [false, true, false])),
    H: 1,
    d: 64,
    c2p: true,
    p2c: true,
    span: 16,
    buckets: 32,
    maxPosition: 64,
  },
  {
    name: "packed [1,70,130,64,5], c2p+p2c, no buckets (clamp at span 40), d=24",
    layout: packedLayout([1, 70, 130, 64, 5]),
    H: 2,
    d: 24,
    c2p: true,
    p2c: true,
    span: 40,
    buckets: 0,
    maxPosition: 512,
  },
  { name: "packed [33,100], c2p only, d=8", layout: packedLayout([33, 100]), H: 2, d: 8, c2p: true, p2c: false, span: 64, buckets: 0, maxPosition: 512 },
  { name: "packed [100,33], p2c only, d=16", layout: packedLayout([100, 33]), H: 2, d: 16, c2p: false, p2c: true, span: 64, buckets: 16, maxPosition: 128 },
  { name: "padded 2x80 no padding, no relative terms, d=128", layout: paddedLayout(2, 80), H: 1, d: 128, c2p: false, p2c: false, span: 8, buckets: 0, maxPosition: 512 },
];

export const ATTENTION_RUNS: readonly AttentionCheckRun[] = [
  { kind: "scalar", dtype: "f32", half: "f16", tol: 2e-6 },
  { kind: "scalar", dtype: "f16", half: "f16", tol: 2e-3 },
  { kind: "scalar", dtype: "f16", half: "bf16", tol: 1.2e-2 },
  { kind: "mma", dtype: "f16", half: "f16", tol: 4e-3 },
  { kind: "mma", dtype: "f16", half: "bf16", tol: 2.5e-2 },
];

export function roundBf16(values: ArrayLike<number>): Float64Array {
  const f = Float32Array.from(values);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    u[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) << 16;
  }
  return Float64Array.from(f);
}

export function relativeErrorNorm(a: ArrayLike<number>, r: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < r.length; i++) {
    num += (a[i] - r[i]) ** 2;
    den += r[i] ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-300));
}

export interface AttentionCheckResult {
  ok: boolean;
  /** The kernel that ran. */
  kernel: string;
  relError: number;
  /** f32 runs: max |out − ref| / (1e-3 + |ref|). */
  worstElementError?: number;
  problems: string[];
}

/**
 * Runs one case on `backend` (created with `{ attention: run.kind, half: run.half }`) and compares with the
 * float64 reference.
 */
export async function checkAttention(backend: CudaBackend, c: AttentionCheckCase, run: AttentionCheckRun, seed = 7): Promise<AttentionCheckResult> {
  const rng = new Rng(seed);
  const T = layoutTokens(c.layout);
  const L = layoutMaxLen(c.layout);
  const HD = c.H * c.d;
  const round = (v: Float64Array) => (run.dtype === "f32" ? roundToDtype(v, "f32") : run.half === "bf16" ? roundBf16(v) : roundToDtype(v, "f16"));
  const gen = (n: number, std: number) => round(randomNormal(rng, n, std));
  const q = gen(T * HD, 0.6);
  const k = gen(T * HD, 0.6);
  const v = gen(T * HD, 1);
  const pk = gen(2 * c.span * HD, 0.6);
  const pq = gen(2 * c.span * HD, 0.6);
  const rel = buildRelIndex(L + 3, c.span, c.buckets, c.maxPosition); // longer than needed: read around its centre
  const spec: AttentionSpec = {
    numHeads: c.H,
    headDim: c.d,
    c2p: c.c2p,
    p2c: c.p2c,
    scale: Math.sqrt(c.d * (1 + Number(c.c2p) + Number(c.p2c))),
    span: c.span,
    buckets: c.buckets,
    maxPosition: c.maxPosition,
  };
  const m = c.layout.kind === "padded" ? Array.from(c.layout.mask) : undefined;
  const ref = refDisentangledAttention({
    q: { shape: [T, HD], data: q },
    k: { shape: [T, HD], data: k },
    v: { shape: [T, HD], data: v },
    posKey: c.c2p ? { shape: [2 * c.span, HD], data: pk } : undefined,
    posQuery: c.p2c ? { shape: [2 * c.span, HD], data: pq } : undefined,
    relIndex: rel,
    mask: m,
    layout: c.layout,
    spec,
    dtype: run.dtype,
  }).context.data;

  const up = (x: Float64Array, shape: number[]) => {
    if (run.dtype === "f32") return backend.upload(Float32Array.from(x), shape, "f32");
    if (run.half === "bf16") {
      // upload f32 and cast, so the values are exactly the bf16 ones (IEEE half bits could not hold them all)
      const f = backend.upload(Float32Array.from(x), shape, "f32");
      const h = backend.cast(f, "f16");
      f.dispose();
      return h;
    }
    return backend.upload(f32ArrayToF16(Float32Array.from(x)), shape, "f16");
  };
  const tq = up(q, [T, HD]);
  const tk = up(k, [T, HD]);
  const tv = up(v, [T, HD]);
  const tpk = c.c2p ? up(pk, [2 * c.span, HD]) : undefined;
  const tpq = c.p2c ? up(pq, [2 * c.span, HD]) : undefined;
  const trel = backend.upload(rel, [rel.length], "i32");
  const tmask = m ? backend.upload(Float32Array.from(m), [c.layout.kind === "padded" ? c.layout.batch : 1, L], "f32") : undefined;
  const problems: string[] = [];
  let out: Float32Array;
  let kernel = "";
  try {
    const { context } = backend.disentangledAttention({ q: tq, k: tk, v: tv, posKey: tpk, posQuery: tpq, relIndex: trel, mask: tmask, layout: c.layout, spec });
    kernel = backend.lastAttentionKernel;
    if (run.dtype === "f32") out = (await backend.read(context)) as Float32Array;
    else if (run.half === "bf16") {
      const f = backend.cast(context, "f32");
      out = (await backend.read(f)) as Float32Array;
      f.dispose();
    } else out = f16ArrayToF32((await backend.read(context)) as Uint16Array);
    context.dispose();
  } finally {
    for (const t of [tq, tk, tv, tpk, tpq, trel, tmask]) t?.dispose();
  }
  if (!kernel.startsWith(`djs_attn_${run.kind}_`)) problems.push(`ran ${kernel || "no kernel"}, expected djs_attn_${run.kind}_*`);
  if (!out.every(Number.isFinite)) problems.push("non-finite output");
  const relError = relativeErrorNorm(out, ref);
  if (!(relError < run.tol)) problems.push(`relative error ${relError.toExponential(2)} >= ${run.tol}`);
  let worstElementError: number | undefined;
  if (run.dtype === "f32") {
    worstElementError = 0;
    for (let i = 0; i < ref.length; i++) worstElementError = Math.max(worstElementError, Math.abs(out[i] - ref[i]) / (1e-3 + Math.abs(ref[i])));
    if (!(worstElementError < run.tol * 50)) problems.push(`worst element error ${worstElementError.toExponential(2)}`);
  }
  return { ok: problems.length === 0, kernel, relError, worstElementError, problems };
}
