/**
 * Resource limits for everything deberta-js parses from files and users (see the README's "Security" section).
 *
 * Every parser derives its bounds from what it parses first (a view may not decode more bytes than its storage
 * holds, zip entries may not overlap, a header may not claim more than the file has); the numbers here are the
 * absolute ceilings on top of that, generous enough for every published DeBERTa-v2/v3 checkpoint (xxlarge:
 * hidden 1536, 48 layers, vocab 128100). Exceeding one is a typed error naming the file, the field and the limit.
 *
 * Raise them for one call through the parser's `limits` option, or for the whole process with `setLimits()`.
 */
import { DebertaError } from "./errors.js";

export interface Limits {
  /** config.json: largest vocab_size / type_vocab_size / num_labels. */
  maxVocabSize: number;
  /** config.json: largest hidden_size, embedding_size, intermediate_size, attention_head_size, pooler_hidden_size. */
  maxHiddenSize: number;
  /** config.json: largest num_hidden_layers. */
  maxLayers: number;
  /** config.json: largest num_attention_heads. */
  maxHeads: number;
  /** config.json: largest max_position_embeddings / max_relative_positions / position_buckets. */
  maxPositions: number;
  /** config.json: largest number of elements in any one weight the config implies (vocab × embedding, …). */
  maxTensorElements: number;
  /** config.json: largest parameter count the config implies (all layers together). */
  maxParameters: number;
  /** Weights: bytes of zero placeholders made for missing tensors before giving up with WEIGHTS_MISSING. */
  maxPlaceholderBytes: number;
  /** pytorch_model.bin: decoded bytes of all tensors ÷ bytes of all storages (tied weights share a storage). */
  maxViewAmplification: number;
  /** Inflated size of a gzip/deflate stream (tokenizer.json.gz, deflated zip entries). */
  maxInflatedBytes: number;
  /** Nesting depth of tokenizer.json components (Sequence normalizers/pre-tokenizers, …). */
  maxNestingDepth: number;
  /** Largest JSON side file read whole (index files, …). */
  maxJsonBytes: number;
  /** Largest config.json (published ones are < 100 KB; JSON.parse of a huge file costs ~30× its size in memory). */
  maxConfigBytes: number;
  /** Model inputs: largest sequence length for models whose positions are not bounded by their embeddings. */
  maxSequenceLength: number;
  /** Model inputs: largest batch × sequence tokens in one forward pass. */
  maxTokensPerBatch: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxVocabSize: 1 << 22, // 4,194,304
  maxHiddenSize: 1 << 16, // 65,536
  maxLayers: 1024,
  maxHeads: 1024,
  maxPositions: 1 << 20,
  maxTensorElements: 2 ** 31 - 1,
  maxParameters: 2 ** 34,
  maxPlaceholderBytes: 256 * 2 ** 20,
  maxViewAmplification: 4,
  maxInflatedBytes: 512 * 2 ** 20,
  maxNestingDepth: 64,
  maxJsonBytes: 256 * 2 ** 20,
  maxConfigBytes: 16 * 2 ** 20,
  maxSequenceLength: 8192,
  maxTokensPerBatch: 1 << 20,
});

let current: Limits = { ...DEFAULT_LIMITS };

/** The limits in force for this process (`overrides` on top, for one call). */
export function getLimits(overrides?: Partial<Limits>): Limits {
  return overrides ? { ...current, ...definedOnly(overrides) } : current;
}

/** Raises (or lowers) limits for the whole process; returns the previous values. Unknown keys are an error. */
export function setLimits(overrides: Partial<Limits>): Limits {
  const prev = current;
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in DEFAULT_LIMITS)) throw new DebertaError("INPUT_INVALID", `setLimits: unknown limit "${k}"`);
    if (v !== undefined && !(typeof v === "number" && v > 0 && (Number.isSafeInteger(v) || v === Infinity))) {
      throw new DebertaError("INPUT_INVALID", `setLimits: ${k} must be a positive integer or Infinity, got ${String(v)}`);
    }
  }
  current = { ...current, ...definedOnly(overrides) };
  return prev;
}

/** Back to `DEFAULT_LIMITS`. */
export function resetLimits(): void {
  current = { ...DEFAULT_LIMITS };
}

function definedOnly(o: Partial<Limits>): Partial<Limits> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<Limits>;
}

/** The sentence every limit error ends with, so users know which knob to turn. */
export function limitHint(name: keyof Limits, value: number = current[name]): string {
  return `limit ${name} = ${value}; raise it with setLimits({ ${name}: … }) or the "limits" option if the file is trusted`;
}
