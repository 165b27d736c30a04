/**
 * Where `DebertaV2TokenizerFast.fromPretrained` / `DebertaV2Tokenizer.fromPretrained` find their loader. `load.ts`
 * imports the tokenizer classes and registers itself here, so the classes never import `load.ts` at run time (no
 * import cycle); the package entry imports `load.ts`, so the loaders are always registered through it.
 */
import { TokenizerError } from "./errors.js";
import type { LoadOptions, TokenizerSource } from "./load.js";

type Loader<T> = (source: TokenizerSource, options?: LoadOptions) => Promise<T>;

const loaders: { fast?: Loader<unknown>; slow?: Loader<unknown> } = {};

export function registerTokenizerLoaders(fast: Loader<unknown>, slow: Loader<unknown>): void {
  loaders.fast = fast;
  loaders.slow = slow;
}

export function tokenizerLoader<T>(kind: "fast" | "slow"): Loader<T> {
  const l = loaders[kind];
  if (!l) throw new TokenizerError(`fromPretrained: the tokenizer loader is not registered; import "@deberta-js/tokenizer"`);
  return l as Loader<T>;
}
