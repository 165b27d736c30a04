/**
 * Post-processing of the token-classification pipeline, following HF's `TokenClassificationPipeline`
 * (`gather_pre_entities`, `aggregate`, `aggregate_word(s)`, `group_sub_entities`, `group_entities`,
 * `aggregate_overlapping_entities`) step by step, on plain arrays so it can be tested on hand-made logits.
 */
import { InputError } from "@deberta-js/core";
import { argmax, nanmean, softmax } from "./math.js";

export type AggregationStrategy = "none" | "simple" | "first" | "average" | "max";

export const AGGREGATION_STRATEGIES: readonly AggregationStrategy[] = ["none", "simple", "first", "average", "max"];

/** One token of an encoded chunk, as the tokenizer gives it. */
export interface TokenInfo {
  id: number;
  /** `convert_ids_to_tokens(id)`, e.g. "▁Paris". */
  token: string;
  /** `[start, end)` in the sentence (string indexes), absent without offsets. */
  offset?: readonly [number, number];
  /** A special token ([CLS], [SEP], padding): never an entity. */
  special: boolean;
}

export interface PreEntity {
  word: string;
  scores: number[];
  start: number | null;
  end: number | null;
  index: number;
  is_subword: boolean;
}

/** A token's prediction (`aggregation_strategy: "none"`). */
export interface TokenEntity {
  entity: string;
  score: number;
  index: number;
  word: string;
  start: number | null;
  end: number | null;
}

/** An aggregated entity (every other strategy). */
export interface EntityGroup {
  entity_group: string;
  score: number;
  word: string;
  start: number | null;
  end: number | null;
}

export interface TokenClassificationPostOptions {
  aggregation_strategy?: AggregationStrategy;
  /** Labels (or entity groups) left out of the result. Default ["O"]. */
  ignore_labels?: string[];
  id2label: Record<number, string>;
  /** The tokenizer's `convert_tokens_to_string`. */
  tokensToString: (tokens: string[]) => string;
  /** The tokenizer's unknown-token id: such tokens take their text from the sentence. */
  unkTokenId?: number;
}

/** HF's fallback word-boundary heuristic for tokenizers without a continuing-subword prefix (SentencePiece). */
export function isSubwordByHeuristic(sentence: string, start: number): boolean {
  return start > 0 && !sentence.slice(start - 1, start + 1).includes(" ");
}

export function gatherPreEntities(sentence: string, tokens: readonly TokenInfo[], scores: readonly number[][], unkTokenId?: number): PreEntity[] {
  const out: PreEntity[] = [];
  tokens.forEach((t, idx) => {
    if (t.special) return;
    let word = t.token;
    let start: number | null = null;
    let end: number | null = null;
    let is_subword = false;
    if (t.offset) {
      [start, end] = t.offset;
      const wordRef = sentence.slice(start, end);
      is_subword = isSubwordByHeuristic(sentence, start);
      if (unkTokenId !== undefined && t.id === unkTokenId) {
        word = wordRef;
        is_subword = false;
      }
    }
    out.push({ word, scores: [...scores[idx]], start, end, index: idx, is_subword });
  });
  return out;
}

function label(id2label: Record<number, string>, i: number): string {
  const l = id2label[i];
  if (l === undefined) throw new InputError(`id2label has no label for class ${i}`);
  return l;
}

export function aggregateWord(entities: PreEntity[], strategy: AggregationStrategy, o: TokenClassificationPostOptions): TokenEntity {
  const word = o.tokensToString(entities.map((e) => e.word));
  let scores: number[];
  if (strategy === "first") scores = entities[0].scores;
  else if (strategy === "max") {
    let best = entities[0];
    for (const e of entities) if (Math.max(...e.scores) > Math.max(...best.scores)) best = e;
    scores = best.scores;
  } else if (strategy === "average") {
    scores = entities[0].scores.map((_, j) => nanmean(entities.map((e) => e.scores[j])));
  } else {
    throw new InputError(`aggregation_strategy "${strategy}" cannot aggregate words`);
  }
  const idx = argmax(scores);
  return { entity: label(o.id2label, idx), score: scores[idx], index: entities[0].index, word, start: entities[0].start, end: entities[entities.length - 1].end };
}

/** Forces agreement on word boundaries: a word's tokens become one entity. */
export function aggregateWords(entities: PreEntity[], strategy: AggregationStrategy, o: TokenClassificationPostOptions): TokenEntity[] {
  if (strategy === "none" || strategy === "simple") throw new InputError("NONE and SIMPLE strategies are invalid for word aggregation");
  const words: TokenEntity[] = [];
  let group: PreEntity[] | null = null;
  for (const e of entities) {
    if (group === null) group = [e];
    else if (e.is_subword) group.push(e);
    else {
      words.push(aggregateWord(group, strategy, o));
      group = [e];
    }
  }
  if (group !== null) words.push(aggregateWord(group, strategy, o));
  return words;
}

