/**
 * tokenizers' `TemplateProcessing` post-processor: DeBERTa's `[CLS] $A [SEP]` and `[CLS] $A [SEP] $B [SEP]`
 * templates, with the type id of each piece. Specials get offsets [0, 0], no word id and special-token mask 1.
 */
import { Encoding } from "./encoding.js";
import { MAX_TOKEN_ID } from "./added-vocabulary.js";
import { TokenizerError } from "./errors.js";

export type TemplatePiece = { kind: "sequence"; id: "A" | "B"; typeId: number } | { kind: "special"; id: string; typeId: number };

export interface SpecialTokenSpec {
  id: string;
  ids: number[];
  tokens: string[];
}

export class TemplateProcessing {
  readonly type = "TemplateProcessing";
  constructor(
    readonly single: TemplatePiece[],
    readonly pair: TemplatePiece[],
    readonly specialTokens: Map<string, SpecialTokenSpec>,
  ) {
    for (const t of [...single, ...pair]) {
      if (t.kind === "special" && !specialTokens.has(t.id)) {
        throw new TokenizerError(`TemplateProcessing: special token ${JSON.stringify(t.id)} is used in a template but not defined`, "FILE_CORRUPT");
      }
    }
  }

  /** Number of special tokens the template adds. */
  addedTokens(isPair: boolean): number {
    let n = 0;
    for (const t of isPair ? this.pair : this.single) if (t.kind === "special") n += this.specialTokens.get(t.id)!.ids.length;
    return n;
  }

  process(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean): Encoding {
    if (encoding.overflowing.length === 0 && (!pair || pair.overflowing.length === 0)) {
      return this.processSimple(encoding, pair, addSpecialTokens);
    }
    const encodings = pair ? [encoding, pair] : [encoding];
    encodings.forEach((e, i) => e.setSequenceId(i));
    const template = pair ? this.pair : this.single;
    const parts: Encoding[] = [];
    for (const piece of template) {
      if (piece.kind === "sequence") {
        const i = piece.id === "A" ? 0 : 1;
        const e = encodings[i];
        if (!e) throw new TokenizerError(`TemplateProcessing: the template uses $${piece.id} but no such sequence was given`, "INVALID_ARGUMENT");
        e.setTypeIds(piece.typeId);
        e.setSequenceId(i);
        parts.push(e.clone());
      } else if (addSpecialTokens) {
        const tok = this.specialTokens.get(piece.id)!;
        const n = tok.ids.length;
        parts.push(
          new Encoding(
            tok.ids.slice(),
            new Array(n).fill(piece.typeId),
            tok.tokens.slice(),
            new Array(2 * n).fill(0),
            new Array(n).fill(null),
            new Array(n).fill(1),
            new Array(n).fill(1),
          ),
        );
      }
    }
    return Encoding.merge(parts);
  }

  /** `process` without overflowing windows: one pass, same result as the merge chain. */
  private processSimple(encoding: Encoding, pair: Encoding | null, addSpecialTokens: boolean): Encoding {
    const template = pair ? this.pair : this.single;
    let n = 0;
    for (const piece of template) {
      if (piece.kind === "sequence") n += (piece.id === "A" ? encoding : pair)?.length ?? 0;
      else if (addSpecialTokens) n += this.specialTokens.get(piece.id)!.ids.length;
    }
    const ids: number[] = new Array(n);
    const typeIds: number[] = new Array(n);
    const tokens: string[] = new Array(n);
    const offsets: number[] = new Array(2 * n);
    const words: (number | null)[] = new Array(n);
    const special: number[] = new Array(n);
    const attention: number[] = new Array(n);
    const ranges = new Map<number, [number, number]>();
    let k = 0;
    for (const piece of template) {
      if (piece.kind === "sequence") {
        const i = piece.id === "A" ? 0 : 1;
        const e = i === 0 ? encoding : pair;
        if (!e) throw new TokenizerError(`TemplateProcessing: the template uses $${piece.id} but no such sequence was given`, "INVALID_ARGUMENT");
        const start = k;
        for (let t = 0; t < e.ids.length; t++, k++) {
          ids[k] = e.ids[t]!;
          typeIds[k] = piece.typeId;
          tokens[k] = e.tokens[t]!;
          offsets[2 * k] = e.offsetsFlat[2 * t]!;
          offsets[2 * k + 1] = e.offsetsFlat[2 * t + 1]!;
          words[k] = e.words[t]!;
          special[k] = e.specialTokensMask[t]!;
          attention[k] = e.attentionMask[t]!;
        }
        ranges.set(i, [start, k]);
      } else if (addSpecialTokens) {
        const tok = this.specialTokens.get(piece.id)!;
        for (let t = 0; t < tok.ids.length; t++, k++) {
          ids[k] = tok.ids[t]!;
          typeIds[k] = piece.typeId;
          tokens[k] = tok.tokens[t]!;
          offsets[2 * k] = 0;
          offsets[2 * k + 1] = 0;
          words[k] = null;
          special[k] = 1;
          attention[k] = 1;
        }
      }
    }
    // tokenizers also records the sequence ids on the inputs.
    encoding.setSequenceId(0);
    pair?.setSequenceId(1);
    return new Encoding(ids, typeIds, tokens, offsets, words, special, attention, ranges, []);
  }

