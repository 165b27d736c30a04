/**
 * The conformance kit's "invalid input" family: misuses every backend must reject the same way — the op contract's
 * `DebertaError`, same code and same message — instead of converting, crashing or computing garbage. A backend that
 * starts each op with `opContract.<op>(this, …)` passes it; one with its own checks (or none) shows where it
 * differs. Also checks the upload rule's one conversion (f32 values into an f16 tensor, rounded).
 *
 * Fused ops the backend lacks go through core's dispatch (`ops/index.ts`), which checks the same contract.
 */
import type { AttentionArgs, Backend, MatmulOptions } from "../backend.js";
import { type DType, type FloatDType, f32ToF16Bits } from "../dtype.js";
import { DebertaError, type DebertaErrorCode } from "../errors.js";
import { packedLayout, paddedLayout } from "../layout.js";
import { opContract } from "../ops/contract.js";
import { addLayerNorm, disentangledAttention, linear, linearMany } from "../ops/index.js";
import type { Tensor } from "../tensor.js";
import { HostBackend } from "./host-backend.js";

export const INVALID_INPUT_OP = "invalidInput";

export interface InvalidInputResult {
  case: string;
  ok: boolean;
  error?: string;
}

interface InvalidCase {
  name: string;
  code: DebertaErrorCode;
  /** Runs the misuse on the backend under test. */
  misuse(be: Backend, t: Fixtures): unknown;
  /** The same call to the contract alone: its error is the one expected. */
  contract(be: Backend, t: Fixtures): unknown;
}

/** Small valid tensors the misuses are built from (uploaded once per run). */
interface Fixtures {
  dt: FloatDType;
  x23: Tensor; // [2, 3]
  x34: Tensor; // [3, 4]
  x3: Tensor; // [3]
  x4: Tensor; // [4]
  ids: Tensor; // i32 [2]
  disposed: Tensor; // [2, 3], disposed
  foreign: Tensor; // [2, 3] on another backend
}

const attention = (t: Fixtures, over: Partial<AttentionArgs>): AttentionArgs => {
  const spec = { numHeads: 1, headDim: 3, c2p: false, p2c: false, scale: Math.sqrt(3), span: 2, buckets: 0, maxPosition: 512 };
  return { q: t.x23, k: t.x23, v: t.x23, layout: packedLayout([2]), spec, ...over };
};

const upload = (data: unknown, shape: number[], dtype: DType): InvalidCase => ({
  name: `upload: a ${(data as object).constructor.name} [${(data as ArrayLike<number>).length}] as ${dtype} [${shape}]`,
  code: "INPUT_INVALID",
  misuse: (be) => be.upload(data as never, shape, dtype),
  contract: (be) => opContract.upload(be, data as never, shape, dtype),
});

/** Calls a fused op the way the model does: the backend's own, or core's checked fallback. */
const viaModel = {
  linear: (be: Backend, x: Tensor, w: Tensor, b?: Tensor) => (be.linear ? be.linear(x, w, b) : linear(be, x, w, b)),
  addLayerNorm: (be: Backend, x: Tensor, r: Tensor, g: Tensor, b: Tensor) => (be.addLayerNorm ? be.addLayerNorm(x, r, g, b, 1e-5) : addLayerNorm(be, x, r, g, b, 1e-5)),
  linearMany: (be: Backend, x: Tensor, w: Tensor[], b: (Tensor | undefined)[]) => (be.linearMany ? be.linearMany(x, w, b) : linearMany(be, x, w, b)),
  attention: (be: Backend, a: AttentionArgs) => (be.disentangledAttention ? be.disentangledAttention(a) : disentangledAttention(be, a)),
};

