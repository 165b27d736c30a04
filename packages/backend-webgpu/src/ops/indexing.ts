/** Indexing ops: embedding gather (walking a split table's row chunks), takeAlongAxis and transpose. */
import { DebertaError, type FloatDType, type QuantizedWeight, type Tensor, coalesceDims, stridesOf } from "@deberta-js/core";
import {
  GATHER_WG,
  gatherKernel,
  gatherParams,
  gatherQuantizedKernel,
  gatherQuantizedParams,
  takeAlongAxisKernel,
  takeParams,
} from "../kernels/gather.wgsl.js";
import { TRANSPOSE_MAX_RANK, TRANSPOSE_WG, transposeKernel, transposeParams } from "../kernels/transpose.wgsl.js";
import { grid1d } from "../launch.js";
import type { OpContext } from "./context.js";

/** Rows `ids` of a `[V, D]` table; a table split in row chunks gets one dispatch per chunk (ids outside it skip). */
export function gather(ctx: OpContext, table: Tensor, ids: Tensor, geo: { V: number; D: number; N: number }): Tensor {
  const { V, D, N } = geo;
  const out = ctx.memory.alloc([N, D], table.dtype, "gather");
  if (N === 0 || D === 0) return out;
  const st = ctx.memory.storage(table);
  const idsBuf = ctx.memory.storage(ids).single("gather", ids.shape);
  const kv = gatherKernel(table.dtype);
  const rowsPerChunk = st.chunkElems / D;
  if (st.split && !Number.isInteger(rowsPerChunk)) st.single("gather (a view that splits rows)", table.shape);
  for (let c = 0; c < st.chunks.length; c++) {
    const rowStart = c * rowsPerChunk;
    const rows = Math.min(rowsPerChunk, V - rowStart);
    ctx.recorder.dispatch(kv, gatherParams.pack({ n: N, D, rowStart, rows }), [undefined, st.chunks[c], idsBuf, ctx.memory.buf(out)], grid1d(N * D, GATHER_WG));
  }
  return out;
}

/** Rows `ids` of an int8 row-wise table kept packed on the GPU, dequantized in the shader to `dtype`. */
export function gatherQuantized(ctx: OpContext, table: QuantizedWeight, ids: Tensor, dtype: FloatDType, geo: { V: number; D: number; N: number }): Tensor {
  const { V, D, N } = geo;
  const out = ctx.memory.alloc([N, D], dtype, "gatherQuantized");
  if (N === 0 || D === 0) return out;
  const m = ctx.memory;
  ctx.recorder.dispatch(
    gatherQuantizedKernel(dtype),
    gatherQuantizedParams.pack({ n: N, D, V }),
    [undefined, m.buf(table.data, "gatherQuantized table"), m.buf(table.scales, "gatherQuantized scales"), m.buf(ids, "gatherQuantized ids"), m.buf(out)],
    grid1d(N * D, GATHER_WG),
  );
  return out;
}

/** `x` gathered along `axis` by `idx` (both broadcast to `outShape`; the contract has checked ranks ≤ the kernel's). */
export function takeAlongAxis(ctx: OpContext, x: Tensor, idx: Tensor, axis: number, outShape: readonly number[]): Tensor {
  const xs = stridesOf(x.shape);
  const is = stridesOf(idx.shape);
  const sx = outShape.map((o, i) => (i === axis || (x.shape[i] === 1 && o !== 1) ? 0 : xs[i]));
  const si = outShape.map((o, i) => (idx.shape[i] === 1 && o !== 1 ? 0 : is[i]));
  const out = ctx.memory.alloc(outShape, x.dtype, "takeAlongAxis");
  const n = out.size;
  if (!n) return out;
  ctx.recorder.dispatch(
    takeAlongAxisKernel(x.dtype),
    takeParams.pack({ n, rank: x.rank, axis, axisStride: xs[axis], axisSize: x.shape[axis], shape: outShape, sx, si }),
    [undefined, ctx.memory.buf(x, "takeAlongAxis"), ctx.memory.buf(idx, "takeAlongAxis"), ctx.memory.buf(out)],
    grid1d(n, GATHER_WG),
  );
  return out;
}

/** `x` permuted by `perm` into `outShape`, with adjacent dims that stay adjacent merged. */
export function transpose(ctx: OpContext, x: Tensor, perm: readonly number[], outShape: readonly number[]): Tensor {
  const xs = stridesOf(x.shape);
  const out = ctx.memory.alloc(outShape, x.dtype, "transpose");
  const n = out.size;
  if (!n) return out;
  const c = coalesceDims(outShape, [perm.map((p) => xs[p])]);
  if (c.dims.length > TRANSPOSE_MAX_RANK) throw new DebertaError("UNSUPPORTED", `webgpu transpose: ${c.dims.length} dims after merging > ${TRANSPOSE_MAX_RANK}`);
  ctx.recorder.dispatch(
    transposeKernel(x.dtype),
    transposeParams.pack({ n, rank: c.dims.length, shape: c.dims, sx: c.strides[0] }),
    [undefined, ctx.memory.buf(x, "transpose"), ctx.memory.buf(out)],
    grid1d(n, TRANSPOSE_WG),
  );
  return out;
}
