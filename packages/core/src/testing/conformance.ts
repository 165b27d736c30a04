/**
 * The backend conformance kit: runs every op of a `Backend` on seeded random inputs and compares the results with
 * the float64 references of `reference-ops.ts`.
 *
 *   const report = await runConformance(new MyBackend(), { dtype: "f32" });
 *   expect(report.passed).toBe(true);
 *
 * Each case uploads its inputs, fills the backend's freshly freed memory with NaN ("poison", so an element the op
 * never writes shows up when the backend reuses buffers), runs the op, reads the outputs back and checks
 *  - the output count, shape and dtype;
 *  - every element: |actual − ref| ≤ (atol + rtol · mag) · scale, where `mag` is the magnitude the result is built
 *    from (|ref| for most ops; Σ|a||b| for products, so cancellation does not demand impossible accuracy);
 *    data-movement ops (cast, gather, takeAlongAxis, transpose) must be exact; no NaN/Inf where the ref is finite;
 *  - that the inputs still hold what was uploaded, and that no output shares storage with an input.
 * An op that throws (when called or at `read`) fails that case; the kit never crashes on a backend error.
 *
 * Optional fused ops are tested when the backend has them; otherwise they are reported as skipped (core runs its
 * reference fallback). With `checkFallbacks: true` the fallbacks of `ops/reference.ts` are run on the backend's
 * primitives and checked too.
 */
import type { Backend } from "../backend.js";
import type { DType, FloatDType, TensorData } from "../dtype.js";
import { InputError } from "../errors.js";
import type { Tensor } from "../tensor.js";
import { QUANTIZED_GATHER_OP } from "./conformance-quantized-gather.js";
import { LINEAR_MANY_OP } from "./conformance-linear-many.js";
import { buildCases, FUSED_OPS, type CaseDef, type Expected } from "./conformance-cases.js";
import { INVALID_INPUT_OP, runInvalidInputs } from "./conformance-invalid.js";
import { Rng } from "./random.js";
import { fromTensorData, roundScalar, sizeOf, stridesOf, toTensorData } from "./reference-ops.js";

export { FUSED_OPS, buildRelIndex, type AttentionCaseSpec } from "./conformance-cases.js";
export { INVALID_INPUT_OP } from "./conformance-invalid.js";

export interface Tolerance {
  /** Absolute part. */
  atol: number;
  /** Relative part, times the op's magnitude (|ref|, or Σ|a||b| for products). */
  rtol: number;
}

/** Defaults per dtype: f32 ≈ a few hundred ulps of slack; f16 ≈ 2% (f16 has an 11-bit significand). */
export const DEFAULT_TOLERANCE: Readonly<Record<FloatDType, Tolerance>> = {
  f32: { atol: 1e-5, rtol: 1e-4 },
  f16: { atol: 2e-3, rtol: 2e-2 },
};

export const PRIMITIVE_OPS = [
  "cast",
  "matmul",
  "add",
  "mul",
  "gather",
  "takeAlongAxis",
  "layerNorm",
  "activation",
  "softmax",
  "conv1d",
  "transpose",
] as const;
/** Every op family the kit runs: the ops, and the misuses every backend must reject the contract's way. */
// gatherQuantized runs the backend's op or core's host fallback (never skipped: every backend must agree either way)
// linearMany likewise runs the backend's op or core's separate linears (never skipped)
export const CONFORMANCE_OPS: readonly string[] = [...PRIMITIVE_OPS, ...FUSED_OPS, QUANTIZED_GATHER_OP, LINEAR_MANY_OP, INVALID_INPUT_OP];

export interface ConformanceOptions {
  /** PRNG seed (default 1234). */
  seed?: number;
  /** Compute dtype of the float tensors (default "f32"). */
  dtype?: FloatDType;
  /** Only these ops (names of `CONFORMANCE_OPS`). */
  ops?: string[];
  /** Where failure lines and the summary go (default `console.error`). */
  log?: (line: string) => void;
  /** Overrides the dtype's default tolerance, globally and per op. */
  tolerance?: Partial<Tolerance> & { ops?: Record<string, Partial<Tolerance>> };
  /** When a fused op is missing, check core's reference fallback (built from this backend's primitives) instead. */
  checkFallbacks?: boolean;
}