function cases(): InvalidCase[] {
  const mm = (name: string, a: (t: Fixtures) => Tensor, b: (t: Fixtures) => Tensor, opts?: MatmulOptions): InvalidCase => ({
    name,
    code: "INPUT_INVALID",
    misuse: (be, t) => be.matmul(a(t), b(t), opts),
    contract: (be, t) => opContract.matmul(be, a(t), b(t), opts),
  });
  const c = (name: string, code: DebertaErrorCode, run: (be: Backend, t: Fixtures) => unknown, contract: (be: Backend, t: Fixtures) => unknown): InvalidCase => ({ name, code, misuse: run, contract });
  return [
    upload(new Uint16Array(6), [2, 3], "f32"),
    upload(new Int32Array(6), [2, 3], "f32"),
    upload(new Float32Array(2), [2], "i32"),
    upload(new Int32Array(6), [2, 3], "f16"),
    upload(new Float32Array(5), [2, 3], "f32"),
    upload(new Float32Array(0), [-1, 0], "f32"),
    mm("matmul: inner dims differ", (t) => t.x23, (t) => t.x23),
    mm("matmul: i32 operand", (t) => t.ids.reshape([1, 2]), (t) => t.x23),
    c("add: shapes that do not broadcast", "INPUT_INVALID", (be, t) => be.add(t.x23, t.x34), (be, t) => opContract.add(be, t.x23, t.x34)),
    c("mul: i32 operand", "INPUT_INVALID", (be, t) => be.mul(t.x23, t.ids), (be, t) => opContract.mul(be, t.x23, t.ids)),
    c("gather: 1-D table", "INPUT_INVALID", (be, t) => be.gather(t.x3, t.ids), (be, t) => opContract.gather(be, t.x3, t.ids)),
    c("gather: float ids", "INPUT_INVALID", (be, t) => be.gather(t.x23, t.x3), (be, t) => opContract.gather(be, t.x23, t.x3)),
    c("takeAlongAxis: ranks differ", "INPUT_INVALID", (be, t) => be.takeAlongAxis(t.x23, t.ids, 1), (be, t) => opContract.takeAlongAxis(be, t.x23, t.ids, 1)),
    c("takeAlongAxis: axis out of range", "INPUT_INVALID", (be, t) => be.takeAlongAxis(t.x23, t.ids.reshape([1, 2]), 2), (be, t) => opContract.takeAlongAxis(be, t.x23, t.ids.reshape([1, 2]), 2)),
    c("layerNorm: gamma of the wrong size", "INPUT_INVALID", (be, t) => be.layerNorm(t.x23, t.x4, t.x3, 1e-5), (be, t) => opContract.layerNorm(be, t.x23, t.x4, t.x3, 1e-5)),
    c("activation: unknown name", "INPUT_INVALID", (be, t) => be.activation(t.x23, "gelu_typo" as never), (be, t) => opContract.activation(be, t.x23, "gelu_typo" as never)),
    c("softmax: mask that does not broadcast", "INPUT_INVALID", (be, t) => be.softmax(t.x23, t.x34), (be, t) => opContract.softmax(be, t.x23, t.x34)),
    c(
      "conv1d: x rows differ from the layout's tokens",
      "INPUT_INVALID",
      (be, t) => be.conv1d(t.x23, t.x23.reshape([1, 3, 2]), t.x3, packedLayout([3])),
      (be, t) => opContract.conv1d(be, t.x23, t.x23.reshape([1, 3, 2]), t.x3, packedLayout([3])),
    ),
    c("transpose: not a permutation", "INPUT_INVALID", (be, t) => be.transpose(t.x23, [0, 0]), (be, t) => opContract.transpose(be, t.x23, [0, 0])),
    c("cast: i32 input", "INPUT_INVALID", (be, t) => be.cast(t.ids, "f32"), (be, t) => opContract.cast(be, t.ids, "f32")),
    c("linear: weight in-features differ", "INPUT_INVALID", (be, t) => viaModel.linear(be, t.x23, t.x34), (be, t) => opContract.linear(be, t.x23, t.x34, undefined)),
    ...[
      ["linearMany: weights[1] in-features differ", (t: Fixtures) => [t.x23, [t.x34.reshape([4, 3]), t.x34], [undefined, undefined]]],
      ["linearMany: biases[0] of the wrong size", (t: Fixtures) => [t.x23, [t.x34.reshape([4, 3])], [t.x3]]],
      ["linearMany: fewer biases than weights", (t: Fixtures) => [t.x23, [t.x34.reshape([4, 3]), t.x34.reshape([4, 3])], [t.x4]]],
      ["linearMany: no weights", (t: Fixtures) => [t.x23, [], []]],
      ["linearMany: a disposed weight", (t: Fixtures) => [t.x23, [t.x34.reshape([4, 3]), t.disposed], [undefined, undefined]], "DISPOSED"],
    ].map(([name, args, code]) => {
      const a = args as (t: Fixtures) => [Tensor, Tensor[], (Tensor | undefined)[]];
      return c(name as string, (code as DebertaErrorCode | undefined) ?? "INPUT_INVALID", (be, t) => viaModel.linearMany(be, ...a(t)), (be, t) => opContract.linearMany(be, ...a(t)));
    }),
    c(
      "addLayerNorm: residual broadcast (shapes must match)",
      "INPUT_INVALID",
      (be, t) => viaModel.addLayerNorm(be, t.x23, t.x3.reshape([1, 3]), t.x3, t.x3),
      (be, t) => opContract.addLayerNorm(be, t.x23, t.x3.reshape([1, 3]), t.x3, t.x3, 1e-5),
    ),
    c(
      "disentangledAttention: q of the wrong shape",
      "INPUT_INVALID",
      (be, t) => viaModel.attention(be, attention(t, { q: t.x34 })),
      (be, t) => opContract.disentangledAttention(be, attention(t, { q: t.x34 })),
    ),
    c(
      "disentangledAttention: c2p without posKey",
      "INPUT_INVALID",
      (be, t) => viaModel.attention(be, attention(t, { spec: { ...attention(t, {}).spec, c2p: true } })),
      (be, t) => opContract.disentangledAttention(be, attention(t, { spec: { ...attention(t, {}).spec, c2p: true } })),
    ),
    c(
      "disentangledAttention: padded mask of the wrong size",
      "INPUT_INVALID",
      (be, t) => viaModel.attention(be, attention(t, { layout: paddedLayout(1, 2), mask: t.x3 })),
      (be, t) => opContract.disentangledAttention(be, attention(t, { layout: paddedLayout(1, 2), mask: t.x3 })),
    ),
    c("ownership: a tensor of another backend", "INPUT_INVALID", (be, t) => be.add(t.x23, t.foreign), (be, t) => opContract.add(be, t.x23, t.foreign)),
    c("ownership: a disposed tensor in an op", "DISPOSED", (be, t) => be.mul(t.disposed, t.x23), (be, t) => opContract.mul(be, t.disposed, t.x23)),
    c("ownership: reading a disposed tensor", "DISPOSED", (be, t) => be.read(t.disposed), (be, t) => opContract.read(be, t.disposed)),
  ];
}

