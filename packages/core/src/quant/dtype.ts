/**
 * The dtype names users pass to `fromPretrained` / `pipeline` / the CLI, as transformers.js spells them where a
 * name exists: "fp32" | "fp16" (float) and the quantized "q8" ("int8"), "q4", "nf4" / "bnb4", "fp4", each
 * optionally computing in half precision ("q4f16", "q8f16", "nf4f16", "fp4f16").
 */
import { type FloatDType, parseFloatDType } from "../dtype.js";
import type { QuantMethod } from "./quantized-weight.js";

export type QuantizedDTypeName = "q8" | "int8" | "q4" | "nf4" | "bnb4" | "fp4" | "q8f16" | "q4f16" | "nf4f16" | "fp4f16";

export const QUANTIZED_DTYPE_NAMES: readonly QuantizedDTypeName[] = ["q8", "int8", "q4", "nf4", "bnb4", "fp4", "q8f16", "q4f16", "nf4f16", "fp4f16"];

export interface ModelDType {
  /** Activations and float weights. */
  compute: FloatDType;
  /** Quantize the Linear weights at load with this method (absent: keep float, or as the checkpoint has them). */
  quantize?: QuantMethod;
}

const METHODS: Record<string, QuantMethod> = { q8: "int8", int8: "int8", q4: "q4", nf4: "nf4", bnb4: "nf4", fp4: "fp4" };

/** Parses a float or quantized dtype name; undefined when it is neither. */
export function parseModelDType(name: string): ModelDType | undefined {
  const f = parseFloatDType(name);
  if (f) return { compute: f };
  const half = /^(q8|q4|nf4|fp4)f16$/.exec(name);
  if (half) return { compute: "f16", quantize: METHODS[half[1]] };
  const m = METHODS[name];
  return m ? { compute: "f32", quantize: m } : undefined;
}

/** Parses a quantization method as `deberta-js quantize --to` spells it: nf4 | fp4 | int8 | q8 | q4. */
export function parseQuantMethod(name: string): QuantMethod | undefined {
  return METHODS[name];
}
