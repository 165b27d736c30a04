/**
 * `token-classification` (alias `ner`): HF's `TokenClassificationPipeline`. Per input, a list of entities:
 * `{ entity, score, index, word, start, end }` per token with `aggregation_strategy: "none"` (default), else
 * `{ entity_group, score, word, start, end }` (`simple`, `first`, `average`, `max`; see
 * `token-classification-post.ts`). `start`/`end` index the input string. `stride` splits long texts into
 * overlapping windows (not with "none", as HF).
 */
import { InputError, type OptionSpec } from "@deberta-js/core";
import type { DebertaV2ForTokenClassification } from "../token-classification.js";
import { type BatchingOptions, Pipeline } from "./base.js";
import { runBatched } from "./batching.js";
import type { PipelineTokenizer, TokenizedRow } from "./tokenizer.js";
import { TRUNCATION_OPTIONS, type TruncationOptions, truncationArgs } from "./truncation.js";
import {
  AGGREGATION_STRATEGIES,
  type AggregationStrategy,
  type EntityGroup,
  type TokenEntity,
  type TokenInfo,
  postprocessTokenClassification,
} from "./token-classification-post.js";

/**
 * `truncation` / `max_length`: passed to the tokenizer. The default is HF's: truncate to `model_max_length`; with
 * `stride`, `max_length` is the length of each window.
 */
export interface TokenClassificationOptions extends BatchingOptions, TruncationOptions {
  aggregation_strategy?: AggregationStrategy;
  ignore_labels?: string[];
  /** Overlap (tokens) of the windows a long text is split into. */
  stride?: number;
}

export type TokenClassificationResult = Array<TokenEntity | EntityGroup>;

export class TokenClassificationPipeline extends Pipeline<DebertaV2ForTokenClassification, TokenClassificationOptions, string, TokenClassificationResult> {
  static readonly callOptions: readonly OptionSpec[] = [{ name: "aggregation_strategy" }, { name: "ignore_labels" }, { name: "stride" }, ...TRUNCATION_OPTIONS];

  constructor(model: DebertaV2ForTokenClassification, tokenizer: PipelineTokenizer, defaults?: TokenClassificationOptions, warn?: (m: string) => void) {
    super("token-classification", model, tokenizer, defaults, warn);
  }

  call(inputs: string, options?: TokenClassificationOptions): Promise<TokenClassificationResult>;
  call(inputs: string[], options?: TokenClassificationOptions): Promise<TokenClassificationResult[]>;
  async call(inputs: string | string[], options?: TokenClassificationOptions): Promise<TokenClassificationResult | TokenClassificationResult[]> {
    const o = this.options(options);
    const strategy = (o.aggregation_strategy?.toLowerCase() ?? "none") as AggregationStrategy;
    if (!AGGREGATION_STRATEGIES.includes(strategy)) {
      throw new InputError(`token-classification: aggregation_strategy "${strategy}" is not one of ${AGGREGATION_STRATEGIES.join(", ")}`);
    }
    const tok = this.tokenizer;
    const truncation = truncationArgs(o, "token-classification", true);
    if (o.stride !== undefined) {
      if (truncation.truncation === false || truncation.truncation === "do_not_truncate") {
        throw new InputError("token-classification: `stride` splits a long text into windows, which needs truncation (leave `truncation` unset or true)");
      }
      if (strategy === "none") {
        throw new InputError(
          `token-classification: \`stride\` was provided to process all the text but \`aggregation_strategy="none"\`, please select another one instead.`,
        );
      }
      const window = truncation.maxLength ?? tok.modelMaxLength;
      if (o.stride >= window) {
        throw new InputError(`token-classification: \`stride\` must be less than ${truncation.maxLength !== undefined ? "max_length" : "the tokenizer's model_max_length"} (${window})`);
      }
    }
    const texts = typeof inputs === "string" ? [inputs] : inputs;
    if (!Array.isArray(texts) || texts.length === 0) throw new InputError("token-classification: at least one input is required");
    const rows: TokenizedRow[] = [];
    const owner: number[] = [];
    texts.forEach((t, i) => {
      if (typeof t !== "string") throw new InputError(`token-classification: input ${i} is not a string`);
      const windows = tok.encode(t, { ...truncation, stride: o.stride, returnOverflowing: o.stride !== undefined });
      for (const w of windows) {
        rows.push(w);
        owner.push(i);
      }
    });
    const logits = await runBatched(rows, this.model.config, this.batchOptions(o), async (host, idx) => {
      const out = this.model.forwardHost(host, { packed: o.packed });
      const data = await out.logits.data();
      out.logits.dispose();
      const [, L, n] = out.logits.shape;
      return idx.map((i, b) => Array.from({ length: rows[i].ids.length }, (_, t) => data.subarray((b * L + t) * n, (b * L + t + 1) * n)));
    });
    const results = texts.map((text, i) => {
      const chunks = rows.flatMap((row, r) => (owner[r] === i ? [{ tokens: tokenInfo(row, tok), logits: logits[r] }] : []));
      return postprocessTokenClassification(text, chunks, {
        aggregation_strategy: strategy,
        ignore_labels: o.ignore_labels,
        id2label: this.model.config.id2label,
        tokensToString: (t) => tok.tokensToString(t),
        unkTokenId: tok.unkTokenId,
      });
    });
    return typeof inputs === "string" ? results[0] : results;
  }
}

function tokenInfo(row: TokenizedRow, tok: PipelineTokenizer): TokenInfo[] {
  return row.ids.map((id, i) => ({
    id,
    token: tok.idToToken(id) ?? row.tokens[i],
    offset: row.offsets[i],
    special: row.specialTokensMask[i] === 1,
  }));
}
