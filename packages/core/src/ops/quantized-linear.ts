/**
 * The quantized Linear outside the backends: the shape contract core checks before any backend runs it, and the
 * reference fallback for backends without `quantizedLinear` (dequantize the host copy, one float Linear, free it:
 * the float weight lives for one call only).
 */
import type { Activation, Backend } from "../backend.js";
import { InputError } from "../errors.js";
import { dequantize } from "../quant/dequantize.js";
import { type QuantizedWeight, quantDataBytes, quantScaleCount } from "../quant/quantized-weight.js";
import type { Tensor } from "../tensor.js";
import { linearReference } from "./reference.js";

export function checkQuantizedLinear(x: Tensor, w: QuantizedWeight, bias: Tensor | undefined): void {
  if (x.dtype !== "f32" && x.dtype !== "f16") throw new InputError(`quantizedLinear: x must be f32 or f16, found ${x.dtype}`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== w.inFeatures) {
    throw new InputError(`quantizedLinear: x [${x.shape}] does not end in the weight's in_features ${w.inFeatures}`);
  }
  if (w.data.backend !== x.backend) throw new InputError(`quantizedLinear: the weight lives on another backend ("${w.data.backend.name}") than x ("${x.backend.name}")`);
  if (bias && (bias.rank !== 1 || bias.shape[0] !== w.outFeatures)) {
    throw new InputError(`quantizedLinear: bias [${bias.shape}] must be [${w.outFeatures}]`);
  }
  checkQuantizedOperands(w);
}

/** The weight's own tensors agree with its layout and shape (kernels index them without further checks). */
function checkQuantizedOperands(w: QuantizedWeight): void {
  const { layout, outFeatures: n, inFeatures: k, blockSize } = w;
  const words = Math.ceil(quantDataBytes(layout, n, k) / 4);
  const what = `quantizedLinear: ${layout} weight [${n}, ${k}]`;
  if (w.data.dtype !== "i32" || w.data.size !== words) throw new InputError(`${what}: data must be i32 [${words}], found ${w.data.dtype} [${w.data.shape}]`);
  const scales = quantScaleCount(layout, n, k, blockSize);
  if (w.scales.dtype !== "f32" || w.scales.size !== scales) throw new InputError(`${what}: scales must be f32 [${scales}], found ${w.scales.dtype} [${w.scales.shape}]`);
  if (layout === "int4" && (!w.table || w.table.dtype !== "f32" || w.table.size !== 16)) throw new InputError(`${what}: needs an f32 [16] code table`);
  if (w.activations === "int8" && layout !== "int8") throw new InputError(`${what}: int8 activations need an int8 weight`);
}

export function quantizedLinearReference(be: Backend, x: Tensor, w: QuantizedWeight, bias: Tensor | undefined, act?: Activation): Tensor {
  if (!w.host) throw new InputError(`quantizedLinear: backend "${be.name}" has no quantizedLinear and the weight kept no host copy`);
  const f32 = be.upload(dequantize(w.host), [w.outFeatures, w.inFeatures], "f32");
  const weight = x.dtype === "f32" ? f32 : be.cast(f32, "f16");
  try {
    return linearReference(be, x, weight, bias, act);
  } finally {
    f32.dispose();
    if (weight !== f32) weight.dispose();
  }
}
