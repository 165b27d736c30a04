/** Elementwise ops: unary (cast, activations; walking split tensors chunk by chunk) and broadcast add / mul. */
import { type Activation, DebertaError, type DType, type Tensor, broadcastStrides, coalesceDims, sameShape } from "@deberta-js/core";
import { EW_MAX_RANK, EW_WG, binaryKernel, binaryParams, unaryKernel, unaryParams } from "../kernels/elementwise.wgsl.js";
import { grid1d } from "../launch.js";
import type { GpuStorage } from "../storage.js";
import type { OpContext } from "./context.js";

/** `act(x)` (identity when undefined) converted to `dtype`; split inputs give split outputs. */
export function unary(ctx: OpContext, x: Tensor, act: Activation | undefined, dtype: DType, op: string): Tensor {
  const src = ctx.memory.storage(x);
  const n = src.elems;
  // a split input keeps its chunks (a view of it may have another shape); else plan from the shape
  const chunkElems = src.split ? src.chunkElems : ctx.memory.plan(x.shape, dtype, op);
  const out = chunkElems >= n ? ctx.memory.alloc(x.shape, dtype, op) : ctx.memory.allocChunked(x.shape, dtype, chunkElems);
  if (!n) return out;
  const dst = out.storage as GpuStorage;
  const kv = unaryKernel(act, x.dtype, dtype);
  if (!src.split && !dst.split) {
    ctx.recorder.dispatch(kv, unaryParams.pack({ n, inOff: 0, outOff: 0 }), [undefined, src.chunks[0], dst.chunks[0]], grid1d(n, EW_WG));
    return out;
  }
  // Split tensors plan their chunks from the shape alone: a split side walks its chunks, an unsplit side (f16
  // fitting one buffer where f32 does not) is addressed with an element offset.
  const walk = src.split ? src : dst;
  for (let c = 0; c < walk.chunks.length; c++) {
    const m = walk.chunkSize(c);
    const off = c * walk.chunkElems;
    ctx.recorder.dispatch(
      kv,
      unaryParams.pack({ n: m, inOff: src.split ? 0 : off, outOff: dst.split ? 0 : off }),
      [undefined, src.split ? src.chunks[c] : src.chunks[0], dst.split ? dst.chunks[c] : dst.chunks[0]],
      grid1d(m, EW_WG),
    );
  }
  return out;
}

/**
 * `a op b` broadcast to `outShape`, in one of three kernel modes: "same" (equal shapes), "tail" (b repeats over the
 * leading dims of a), "general" (strided, ≤ `EW_MAX_RANK` dims after merging).
 */
export function binary(ctx: OpContext, op: "add" | "mul", a: Tensor, b: Tensor, outShape: number[]): Tensor {
  // The full-shape operand first, so the fast paths apply (both ops commute).
  if (!sameShape(a.shape, outShape) && sameShape(b.shape, outShape) && a.dtype === b.dtype) [a, b] = [b, a];
  const out = ctx.memory.alloc(outShape, a.dtype, op);
  const n = out.size;
  if (!n) return out;
  const { mode, params } = binaryPlan(op, a, b, outShape, n);
  const bindings = [undefined, ctx.memory.buf(a, op), ctx.memory.buf(b, op), ctx.memory.buf(out)];
  ctx.recorder.dispatch(binaryKernel(op, mode, a.dtype, b.dtype, a.dtype), params, bindings, grid1d(n, EW_WG));
  return out;
}

function binaryPlan(op: string, a: Tensor, b: Tensor, outShape: number[], n: number): { mode: "same" | "tail" | "general"; params: Uint32Array } {
  if (sameShape(a.shape, b.shape)) return { mode: "same", params: binaryParams.pack({ n }) };
  const bCore = trimLeadingOnes(b.shape);
  if (sameShape(a.shape, outShape) && sameShape(bCore, outShape.slice(outShape.length - bCore.length))) {
    return { mode: "tail", params: binaryParams.pack({ n, nb: Math.max(1, b.size) }) };
  }
  const c = coalesceDims(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
  if (c.dims.length > EW_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu ${op}: ${c.dims.length} broadcast dims > ${EW_MAX_RANK}`);
  return { mode: "general", params: binaryParams.pack({ n, rank: c.dims.length, shape: c.dims, sa: c.strides[0], sb: c.strides[1] }) };
}

function trimLeadingOnes(shape: readonly number[]): number[] {
  let i = 0;
  while (i < shape.length - 1 && shape[i] === 1) i++;
  return shape.slice(i);
}
