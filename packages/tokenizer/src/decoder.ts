/**
 * tokenizers' Metaspace decoder: "▁" becomes a space, and the first token loses its ▁ (prepend schemes other than
 * "never"). Tokens are then concatenated.
 */
import { TokenizerError } from "./errors.js";
import type { PrependScheme } from "./pre-tokenizer.js";

export interface Decoder {
  readonly type: string;
  decode(tokens: string[]): string;
}

export class MetaspaceDecoder implements Decoder {
  readonly type = "Metaspace";
  constructor(
    readonly replacement = "\u2581",
    readonly prependScheme: PrependScheme = "always",
  ) {}
  decode(tokens: string[]): string {
    let out = "";
    const r = this.replacement;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t.indexOf(r) < 0) {
        out += t;
        continue;
      }
      if (i === 0 && this.prependScheme !== "never") out += t.split(r).join("");
      else out += t.split(r).join(" ");
    }
    return out;
  }
}

export function decoderFromJson(json: unknown, where = "tokenizer.json: decoder"): Decoder | null {
  if (json === null || json === undefined) return null;
  const j = json as Record<string, unknown>;
  if (j.type === "Metaspace") {
    const scheme = typeof j.prepend_scheme === "string" ? (j.prepend_scheme as PrependScheme) : j.add_prefix_space === false ? "never" : "always";
    return new MetaspaceDecoder(typeof j.replacement === "string" ? j.replacement : "\u2581", scheme);
  }
  throw new TokenizerError(`${where}: decoder type ${JSON.stringify(j.type)} is not supported`, "UNSUPPORTED");
}