export interface ConformanceResult {
  op: string;
  case: string;
  maxAbsError: number;
  maxRelError: number;
  /** The bound that was applied, in words. */
  tolerance: string;
  ok: boolean;
  /** Why it failed (exception, NaN, shape, modified input, worst element …). */
  error?: string;
  /** The op is optional and the backend lacks it. */
  skipped?: boolean;
}

export interface ConformanceReport {
  passed: boolean;
  results: ConformanceResult[];
  backend?: string;
  dtype?: FloatDType;
}

// ── runner ─────────────────────────────────────────────────────────────────────────────────────────────────────

function poisonData(dtype: DType, n: number): TensorData {
  if (dtype === "f32") return new Float32Array(n).fill(NaN);
  if (dtype === "f16") return new Uint16Array(n).fill(0x7e00);
  return new Int32Array(n).fill(-0x7fffffff);
}

function sameBits(a: TensorData, b: TensorData): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return String(e);
}

function formatIndex(flat: number, shape: readonly number[]): string {
  const s = stridesOf(shape);
  return `[${s.map((st, i) => Math.floor(flat / st) % shape[i]).join(",")}]`;
}

const fmt = (x: number) => (x === 0 ? "0" : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2));

interface Comparison {
  maxAbs: number;
  maxRel: number;
  ok: boolean;
  error?: string;
}

function compare(actual: Float64Array, e: Expected, tol: Tolerance): Comparison {
  const n = e.ref.length;
  if (actual.length !== n) return { maxAbs: Infinity, maxRel: Infinity, ok: false, error: `${e.name}: read back ${actual.length} elements, expected ${n}` };
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstRatio = 1;
  let bad = 0;
  const scale = e.scale ?? 1;
  for (let i = 0; i < n; i++) {
    if (e.care && !e.care[i]) continue;
    const a = actual[i];
    const r = e.ref[i];
    if (Number.isNaN(a) && !Number.isNaN(r)) {
      return { maxAbs: NaN, maxRel: NaN, ok: false, error: `${e.name}: NaN at ${formatIndex(i, e.shape)} (expected ${fmt(r)}; element never written, or overflow)` };
    }
    if (!Number.isFinite(a) && Number.isFinite(r)) {
      return { maxAbs: Infinity, maxRel: Infinity, ok: false, error: `${e.name}: ${a} at ${formatIndex(i, e.shape)} (expected ${fmt(r)})` };
    }
    if (e.exact) {
      const want = roundScalar(r, e.dtype);
      if (!Object.is(a, want) && !(a === want)) {
        bad++;
        if (worst < 0) worst = i;
      }
      const err = a === want ? 0 : Math.abs(a - want);
      if (err > maxAbs) maxAbs = err;
      continue;
    }
    const err = a === r ? 0 : Math.abs(a - r);
    if (err > maxAbs) maxAbs = err;
    if (Math.abs(r) >= tol.atol) maxRel = Math.max(maxRel, err / Math.abs(r));
    const mag = e.mag ? e.mag[i] : Math.abs(r);
    const limit = (tol.atol + tol.rtol * mag) * scale;
    if (err > limit) {
      bad++;
      const ratio = err / limit;
      if (ratio > worstRatio) {
        worstRatio = ratio;
        worst = i;
      }
    }
  }
  if (!bad) return { maxAbs, maxRel, ok: true };
  const a = actual[worst];
  const r = e.ref[worst];
  const what = e.exact ? "must match exactly" : `limit ${fmt((tol.atol + tol.rtol * (e.mag ? e.mag[worst] : Math.abs(r))) * scale)}`;
  return {
    maxAbs,
    maxRel,
    ok: false,
    error: `${e.name}: ${bad}/${n} elements out of tolerance; worst at ${formatIndex(worst, e.shape)}: got ${fmt(a)}, expected ${fmt(r)} (${what})`,
  };
}

