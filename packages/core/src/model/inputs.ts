/**
 * Model inputs as users give them (nested arrays, typed arrays, `onnxruntime-common` tensors of int64/int32)
 * → validated flat host arrays. Every error names the input, the row and the position at fault.
 */
import { Tensor as OrtTensor } from "onnxruntime-common";
import type { DebertaV2Config } from "../config.js";
import { InputError } from "../errors.js";
import { getLimits, limitHint, type Limits } from "../limits.js";

/** One id input: `number[][]` (`[batch][seq]`), or an ORT tensor `[batch, seq]` (int64, int32 or float). */
export type IdsInput = number[][] | OrtTensor | { data: ArrayLike<number | bigint>; dims: readonly number[] };

export interface ModelInputs {
  input_ids: IdsInput;
  attention_mask?: IdsInput;
  token_type_ids?: IdsInput;
  position_ids?: IdsInput;
}

export interface HostInputs {
  batch: number;
  seqLen: number;
  ids: Int32Array;
  mask: Uint8Array;
  tokenTypes?: Int32Array;
  positions?: Int32Array;
}

interface Matrix {
  rows: number;
  cols: number;
  data: Int32Array;
}

function toMatrix(name: string, x: IdsInput, expectRank = 2): Matrix {
  if (Array.isArray(x)) {
    if (x.length === 0) throw new InputError(`${name}: empty batch`);
    const cols = Array.isArray(x[0]) ? x[0].length : -1;
    const data = new Int32Array(x.length * Math.max(cols, 0));
    for (let r = 0; r < x.length; r++) {
      const row = x[r];
      if (!Array.isArray(row)) throw new InputError(`${name}: row ${r} is not an array (expected [batch][sequence] numbers)`);
      if (row.length !== cols) {
        throw new InputError(`${name}: ragged input — row ${r} has ${row.length} tokens but row 0 has ${cols}; pad the batch (or use the tokenizer's padding)`);
      }
      for (let c = 0; c < cols; c++) data[r * cols + c] = checkInt(name, row[c], r, c);
    }
    return { rows: x.length, cols, data };
  }
  if (x && typeof x === "object" && "dims" in x && "data" in x) {
    const dims = x.dims as unknown;
    if (!Array.isArray(dims) || dims.length !== expectRank) {
      throw new InputError(`${name}: expected a ${expectRank}-D tensor [batch, sequence], got dims ${Array.isArray(dims) ? `[${dims.join(", ")}]` : String(dims)}`);
    }
    if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new InputError(`${name}: dims [${dims.join(", ")}] must be non-negative integers`);
    }
    const [rows, cols] = dims as number[];
    const src = x.data as ArrayLike<number | bigint> | null;
    if (src === null || typeof src !== "object" || typeof src.length !== "number") {
      throw new InputError(`${name}: tensor data must be an array or typed array, got ${src === null ? "null" : typeof src}`);
    }
    if (rows === 0) throw new InputError(`${name}: empty batch`);
    if (src.length !== rows * cols) throw new InputError(`${name}: tensor has ${src.length} values but dims [${dims}] need ${rows * cols}`);
    const data = new Int32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = checkInt(name, src[i], Math.floor(i / cols), i % cols);
    return { rows, cols, data };
  }
  throw new InputError(`${name}: expected number[][] or an onnxruntime Tensor, got ${x === null ? "null" : typeof x}`);
}

function checkInt(name: string, v: number | bigint, r: number, c: number): number {
  const n = typeof v === "bigint" ? (v > 2147483647n || v < -2147483648n ? NaN : Number(v)) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new InputError(`${name}[${r}][${c}] = ${String(v)} is not an integer`);
  }
  return n;
}

/**
 * Relative-attention models have no position table to bound the length, and attention memory grows with L²:
 * longer than `maxSequenceLength` (or more than `maxTokensPerBatch` tokens in one call) is a typed error before
 * anything is allocated. Truncate (pipelines: `truncation: true`) or raise the limit.
 */