function fixtures(be: Backend, dt: FloatDType, foreignBackend: Backend): Fixtures {
  const f = (n: number) => Float32Array.from({ length: n }, (_, i) => (i % 5) - 2);
  const up = (shape: number[]) => be.upload(f(shape.reduce((a, b) => a * b, 1)), shape, dt);
  const disposed = up([2, 3]);
  disposed.dispose();
  return {
    dt,
    x23: up([2, 3]),
    x34: up([3, 4]),
    x3: up([3]),
    x4: up([4]),
    ids: be.upload(Int32Array.of(0, 1), [2], "i32"),
    disposed,
    foreign: foreignBackend.upload(f(6), [2, 3], "f32"),
  };
}

async function expectRejection(c: InvalidCase, be: Backend, t: Fixtures): Promise<InvalidInputResult> {
  let want: unknown;
  try {
    await c.contract(be, t);
  } catch (e) {
    want = e;
  }
  if (!(want instanceof DebertaError) || want.code !== c.code) {
    return { case: c.name, ok: false, error: `kit bug: the contract gave ${describe(want)}, expected a ${c.code} DebertaError` };
  }
  try {
    const out = await c.misuse(be, t);
    disposeResult(out);
    return { case: c.name, ok: false, error: `accepted the call (expected ${want.code}: ${want.message})` };
  } catch (e) {
    if (!(e instanceof DebertaError)) return { case: c.name, ok: false, error: `threw ${describe(e)}, expected DebertaError ${want.code}: ${want.message}` };
    if (e.code !== want.code || e.message !== want.message) {
      return { case: c.name, ok: false, error: `threw ${e.code}: "${e.message}", expected ${want.code}: "${want.message}"` };
    }
    return { case: c.name, ok: true };
  }
}

/** The one conversion the upload rule makes: f32 values into an f16 tensor are rounded to half (as torch `.half()`). */
async function f16FromF32(be: Backend): Promise<InvalidInputResult> {
  const name = "upload: a Float32Array as f16 is rounded to half bits";
  const values = Float32Array.of(1.5, -2.25, 65504, 1e-8, 0.1, -0);
  const t = be.upload(values, [values.length], "f16");
  try {
    const bits = await be.read(t);
    const want = Uint16Array.from(values, (v) => f32ToF16Bits(v));
    const bad = Array.from(want).findIndex((w, i) => bits[i] !== w);
    if (!(bits instanceof Uint16Array) || bad >= 0) return { case: name, ok: false, error: `read back [${Array.from(bits)}], expected half bits [${Array.from(want)}]` };
    return { case: name, ok: true };
  } finally {
    t.dispose();
  }
}

/** Runs the family on `be` in `dtype`. */
export async function runInvalidInputs(be: Backend, dtype: FloatDType): Promise<InvalidInputResult[]> {
  const foreign = new HostBackend({ name: "conformance-foreign" });
  const t = fixtures(be, dtype, foreign);
  const results: InvalidInputResult[] = [];
  try {
    for (const c of cases()) results.push(await expectRejection(c, be, t));
    if (be.supportsDtype("f16")) results.push(await f16FromF32(be));
  } finally {
    for (const x of [t.x23, t.x34, t.x3, t.x4, t.ids, t.foreign]) x.dispose();
  }
  return results;
}

function disposeResult(out: unknown): void {
  if (out && typeof out === "object") {
    for (const v of Object.values(out)) if (v && typeof (v as Tensor).dispose === "function") (v as Tensor).dispose();
    if (typeof (out as Tensor).dispose === "function") (out as Tensor).dispose();
  }
}

function describe(e: unknown): string {
  if (e === undefined) return "no error";
  if (e instanceof DebertaError) return `${e.code}: "${e.message}"`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