  static fromJson(json: Record<string, unknown>, where = "tokenizer.json: post_processor"): TemplateProcessing {
    const corrupt = (msg: string) => new TokenizerError(`${where}: ${msg}`, "FILE_CORRUPT");
    const typeIdOf = (v: unknown, what: string): number => {
      const n = v === undefined || v === null ? 0 : v;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_TOKEN_ID) throw corrupt(`${what} has type_id ${JSON.stringify(v)} (expected an integer ≥ 0)`);
      return n;
    };
    const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
    const parsePieces = (arr: unknown, name: string): TemplatePiece[] => {
      if (!Array.isArray(arr)) throw corrupt(`"${name}" must be a list`);
      return arr.map((p, i) => {
        if (isObj(p) && isObj(p.Sequence)) {
          const id = p.Sequence.id;
          if (id !== "A" && id !== "B") throw corrupt(`${name}[${i}] has sequence id ${JSON.stringify(id)}`);
          return { kind: "sequence", id, typeId: typeIdOf(p.Sequence.type_id, `${name}[${i}]`) };
        }
        if (isObj(p) && isObj(p.SpecialToken) && typeof p.SpecialToken.id === "string") {
          return { kind: "special", id: p.SpecialToken.id, typeId: typeIdOf(p.SpecialToken.type_id, `${name}[${i}]`) };
        }
        throw corrupt(`${name}[${i}] is neither a Sequence nor a SpecialToken with a string id`);
      });
    };
    const specials = new Map<string, SpecialTokenSpec>();
    const st = json.special_tokens;
    if (st !== undefined && st !== null && !isObj(st)) throw corrupt(`"special_tokens" must be an object`);
    for (const [k, v] of Object.entries(st ?? {})) {
      if (!isObj(v) || !Array.isArray(v.ids) || !Array.isArray(v.tokens) || v.ids.length !== v.tokens.length) {
        throw corrupt(`special token ${JSON.stringify(k)} needs "ids" and "tokens" of equal length`);
      }
      // Ids go straight into input_ids: NaN, 0.5, -5 or 2^53 here would reach the model as garbage.
      for (const id of v.ids) {
        if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID) {
          throw corrupt(`special token ${JSON.stringify(k)} has id ${JSON.stringify(id)} (expected an integer 0..${MAX_TOKEN_ID})`);
        }
      }
      if (!v.tokens.every((t) => typeof t === "string")) throw corrupt(`special token ${JSON.stringify(k)}: "tokens" must be strings`);
      specials.set(k, { id: typeof v.id === "string" ? v.id : k, ids: (v.ids as number[]).slice(), tokens: (v.tokens as string[]).slice() });
    }
    return new TemplateProcessing(parsePieces(json.single, "single"), parsePieces(json.pair, "pair"), specials);
  }

  /** DeBERTa's template with the given [CLS]/[SEP] tokens and ids. */
  static deberta(cls: string, clsId: number, sep: string, sepId: number): TemplateProcessing {
    const specials = new Map<string, SpecialTokenSpec>([
      [cls, { id: cls, ids: [clsId], tokens: [cls] }],
      [sep, { id: sep, ids: [sepId], tokens: [sep] }],
    ]);
    return new TemplateProcessing(
      [
        { kind: "special", id: cls, typeId: 0 },
        { kind: "sequence", id: "A", typeId: 0 },
        { kind: "special", id: sep, typeId: 0 },
      ],
      [
        { kind: "special", id: cls, typeId: 0 },
        { kind: "sequence", id: "A", typeId: 0 },
        { kind: "special", id: sep, typeId: 0 },
        { kind: "sequence", id: "B", typeId: 1 },
        { kind: "special", id: sep, typeId: 1 },
      ],
      specials,
    );
  }
}

export function postProcessorFromJson(json: unknown, where = "tokenizer.json: post_processor"): TemplateProcessing | null {
  if (json === null || json === undefined) return null;
  if (typeof json !== "object" || Array.isArray(json)) throw new TokenizerError(`${where}: expected an object`, "FILE_CORRUPT");
  const j = json as Record<string, unknown>;
  if (j.type === "TemplateProcessing") return TemplateProcessing.fromJson(j, where);
  if (j.type === "Sequence" && Array.isArray(j.processors)) {
    const procs = j.processors as unknown[];
    if (procs.some((p) => p === null || typeof p !== "object")) throw new TokenizerError(`${where}: Sequence "processors" must be objects`, "FILE_CORRUPT");
    const t = (procs as Record<string, unknown>[]).filter((p) => p.type === "TemplateProcessing");
    const others = (procs as Record<string, unknown>[]).filter((p) => p.type !== "TemplateProcessing" && p.type !== "ByteLevel");
    if (t.length === 1 && others.length === 0) return TemplateProcessing.fromJson(t[0]!, where);
  }
  throw new TokenizerError(`${where}: post-processor type ${JSON.stringify(j.type)} is not supported`, "UNSUPPORTED");
}
