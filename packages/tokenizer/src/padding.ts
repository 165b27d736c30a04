/**
 * Padding (tokenizers' `pad_encodings`): to the longest encoding of the batch or to a fixed length, optionally
 * rounded up to a multiple, on the right or the left. Padding tokens get id `pad_id`, type `pad_type_id`,
 * attention 0, special-token mask 1, offsets [0, 0] and no word id.
 */
import type { Encoding, PaddingDirection } from "./encoding.js";
import { TokenizerError } from "./errors.js";

export type PaddingStrategy = "longest" | "max_length" | "do_not_pad";

export interface PaddingParams {
  /** null: pad to the longest encoding of the batch. */
  length: number | null;
  padToMultipleOf: number | null;
  direction: PaddingDirection;
  padId: number;
  padTypeId: number;
  padToken: string;
}

export function parsePadding(value: unknown): PaddingStrategy | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === true) return "longest";
  if (value === false) return "do_not_pad";
  if (value === "longest" || value === "max_length" || value === "do_not_pad") return value;
  throw new TokenizerError(
    `unknown padding strategy ${JSON.stringify(value)}: expected true, false, "longest", "max_length" or "do_not_pad"`,
    "INVALID_ARGUMENT",
  );
}

export function padEncodings(encodings: Encoding[], params: PaddingParams): void {
  if (encodings.length === 0) return;
  let padLength = params.length ?? Math.max(...encodings.map((e) => e.length));
  const m = params.padToMultipleOf;
  if (m && m > 0 && padLength % m > 0) padLength += m - (padLength % m);
  for (const e of encodings) e.pad(padLength, params.padId, params.padTypeId, params.padToken, params.direction);
}
