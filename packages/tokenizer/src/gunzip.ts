/**
 * gunzip with an output cap. fflate's one-shot `gunzipSync` grows its output without bound (1 MiB of zeros
 * inflates to 1 GiB), so the input is fed to the streaming decoder in small chunks — each chunk can inflate to at
 * most ~1032× its size — and decoding stops as soon as the total passes the cap.
 */
import { Gunzip } from "fflate";
import { TokenizerError } from "./errors.js";
import { getTokenizerLimits, type TokenizerLimits, tokenizerLimitHint } from "./limits.js";

const CHUNK = 16 * 1024;

export function gunzipCapped(bytes: Uint8Array, label: string, cap = getTokenizerLimits().maxInflatedBytes, limit: keyof TokenizerLimits = "maxInflatedBytes"): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let done = false;
  const g = new Gunzip((chunk, final) => {
    total += chunk.length;
    if (total > cap) {
      throw new TokenizerError(`${label}: inflates to more than ${cap} bytes (${tokenizerLimitHint(limit)})`, "FILE_CORRUPT");
    }
    parts.push(chunk);
    if (final) done = true;
  });
  try {
    for (let p = 0; p < bytes.length; p += CHUNK) g.push(bytes.subarray(p, Math.min(bytes.length, p + CHUNK)), p + CHUNK >= bytes.length);
    if (bytes.length === 0) g.push(bytes, true);
  } catch (e) {
    if (e instanceof TokenizerError) throw e;
    throw new TokenizerError(`${label}: not a valid gzip file (${(e as Error).message})`, "FILE_CORRUPT", { cause: e });
  }
  if (!done) throw new TokenizerError(`${label}: not a valid gzip file (truncated)`, "FILE_CORRUPT");
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
