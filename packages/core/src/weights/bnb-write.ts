/**
 * Quantized Linear weights → checkpoint tensors in bitsandbytes' layout (the inverse of `weights/bnb.ts`), so a
 * model quantized here saves as what HF transformers' `save_pretrained` writes for a bnb model and HF Python
 * (`from_pretrained` with bitsandbytes installed) reads it back. NF4/FP4 (with their stored nested absmax when
 * the weight came double-quantized) and LLM.int8 are bnb's formats; our linear `q4` uses the same tensors with
 * `quant_type` "q4" and its own `quant_map`: deberta-js reads it, bnb does not (documented in the CLI README).
 */
import { DebertaError } from "../errors.js";
import type { QuantizedHostWeight } from "../quant/quantized-weight.js";
import type { RawTensor } from "./safetensors.js";

/** Python `json.dumps` spelling of a float (always with a decimal point or exponent). */
function pyFloat(x: number): string {
  const s = String(x);
  return /[.eE]|n/.test(s) ? s : `${s}.0`;
}

/** The JSON quant state, byte for byte as Python's `json.dumps` with default separators writes it. */
export function quantStateJson(w: QuantizedHostWeight): string {
  const parts = [`"quant_type": "${w.method}"`, `"blocksize": ${w.blockSize}`, `"dtype": "float32"`, `"shape": [${w.outFeatures}, ${w.inFeatures}]`];
  if (w.nested) parts.push(`"nested_blocksize": ${w.nested.blocksize}`, `"nested_dtype": "float32"`, `"nested_offset": ${pyFloat(w.nested.offset)}`);
  return `{${parts.join(", ")}}`;
}

/** The tensors of module `m` (bias not included: it is a float parameter of its own). */
export function bnbTensors(m: string, w: QuantizedHostWeight): Record<string, RawTensor> {
  if (w.layout === "int8") {
    return {
      [`${m}.weight`]: { dtype: "I8", shape: [w.outFeatures, w.inFeatures], data: new Int8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength) },
      [`${m}.SCB`]: { dtype: "F32", shape: [w.outFeatures], data: Float32Array.from(w.scales) },
      [`${m}.weight_format`]: { dtype: "U8", shape: [], data: Uint8Array.of(0) },
    };
  }
  if (!w.table) throw new DebertaError("UNSUPPORTED", `saving "${m}": a 4-bit weight needs its code table`);
  const json = new TextEncoder().encode(quantStateJson(w));
  const out: Record<string, RawTensor> = {
    [`${m}.weight`]: { dtype: "U8", shape: [w.data.byteLength, 1], data: Uint8Array.from(w.data) },
  };
  if (w.nested) {
    out[`${m}.weight.absmax`] = { dtype: "U8", shape: [w.nested.codes.length], data: Uint8Array.from(w.nested.codes) };
    out[`${m}.weight.nested_absmax`] = { dtype: "F32", shape: [w.nested.nestedAbsmax.length], data: Float32Array.from(w.nested.nestedAbsmax) };
    out[`${m}.weight.nested_quant_map`] = { dtype: "F32", shape: [256], data: Float32Array.from(w.nested.nestedMap) };
  } else {
    out[`${m}.weight.absmax`] = { dtype: "F32", shape: [w.scales.length], data: Float32Array.from(w.scales) };
  }
  out[`${m}.weight.quant_map`] = { dtype: "F32", shape: [16], data: Float32Array.from(w.table) };
  out[`${m}.weight.quant_state.bitsandbytes__${w.method}`] = { dtype: "U8", shape: [json.byteLength], data: json };
  return out;
}

/** `quantization_config` for config.json (HF's `BitsAndBytesConfig.to_dict()` fields), from the methods saved. */
export function quantizationConfig(weights: QuantizedHostWeight[]): Record<string, unknown> | undefined {
  if (!weights.length) return undefined;
  const four = weights.find((w) => w.layout === "int4");
  const eight = weights.some((w) => w.layout === "int8");
  if (four && eight) throw new DebertaError("UNSUPPORTED", "savePretrained: a model with both 4-bit and 8-bit weights has no bitsandbytes config");
  if (four?.method === "q4") {
    return { quant_method: "deberta-js", quant_type: "q4", blocksize: four.blockSize, format: "bitsandbytes-4bit-layout" };
  }
  return {
    _load_in_4bit: !!four,
    _load_in_8bit: eight,
    bnb_4bit_compute_dtype: "float32",
    bnb_4bit_quant_storage: "uint8",
    bnb_4bit_quant_type: four?.method ?? "fp4",
    bnb_4bit_use_double_quant: !!four?.nested,
    llm_int8_enable_fp32_cpu_offload: false,
    llm_int8_has_fp16_weight: false,
    llm_int8_skip_modules: null,
    llm_int8_threshold: 6.0,
    load_in_4bit: !!four,
    load_in_8bit: eight,
    quant_method: "bitsandbytes",
  };
}
