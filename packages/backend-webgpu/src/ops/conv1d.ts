/** The ConvLayer's 1-D convolution over a sequence layout: im2col (padding per sequence), then a GEMM with bias. */
import { type SequenceLayout, type Tensor, layoutBatch } from "@deberta-js/core";
import { IM2COL_WG, im2colKernel, im2colParams } from "../kernels/conv1d.wgsl.js";
import { grid1d } from "../launch.js";
import type { OpContext } from "./context.js";
import { gemm } from "./gemm.js";

export function conv1d(ctx: OpContext, x: Tensor, weight: Tensor, bias: Tensor, layout: SequenceLayout, geo: { Cout: number; Cin: number; k: number; T: number }): Tensor {
  const { Cout, Cin, k, T } = geo;
  const width = Cin * k;
  const cols = ctx.memory.alloc([T, width], x.dtype, "conv1d");
  if (T * width) {
    ctx.recorder.dispatch(
      im2colKernel(x.dtype),
      im2colParams.pack({ T, Cin, k, pad: Math.floor((k - 1) / 2), batch: layoutBatch(layout) }),
      [undefined, ctx.memory.buf(x, "conv1d"), ctx.layoutMeta(layout), ctx.memory.buf(cols)],
      grid1d(T * width, IM2COL_WG),
    );
  }
  const out = gemm(ctx, { a: cols, b: weight.reshape([Cout, width]), M: T, N: Cout, K: width, batchA: [], batchB: [], outBatch: [], transA: false, transB: true, alpha: 1, bias });
  cols.dispose();
  return out;
}