/** "B-PER" → ["B", "PER"], "I-PER" → ["I", "PER"], "PER" → ["I", "PER"]. */
export function getTag(entityName: string): [string, string] {
  if (entityName.startsWith("B-")) return ["B", entityName.slice(2)];
  if (entityName.startsWith("I-")) return ["I", entityName.slice(2)];
  return ["I", entityName];
}

export function groupSubEntities(entities: TokenEntity[], tokensToString: (tokens: string[]) => string): EntityGroup {
  const first = entities[0].entity;
  const dash = first.indexOf("-");
  return {
    entity_group: dash >= 0 ? first.slice(dash + 1) : first,
    score: nanmean(entities.map((e) => e.score)),
    word: tokensToString(entities.map((e) => e.word)),
    start: entities[0].start,
    end: entities[entities.length - 1].end,
  };
}

/** Adjacent tokens with the same tag merge, unless the later one is a B- tag. */
export function groupEntities(entities: TokenEntity[], tokensToString: (tokens: string[]) => string): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let disagg: TokenEntity[] = [];
  for (const e of entities) {
    if (disagg.length === 0) {
      disagg.push(e);
      continue;
    }
    const [bi, tag] = getTag(e.entity);
    const [, lastTag] = getTag(disagg[disagg.length - 1].entity);
    if (tag === lastTag && bi !== "B") disagg.push(e);
    else {
      groups.push(groupSubEntities(disagg, tokensToString));
      disagg = [e];
    }
  }
  if (disagg.length) groups.push(groupSubEntities(disagg, tokensToString));
  return groups;
}

export function aggregate(pre: PreEntity[], strategy: AggregationStrategy, o: TokenClassificationPostOptions): TokenEntity[] | EntityGroup[] {
  let entities: TokenEntity[];
  if (strategy === "none" || strategy === "simple") {
    entities = pre.map((p) => {
      const idx = argmax(p.scores);
      return { entity: label(o.id2label, idx), score: p.scores[idx], index: p.index, word: p.word, start: p.start, end: p.end };
    });
  } else {
    entities = aggregateWords(pre, strategy, o);
  }
  if (strategy === "none") return entities;
  return groupEntities(entities, o.tokensToString);
}

/** Entities of overlapping chunks (`stride`): of entities that overlap, the longer one — or the higher score — wins. */
export function aggregateOverlappingEntities<E extends { start: number | null; end: number | null; score: number }>(entities: E[]): E[] {
  if (entities.length === 0) return entities;
  const sorted = [...entities].sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
  const out: E[] = [];
  let prev = sorted[0];
  for (const e of sorted) {
    const s = e.start ?? 0;
    if ((prev.start ?? 0) <= s && s < (prev.end ?? 0)) {
      const len = (e.end ?? 0) - s;
      const prevLen = (prev.end ?? 0) - (prev.start ?? 0);
      if (len > prevLen || (len === prevLen && e.score > prev.score)) prev = e;
    } else {
      out.push(prev);
      prev = e;
    }
  }
  out.push(prev);
  return out;
}

/** One encoded chunk of a sentence and its logits `[tokens][num_labels]`. */
export interface TokenClassificationChunk {
  tokens: readonly TokenInfo[];
  logits: readonly ArrayLike<number>[];
}

/** HF's `postprocess`: softmax per token, pre-entities, aggregation, `ignore_labels`, overlap resolution. */
export function postprocessTokenClassification(
  sentence: string,
  chunks: readonly TokenClassificationChunk[],
  o: TokenClassificationPostOptions,
): Array<TokenEntity | EntityGroup> {
  const strategy = o.aggregation_strategy ?? "none";
  if (!AGGREGATION_STRATEGIES.includes(strategy)) {
    throw new InputError(`aggregation_strategy "${strategy}" is not one of ${AGGREGATION_STRATEGIES.join(", ")}`);
  }
  const ignore = o.ignore_labels ?? ["O"];
  let all: Array<TokenEntity | EntityGroup> = [];
  for (const chunk of chunks) {
    const scores = chunk.logits.map((row) => softmax(row));
    const pre = gatherPreEntities(sentence, chunk.tokens, scores, o.unkTokenId);
    const grouped = aggregate(pre, strategy, o) as Array<TokenEntity | EntityGroup>;
    all.push(
      ...grouped.filter((e) => !ignore.includes((e as TokenEntity).entity ?? "\u0000") && !ignore.includes((e as EntityGroup).entity_group ?? "\u0000")),
    );
  }
  if (chunks.length > 1) all = aggregateOverlappingEntities(all);
  return all;
}
