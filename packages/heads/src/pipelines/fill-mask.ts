/**
 * `fill-mask`: the `top_k` (default 5) tokens for each `[MASK]`, as HF's `FillMaskPipeline` returns them:
 * `{ score, token, token_str, sequence }`; a list per mask when the text has several. `targets` restricts the
 * candidates (words not in the vocabulary are replaced by their first token, with a warning). Warns once when the
 * checkpoint has no trained MLM head.
 */
import { InputError, type OptionSpec } from "@deberta-js/core";
import type { DebertaV2ForMaskedLM } from "../masked-lm.js";
import { Pipeline, type BatchingOptions } from "./base.js";
import { runBatched } from "./batching.js";
import { fillMaskTopK } from "./classification-post.js";
import type { PipelineTokenizer, TokenizedRow } from "./tokenizer.js";
import { TRUNCATION_OPTIONS, type TruncationOptions, truncationArgs } from "./truncation.js";

/** `truncation` / `max_length`: passed to the tokenizer (default: no truncation, as HF). */
export interface FillMaskOptions extends BatchingOptions, TruncationOptions {
  top_k?: number;
  targets?: string | string[];
}

/**
 * The result of one text: its top_k predictions, or one list of them per `[MASK]` when the text has several. For a
 * string literal the count is read from the type (`"a [MASK] b [MASK]"` → `FillMaskResult[][]`); a `string` whose
 * content is not known to the compiler is typed as one mask (check `Array.isArray(r[0])` when it may hold several).
 */
export type FillMaskOutput<S extends string = string> = string extends S
  ? FillMaskResult[]
  : S extends `${string}[MASK]${string}[MASK]${string}`
    ? FillMaskResult[][]
    : FillMaskResult[];

export interface FillMaskResult {
  score: number;
  token: number;
  token_str: string;
  sequence: string;
}

export class FillMaskPipeline extends Pipeline<DebertaV2ForMaskedLM, FillMaskOptions, string, FillMaskResult[] | FillMaskResult[][]> {
  static readonly callOptions: readonly OptionSpec[] = [{ name: "top_k" }, { name: "targets" }, ...TRUNCATION_OPTIONS];
  static readonly unwrapsSingleList = true;

  constructor(model: DebertaV2ForMaskedLM, tokenizer: PipelineTokenizer, defaults?: FillMaskOptions, warn?: (m: string) => void) {
    super("fill-mask", model, tokenizer, defaults, warn);
    if (!model.hasTrainedHead) {
      this.warn(
        `fill-mask: the checkpoint has no trained MLM head weights (${model.newlyInitialized.join(", ")} were newly initialized), ` +
          `so its predictions are random. DeBERTa-v3 checkpoints ship without a usable MLM head.`,
      );
    }
  }

  /** One text: its top_k predictions; one list of them per [MASK] when it has several (see `FillMaskOutput`). */
  call<S extends string>(inputs: S, options?: FillMaskOptions): Promise<FillMaskOutput<S>>;
  /** Several texts: one result per text (HF unwraps a one-element list, as the single-text form). */
  call(inputs: string[], options?: FillMaskOptions): Promise<FillMaskResult[][]>;
  async call(inputs: string | string[], options?: FillMaskOptions): Promise<unknown> {
    const o = this.options(options);
    const texts = typeof inputs === "string" ? [inputs] : inputs;
    if (!Array.isArray(texts) || texts.length === 0) throw new InputError("fill-mask: expected a text or a non-empty list of texts");
    const tok = this.tokenizer;
    const maskId = tok.maskTokenId;
    if (maskId === undefined) throw new InputError("fill-mask: the tokenizer has no mask token");
    const truncation = truncationArgs(o, "fill-mask", false);
    const topK = o.top_k ?? 5;
    if (!(Number.isInteger(topK) && topK >= 1)) throw new InputError(`fill-mask: top_k must be a positive integer (got ${topK})`);
    const targetIds = o.targets !== undefined ? this.targetIds(o.targets) : undefined;

    const rows: TokenizedRow[] = texts.map((t, i) => {
      if (typeof t !== "string") throw new InputError(`fill-mask: input ${i} is not a string`);
      return tok.encode(t, truncation)[0];
    });
    const masks = rows.map((r, i) => {
      const m = r.ids.flatMap((id, j) => (id === maskId ? [j] : []));
      if (m.length === 0) throw new InputError(`fill-mask: no mask_token (${tok.maskToken}) found in input ${i}: ${JSON.stringify(texts[i])}`);
      return m;
    });

    const perRow = await runBatched(rows, this.model.config, this.batchOptions(o), async (host, idx) => {
      const positions = idx.flatMap((i, b) => masks[i].map((p) => [b, p] as const));
      const logits = this.model.logitsAt(host, positions, { packed: o.packed });
      const data = await logits.data();
      logits.dispose();
      const V = logits.shape[1];
      let k = 0;
      return idx.map((i) => masks[i].map(() => fillMaskTopK(data.subarray(V * k, V * ++k), topK, targetIds)));
    });

    const results = rows.map((row, i) => {
      const single = masks[i].length === 1;
      const perMask = masks[i].map((pos, m) =>
        perRow[i][m].map(({ score, token }) => {
          const ids = row.ids.slice();
          ids[pos] = token;
          const kept = ids.filter((id) => id !== tok.padTokenId);
          return { score, token, token_str: tok.decode([token]), sequence: tok.decode(kept, { skipSpecialTokens: single }) };
        }),
      );
      return single ? perMask[0] : perMask;
    });
    return typeof inputs === "string" || results.length === 1 ? results[0] : results;
  }

  /** HF's `get_target_ids`: vocabulary entries, else the first token of the target, deduplicated. */
  targetIds(targets: string | string[]): number[] {
    const list = typeof targets === "string" ? [targets] : targets;
    const ids: number[] = [];
    for (const target of list) {
      let id = this.tokenizer.tokenToId(target);
      if (id === undefined) {
        const row = this.tokenizer.encode(target, { addSpecialTokens: false, truncation: true, maxLength: 1 })[0];
        if (!row || row.ids.length === 0) {
          this.warn(`The specified target token \`${target}\` does not exist in the model vocabulary. We cannot replace it with anything meaningful, ignoring it`);
          continue;
        }
        id = row.ids[0];
        this.warn(`The specified target token \`${target}\` does not exist in the model vocabulary. Replacing with \`${this.tokenizer.idToToken(id)}\`.`);
      }
      if (!ids.includes(id)) ids.push(id);
    }
    if (ids.length === 0) throw new InputError("fill-mask: at least one target must be provided when targets are passed");
    const V = this.model.config.vocab_size;
    for (const id of ids) if (id >= V) throw new InputError(`fill-mask: target id ${id} is outside the model's vocabulary (${V})`);
    return ids;
  }
}
