import { describe, expect, it } from "vitest";
import { graphemeEnd } from "./grapheme.js";
import { codePoints } from "./unicode.js";

function mine(s: string): string[] {
  const cps = codePoints(s);
  const out: string[] = [];
  let i = 0;
  while (i < cps.length) {
    const j = graphemeEnd(cps, i, cps.length);
    out.push(String.fromCodePoint(...cps.slice(i, j)));
    i = j;
  }
  return out;
}

function icu(s: string): string[] {
  return [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s)].map((x) => x.segment);
}

describe("grapheme clusters", () => {
  it("agree with the platform's UAX #29 segmenter on tricky sequences", () => {
    const samples = [
      "e\u0301", "\r\n", "\n\u0301", "a\u200b\u0301", "👨‍👩‍👧", "👍🏽", "🇫🇷🇩🇪🇮", "1️⃣", "ﾃﾞ", "क्ष", "क्‍ष", "ப்பா",
      "\u0600a", "\u06dd1", "각", "각ᆨ", "각", "ำกำ", "a\u200d©", "©\u200d©", "x\u0301\u0302y", "\u0e33", "Ꭰ\u0301",
      "ᄀ\u0301ᅡ", "\ufeffa", "a\u00ad", "\u2060\u0301",
    ];
    for (const s of samples) expect(mine(s), JSON.stringify(s)).toEqual(icu(s));
  });
  it("agree on random mixtures", () => {
    const pool = [..."aZ09 \t\n\r", "\r\n", "\u0301", "\u0308", "\u200d", "\u200c", "\u200b", "\ufeff", "\u00ad", "ᄀ", "ᅡ", "ᆨ", "가", "각",
      "🇫", "🇷", "👍", "🏽", "©", "क", "्", "ष", "ि", "ा", "ب", "َ", "ก", "ำ", "ุ", "\u0600", "ﾃ", "ﾞ", "😀", "\u0903", "\u0e33"];
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 1) / 2 ** 31;
    const bad: string[] = [];
    for (let n = 0; n < 3000; n++) {
      let s = "";
      const len = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < len; i++) s += pool[Math.floor(rnd() * pool.length)];
      if (JSON.stringify(mine(s)) !== JSON.stringify(icu(s))) bad.push(JSON.stringify(s));
    }
    expect(bad.slice(0, 10)).toEqual([]);
  });
});