function checkSequenceBounds(batch: number, seqLen: number, config: DebertaV2Config, limits?: Partial<Limits>): void {
  const l = getLimits(limits);
  void config;
  if (seqLen > l.maxSequenceLength) {
    throw new InputError(
      `input_ids: sequence length ${seqLen} is longer than this model can run here (${limitHint("maxSequenceLength", l.maxSequenceLength)}); truncate the input (pipelines: truncation: true)`,
    );
  }
  if (batch * seqLen > l.maxTokensPerBatch) {
    throw new InputError(`input_ids: ${batch} × ${seqLen} = ${batch * seqLen} tokens in one call (${limitHint("maxTokensPerBatch", l.maxTokensPerBatch)}); split the batch`);
  }
}

export function readInputs(inputs: ModelInputs, config: DebertaV2Config, limits?: Partial<Limits>): HostInputs {
  if (!inputs || typeof inputs !== "object" || inputs.input_ids === undefined) {
    throw new InputError("inputs: input_ids is required");
  }
  const ids = toMatrix("input_ids", inputs.input_ids);
  const { rows: batch, cols: seqLen } = ids;
  if (seqLen === 0) throw new InputError("input_ids: sequences are empty");
  checkSequenceBounds(batch, seqLen, config, limits);
  for (let i = 0; i < ids.data.length; i++) {
    const v = ids.data[i];
    if (v < 0 || v >= config.vocab_size) {
      throw new InputError(
        `input_ids[${Math.floor(i / seqLen)}][${i % seqLen}] = ${v} is out of range: the vocabulary has ${config.vocab_size} ids (0..${config.vocab_size - 1})`,
      );
    }
  }
  const same = (name: string, m: Matrix) => {
    if (m.rows !== batch || m.cols !== seqLen) {
      throw new InputError(`${name}: shape [${m.rows}, ${m.cols}] does not match input_ids [${batch}, ${seqLen}]`);
    }
  };
  const mask = new Uint8Array(batch * seqLen).fill(1);
  if (inputs.attention_mask !== undefined) {
    const m = toMatrix("attention_mask", inputs.attention_mask);
    same("attention_mask", m);
    for (let i = 0; i < m.data.length; i++) {
      const v = m.data[i];
      if (v !== 0 && v !== 1) throw new InputError(`attention_mask[${Math.floor(i / seqLen)}][${i % seqLen}] = ${v}; expected 0 or 1`);
      mask[i] = v;
    }
  }
  let tokenTypes: Int32Array | undefined;
  if (inputs.token_type_ids !== undefined) {
    const t = toMatrix("token_type_ids", inputs.token_type_ids);
    same("token_type_ids", t);
    // With type_vocab_size 0 (DeBERTa-v3) the model has no token-type embeddings and HF ignores the ids.
    if (config.type_vocab_size > 0) {
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (v < 0 || v >= config.type_vocab_size) {
          throw new InputError(`token_type_ids[${Math.floor(i / seqLen)}][${i % seqLen}] = ${v} is out of range: type_vocab_size is ${config.type_vocab_size}`);
        }
      }
      tokenTypes = t.data;
    }
  }
  let positions: Int32Array | undefined;
  if (inputs.position_ids !== undefined) {
    const p = toMatrix("position_ids", inputs.position_ids);
    same("position_ids", p);
    positions = p.data;
  }
  if (config.position_biased_input) {
    const limit = config.max_position_embeddings;
    if (positions) {
      for (let i = 0; i < positions.length; i++) {
        if (positions[i] < 0 || positions[i] >= limit) {
          throw new InputError(`position_ids[${Math.floor(i / seqLen)}][${i % seqLen}] = ${positions[i]} is out of range (max_position_embeddings ${limit})`);
        }
      }
    } else if (seqLen > limit) {
      throw new InputError(`input_ids: sequence length ${seqLen} exceeds max_position_embeddings (${limit}) of this model`);
    }
  }
  return { batch, seqLen, ids: ids.data, mask, tokenTypes, positions };
}
