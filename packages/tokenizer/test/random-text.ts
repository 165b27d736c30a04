// Seeded random inputs built from characters that exercise every normalization and segmentation rule.
export const POOL: readonly string[] = [
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  " ", " ", " ", "  ", "\t", "\n", "\r\n", "\r", "\x01", "\x7f", "\x0b", "\x0c", "\u0000",
  "\u0301", "\u0308", "\u0327", "\u0300\u0301", "x\u0301\u0302", "\u200d", "\u200b", "\ufeff", "\u00a0", "\u3000", "\u2028", "\u0085",
  "Ａ", "ｂ", "ﾃ", "ﾞ", "ﾟ", "ｶ", "ﬁ", "ﬀ", "①", "㈱", "…", "™", "½", "²",
  "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "🦾", "₿",
  "中", "文", "日本", "한", "ᄀ", "ᅡ", "ᆨ", "क", "्", "ष", "ि", "ب", "َ", "ุ", "ำ", "ก", "\u0600", "\u06dd",
  "[MASK]", "[UNK]", "[unk]", "[Unk]", "[CLS]", "[SEP]", "[PAD]", "[mask]", "a[MASK]b",
  ".", ",", "!", "?", "'", "\"", "-", "(", ")", "«", "»", "¿", "$", "^", "`",
  "é", "ü", "ß", "İ", "Σ", "ς", "ǅ", "ẞ", "Ω", "Å", "Å", "▁", "<0x41>", "\u00ad", "\u202e", "\ue000",
  "\ud800", "\udc00", "vvv", "-vvv", "ﾃﾞ", "the", " the ", "tokenization",
];

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 1) / 2 ** 31;
  };
}

export function randomText(rnd: () => number, maxPieces = 14, pool: readonly string[] = POOL): string {
  const n = Math.floor(rnd() * maxPieces);
  let s = "";
  for (let i = 0; i < n; i++) s += pool[Math.floor(rnd() * pool.length)];
  return s;
}