function toleranceText(e: Expected[], tol: Tolerance): string {
  const one = (x: Expected) => {
    if (x.exact) return "exact";
    const scale = x.scale && x.scale !== 1 ? ` (×${x.scale})` : "";
    return `|Δ| ≤ ${tol.atol} + ${tol.rtol}·${x.magName ?? "|ref|"}${scale}`;
  };
  return e.length === 1 ? one(e[0]) : e.map((x) => `${x.name}: ${one(x)}`).join("; ");
}

async function runCase(be: Backend, c: CaseDef, tol: Tolerance): Promise<ConformanceResult> {
  const result: ConformanceResult = { op: c.op, case: c.name, maxAbsError: 0, maxRelError: 0, tolerance: "", ok: false };
  let expected: Expected[];
  try {
    expected = c.expected(be);
  } catch (e) {
    result.error = `reference failed (a bug in the conformance kit): ${errorText(e)}`;
    return result;
  }
  result.tolerance = toleranceText(expected, tol);
  const tensors: Tensor[] = [];
  const uploaded: TensorData[] = [];
  let outputs: Tensor[] = [];
  try {
    for (const i of c.inputs) {
      const data = toTensorData(i.values, i.dtype);
      uploaded.push(data);
      tensors.push(be.upload(data.slice(), i.shape, i.dtype));
    }
  } catch (e) {
    result.error = `upload failed: ${errorText(e)}`;
    return result;
  }
  try {
    // Poison: freed buffers of the outputs' sizes full of NaN, for allocators that reuse memory.
    for (const e of expected) {
      if (e.dtype === "i32") continue;
      for (let p = 0; p < 2; p++) be.upload(poisonData(e.dtype, sizeOf(e.shape)), e.shape, e.dtype).dispose();
    }
  } catch {
    // poisoning is best effort
  }
  const fail = (msg: string) => {
    result.ok = false;
    result.error = result.error ? `${result.error}; ${msg}` : msg;
  };
  try {
    try {
      outputs = c.run(be, tensors);
    } catch (e) {
      fail(`threw: ${errorText(e)}`);
      return result;
    }
    if (outputs.length !== expected.length) {
      fail(`returned ${outputs.length} outputs, expected ${expected.length}`);
      return result;
    }
    let ok = true;
    for (let o = 0; o < outputs.length; o++) {
      const t = outputs[o];
      const e = expected[o];
      if (t.dtype !== e.dtype) {
        fail(`${e.name}: dtype ${t.dtype}, expected ${e.dtype}`);
        ok = false;
        continue;
      }
      if (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape[i])) {
        fail(`${e.name}: shape [${t.shape}], expected [${e.shape}]`);
        ok = false;
        continue;
      }
      const alias = tensors.findIndex((x) => x.storage === t.storage);
      if (alias >= 0) {
        fail(`${e.name}: shares storage with input ${c.inputs[alias].name} (ops must return a new tensor)`);
        ok = false;
      }
      let data: TensorData;
      try {
        data = await be.read(t);
      } catch (err) {
        fail(`${e.name}: read failed: ${errorText(err)}`);
        ok = false;
        continue;
      }
      const cmp = compare(fromTensorData(data), e, tol);
      result.maxAbsError = Math.max(result.maxAbsError, cmp.maxAbs);
      result.maxRelError = Math.max(result.maxRelError, cmp.maxRel);
      if (Number.isNaN(cmp.maxAbs)) result.maxAbsError = NaN;
      if (!cmp.ok) {
        fail(cmp.error!);
        ok = false;
      }
    }
    // Inputs untouched?
    for (let i = 0; i < tensors.length; i++) {
      try {
        const now = await be.read(tensors[i]);
        const at = sameBits(now, uploaded[i]);
        if (at >= 0) {
          fail(`modified its input ${c.inputs[i].name} (first change at ${formatIndex(at, c.inputs[i].shape)})`);
          ok = false;
        }
      } catch (err) {
        fail(`input ${c.inputs[i].name}: read failed after the op: ${errorText(err)}`);
        ok = false;
      }
    }
    result.ok = ok;
    return result;
  } finally {
    try {
      c.cleanup?.();
    } catch (e) {
      fail(`cleanup failed: ${errorText(e)}`);
    }
    for (const t of [...outputs, ...tensors]) {
      try {
        t.dispose();
      } catch (e) {
        fail(`dispose failed: ${errorText(e)}`);
      }
    }
  }
}

