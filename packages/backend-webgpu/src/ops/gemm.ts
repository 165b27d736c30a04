/**
 * GEMMs: matmul / linear (batched, broadcast batch dims, fused bias + activation), walking the row chunks of a split
 * transposed right operand (the tied MLM decoder), and the quantized linear that dequantizes inside the GEMM.
 */
import { type Activation, DebertaError, type QuantizedWeight, type Tensor, broadcastStrides, coalesceDims, sizeOf, stridesOf } from "@deberta-js/core";
import { DIRECT_R, DIRECT_WG, matmulDirectKernel } from "../kernels/matmul-direct.wgsl.js";
import { MATMUL_MAX_BATCH_RANK, matmulKernel, matmulParams } from "../kernels/matmul.wgsl.js";
import { QLINEAR_R, QLINEAR_WG, qlinearParams, quantizedLinearKernel } from "../kernels/quantized-linear.wgsl.js";
import { type Grid, MAX_GROUPS, grid1d, matmulRegisterBlock, matmulTiledGrid } from "../launch.js";
import type { OpContext } from "./context.js";

export interface GemmArgs {
  a: Tensor;
  b: Tensor;
  M: number;
  N: number;
  K: number;
  batchA: readonly number[];
  batchB: readonly number[];
  outBatch: readonly number[];
  transA: boolean;
  transB: boolean;
  alpha: number;
  bias?: Tensor;
  act?: Activation;
}

/** `alpha · op(a) · op(b) (+ bias) → act`, `[...outBatch, M, N]`; one dispatch per row chunk of a split `b`. */
export function gemm(ctx: OpContext, g: GemmArgs): Tensor {
  const { a, M, N, K, outBatch } = g;
  const out = ctx.memory.alloc([...outBatch, M, N], a.dtype, "matmul");
  const batch = sizeOf(outBatch);
  if (!out.size) return out;
  const strides = batchStrides(g);
  if (batch > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu matmul: batch ${batch} > ${MAX_GROUPS}`);
  const aBuf = ctx.memory.buf(a, "matmul (left operand)");
  const bSt = ctx.memory.storage(g.b);
  if (bSt.split && (!g.transB || g.b.rank !== 2 || batch !== 1)) bSt.single("matmul (right operand, unless 2-D and transposed)", g.b.shape);
  const biasBuf = g.bias ? ctx.memory.buf(g.bias, "linear bias") : undefined;
  const cpu = ctx.kernels === "cpu";
  const r = matmulRegisterBlock(M, N, batch);
  const variant = { da: a.dtype, db: g.b.dtype, dout: a.dtype, transA: g.transA, transB: g.transB, bias: g.bias?.dtype, act: g.act, r } as const;
  // the barrier-free kernel reads b's rows as vec4 when they are contiguous (bᵀ, K a multiple of 4)
  const kv = cpu ? matmulDirectKernel({ ...variant, vec4: !g.transA && g.transB && K % 4 === 0 }) : matmulKernel(variant);
  const rowsPerChunk = bSt.split ? bSt.chunkElems / K : N;
  if (!Number.isInteger(rowsPerChunk)) bSt.single("matmul (a view that splits rows)", g.b.shape);
  for (let ch = 0; ch < bSt.chunks.length; ch++) {
    const nOff = ch * rowsPerChunk;
    const n = Math.min(rowsPerChunk, N - nOff);
    const groups: Grid = cpu ? grid1d(Math.ceil(M / DIRECT_R) * Math.ceil(n / DIRECT_R) * batch, DIRECT_WG) : matmulTiledGrid(M, n, batch, r);
    ctx.recorder.dispatch(
      kv,
      matmulParams.pack({ M, N: n, K, ldc: N, nOff, alpha: g.alpha, batchRank: strides.dims.length, bshape: strides.dims, sa: strides.a, sb: strides.b, sc: strides.c }),
      [undefined, aBuf, bSt.chunks[ch], biasBuf, ctx.memory.buf(out)],
      groups,
    );
  }
  return out;
}

/** Element strides of each operand's matrices over the (merged) output batch dims. */
function batchStrides(g: GemmArgs): { dims: number[]; a: number[]; b: number[]; c: number[] } {
  const { M, N, K, outBatch } = g;
  const c = coalesceDims(outBatch, [
    broadcastStrides(g.batchA, outBatch).map((s) => s * M * K),
    broadcastStrides(g.batchB, outBatch).map((s) => s * K * N),
    stridesOf(outBatch).map((s) => s * M * N),
  ]);
  if (c.dims.length > MATMUL_MAX_BATCH_RANK) throw new DebertaError("UNSUPPORTED", `webgpu matmul: ${c.dims.length} batch dims > ${MATMUL_MAX_BATCH_RANK}`);
  return { dims: c.dims, a: c.strides[0], b: c.strides[1], c: c.strides[2] };
}

/** `x · dequant(W)ᵀ (+ bias) → act` from the packed u32 words, one invocation per `QLINEAR_R`² output block. */
export function quantizedLinear(
  ctx: OpContext,
  x: Tensor,
  weight: QuantizedWeight,
  bias: Tensor | undefined,
  act: Activation | undefined,
  geo: { M: number; N: number; K: number; shape: readonly number[] },
): Tensor {
  const { M, N, K } = geo;
  const out = ctx.memory.alloc(geo.shape, x.dtype, "quantizedLinear");
  if (!out.size) return out;
  const m = ctx.memory;
  const kv = quantizedLinearKernel({ layout: weight.layout, dx: x.dtype, bias: bias?.dtype, act });
  const bindings = [
    undefined,
    m.buf(x, "quantizedLinear input"),
    m.buf(weight.data, "quantizedLinear weight"),
    m.buf(weight.scales, "quantizedLinear scales"),
    weight.table ? m.buf(weight.table) : undefined,
    bias ? m.buf(bias, "quantizedLinear bias") : undefined,
    m.buf(out),
  ];
  const tiles = Math.ceil(M / QLINEAR_R) * Math.ceil(N / QLINEAR_R);
  ctx.recorder.dispatch(kv, qlinearParams.pack({ M, N, K, blockSize: weight.blockSize }), bindings, grid1d(tiles, QLINEAR_WG));
  return out;
}
