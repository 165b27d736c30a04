/**
 * How a saved q8 model's int8 weights meet their activations. bitsandbytes' LLM.int8 format stores only the
 * weights (`weight` I8 + `SCB`); HF runs such checkpoints with float activations (the exact product), and so does
 * deberta-js when nothing else is said. deberta-js's `q8` instead quantizes activations per row at run time
 * ("int8-dynamic"). A folder written from a q8 model records that in config.json under our own namespaced key,
 * which HF Python ignores, so loading it back without a dtype gives the saved model's outputs:
 *
 *   `quantization_config.deberta_js.activations = "int8-dynamic"`
 *
 * Precedence on load: an explicit dtype (option `dtype`, `env.dtype`, or the CLI's `--dtype`) wins — `q8` means
 * int8 activations, any other dtype float activations for the checkpoint's int8 weights; with no dtype (or
 * "auto") the marker decides; without the marker (genuine bitsandbytes checkpoints) activations stay float.
 */
import type { DebertaV2Config } from "../config.js";
import { DebertaError } from "../errors.js";
import type { QuantMethod } from "../quant/quantized-weight.js";

/** The only `activations` value written and read. */
export const ACTIVATIONS_MARKER = "int8-dynamic";

/** `config.json`'s activation marker, checked; undefined when there is none. */
export function activationsMarker(config: DebertaV2Config, where = "config.json"): typeof ACTIVATIONS_MARKER | undefined {
  const qc = config.raw.quantization_config as { deberta_js?: { activations?: unknown } } | undefined;
  const v = qc?.deberta_js?.activations;
  if (v === undefined) return undefined;
  if (v !== ACTIVATIONS_MARKER) {
    throw new DebertaError("UNSUPPORTED", `${where}: quantization_config.deberta_js.activations is ${JSON.stringify(v)}; only "${ACTIVATIONS_MARKER}" is supported`);
  }
  return v;
}

/**
 * Whether int8 weights run with dynamic int8 activations: `quantize` (the dtype's method) decides when a dtype was
 * given, else the folder's marker (see the precedence above). Always checks the marker.
 */
export function int8ActivationsFor(config: DebertaV2Config, opts: { quantize?: QuantMethod; dtypeGiven: boolean }): boolean {
  const marked = activationsMarker(config) !== undefined;
  if (opts.dtypeGiven || opts.quantize !== undefined) return opts.quantize === "int8";
  return marked;
}
