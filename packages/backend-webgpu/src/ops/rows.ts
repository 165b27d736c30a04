/** Row ops: layer norm (optionally fused with a residual add) and softmax over the last dim with a broadcast mask. */
import { DebertaError, type Tensor, broadcastStrides, coalesceDims, stridesOf } from "@deberta-js/core";
import { ROW_WG, layerNormKernel, layerNormParams, layerNormRowKernel, layerNormWorkgroup } from "../kernels/layernorm.wgsl.js";
import { SOFTMAX_MAX_RANK, softmaxKernel, softmaxParams } from "../kernels/softmax.wgsl.js";
import { grid1d, gridRows } from "../launch.js";
import type { OpContext } from "./context.js";

/** Invocations per workgroup of the barrier-free ("cpu" family) softmax: one row each. */
const SOFTMAX_ROW_WG = 64;

/** `layerNorm(x (+ residual))`: one workgroup per row ("gpu"), or one invocation per row ("cpu"). */
export function layerNorm(ctx: OpContext, x: Tensor, residual: Tensor | undefined, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const D = x.shape[x.rank - 1] ?? 1;
  const out = ctx.memory.alloc(x.shape, x.dtype, "layerNorm");
  const rows = D ? x.size / D : 0;
  if (!rows) return out;
  const cpu = ctx.kernels === "cpu";
  const m = ctx.memory;
  ctx.recorder.dispatch(
    cpu ? layerNormRowKernel(x.dtype, gamma.dtype, !!residual) : layerNormKernel(x.dtype, gamma.dtype, !!residual, layerNormWorkgroup(D)),
    layerNormParams.pack({ rows, D, eps }),
    [undefined, m.buf(x, "layerNorm"), residual ? m.buf(residual, "addLayerNorm") : undefined, m.buf(gamma, "layerNorm"), m.buf(beta, "layerNorm"), m.buf(out)],
    cpu ? grid1d(rows, ROW_WG) : gridRows(rows),
  );
  return out;
}

/** Softmax over the last dim (`C` wide); the mask's broadcast strides are merged to ≤ `SOFTMAX_MAX_RANK` dims. */
export function softmax(ctx: OpContext, x: Tensor, mask: Tensor | undefined, C: number): Tensor {
  const out = ctx.memory.alloc(x.shape, x.dtype, "softmax");
  const rows = C ? x.size / C : 0;
  if (!rows) return out;
  let shape: number[] = [x.size];
  let sm: number[] = [0];
  if (mask) {
    const c = coalesceDims(x.shape, [stridesOf(x.shape), broadcastStrides(mask.shape, x.shape)]);
    if (c.dims.length > SOFTMAX_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu softmax: mask broadcast needs ${c.dims.length} dims > ${SOFTMAX_MAX_RANK}`);
    shape = c.dims;
    sm = c.strides[1];
  }
  const cpu = ctx.kernels === "cpu";
  ctx.recorder.dispatch(
    softmaxKernel(x.dtype, mask?.dtype, cpu),
    softmaxParams.pack({ rows, C, rank: shape.length, shape, sm }),
    [undefined, ctx.memory.buf(x, "softmax"), mask ? ctx.memory.buf(mask, "softmax") : undefined, ctx.memory.buf(out)],
    cpu ? grid1d(rows, SOFTMAX_ROW_WG) : gridRows(rows),
  );
  return out;
}