export async function runConformance(backend: Backend, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const dt = options.dtype ?? "f32";
  const log = options.log ?? ((line: string) => console.error(line));
  const ops = options.ops ?? [...CONFORMANCE_OPS];
  for (const op of ops) {
    if (!CONFORMANCE_OPS.includes(op)) throw new InputError(`runConformance: unknown op "${op}" in options.ops (known: ${CONFORMANCE_OPS.join(", ")})`);
  }
  const label = `conformance ${backend.name} ${dt}`;
  if (!backend.supportsDtype(dt)) {
    const r: ConformanceResult = { op: "supportsDtype", case: dt, maxAbsError: 0, maxRelError: 0, tolerance: "", ok: false, error: `backend "${backend.name}" does not support ${dt}` };
    log(`${label}: FAIL — ${r.error}`);
    return { passed: false, results: [r], backend: backend.name, dtype: dt };
  }
  const base = { ...DEFAULT_TOLERANCE[dt], ...stripUndefined({ atol: options.tolerance?.atol, rtol: options.tolerance?.rtol }) };
  const tolFor = (op: string): Tolerance => ({ ...base, ...stripUndefined(options.tolerance?.ops?.[op] ?? {}) });
  const rng = new Rng(options.seed ?? 1234);
  const wanted = new Set(ops);
  const { cases, skipped } = buildCases(backend, dt, rng, wanted, !!options.checkFallbacks);
  const results: ConformanceResult[] = [];
  for (const c of cases) {
    const r = await runCase(backend, c, tolFor(c.op));
    if (typeof (backend as unknown as Record<string, unknown>)[c.op] !== "function" && (FUSED_OPS.includes(c.op as never) || c.op === LINEAR_MANY_OP)) {
      r.case = `reference fallback: ${r.case}`;
    }
    results.push(r);
  }
  if (wanted.has(INVALID_INPUT_OP)) {
    for (const r of await runInvalidInputs(backend, dt)) {
      results.push({ op: INVALID_INPUT_OP, case: r.case, maxAbsError: 0, maxRelError: 0, tolerance: "the op contract's error", ok: r.ok, error: r.error });
    }
  }
  for (const op of skipped) {
    results.push({ op, case: "skipped: not implemented, reference fallback used", maxAbsError: 0, maxRelError: 0, tolerance: "", ok: true, skipped: true });
  }
  // One line per failing op (its worst case), then a summary.
  const failedOps: string[] = [];
  for (const op of CONFORMANCE_OPS) {
    const bad = results.filter((r) => r.op === op && !r.ok);
    if (!bad.length) continue;
    failedOps.push(op);
    const total = results.filter((r) => r.op === op).length;
    const worst = bad.reduce((w, r) => (r.maxAbsError > w.maxAbsError || Number.isNaN(r.maxAbsError) ? r : w), bad[0]);
    log(
      `${label}: FAIL ${op} (${bad.length}/${total} cases) — worst "${worst.case}": maxAbs=${fmt(worst.maxAbsError)} maxRel=${fmt(worst.maxRelError)} vs ${worst.tolerance || "n/a"}${worst.error ? ` — ${worst.error}` : ""}`,
    );
  }
  const nFail = results.filter((r) => !r.ok).length;
  const nSkip = results.filter((r) => r.skipped).length;
  const nPass = results.length - nFail - nSkip;
  log(
    `${label}: ${nFail ? "FAILED" : "passed"} — ${nPass} passed, ${nFail} failed${failedOps.length ? ` (${failedOps.join(", ")})` : ""}, ${nSkip} skipped${skipped.length ? ` (${skipped.join(", ")}: reference fallback)` : ""}`,
  );
  return { passed: nFail === 0, results, backend: backend.name, dtype: dt };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const r: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (r as Record<string, unknown>)[k] = v;
  return r;
}
