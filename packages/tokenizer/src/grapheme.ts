/**
 * Extended grapheme cluster boundaries (UAX #29), as the Rust `unicode-segmentation` crate computes them for
 * `graphemes(true)`. tokenizers' `Precompiled` normalizer looks at whole clusters, so its output depends on these
 * boundaries. Properties are derived from JS regex Unicode properties plus the short hard-coded lists UAX #29
 * defines; GB9c (Indic conjuncts) uses an approximation of Indic_Conjunct_Break (which no JS property exposes).
 * That rule only joins clusters that are already 6 UTF-8 bytes or longer, which `Precompiled` handles character
 * by character anyway, so it cannot change the normalizer's output.
 */

export const enum GCB {
  Other = 0,
  CR = 1,
  LF = 2,
  Control = 3,
  Extend = 4,
  ZWJ = 5,
  RI = 6,
  Prepend = 7,
  SpacingMark = 8,
  L = 9,
  V = 10,
  T = 11,
  LV = 12,
  LVT = 13,
}

// Flag bits stored next to the GCB value.
const EXT_PICT = 0x10;
const INCB_CONSONANT = 0x20;
const INCB_LINKER = 0x40;

const EXTEND_RE = /[\p{Grapheme_Extend}\p{Emoji_Modifier}]/u;
const CONTROL_RE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const UNASSIGNED_DI_RE = /^(?=\p{Cn})\p{Default_Ignorable_Code_Point}$/u;
const MC_RE = /\p{Mc}/u;
const EXTPICT_RE = /\p{Extended_Pictographic}/u;
const LETTER_RE = /\p{L}/u;

function isPrepend(cp: number): boolean {
  return (
    (cp >= 0x0600 && cp <= 0x0605) ||
    cp === 0x06dd ||
    cp === 0x070f ||
    cp === 0x0890 ||
    cp === 0x0891 ||
    cp === 0x08e2 ||
    cp === 0x0d4e ||
    cp === 0x110bd ||
    cp === 0x110cd ||
    cp === 0x111c2 ||
    cp === 0x111c3 ||
    cp === 0x1193f ||
    cp === 0x11941 ||
    cp === 0x11a3a ||
    (cp >= 0x11a84 && cp <= 0x11a89) ||
    cp === 0x11d46 ||
    cp === 0x11f02 ||
    cp === 0x113d1
  );
}

function isSpacingMarkException(cp: number): boolean {
  return (
    cp === 0x102b ||
    cp === 0x102c ||
    cp === 0x1038 ||
    (cp >= 0x1062 && cp <= 0x1064) ||
    (cp >= 0x1067 && cp <= 0x106d) ||
    cp === 0x1083 ||
    (cp >= 0x1087 && cp <= 0x108c) ||
    cp === 0x108f ||
    (cp >= 0x109a && cp <= 0x109c) ||
    cp === 0x1a61 ||
    cp === 0x1a63 ||
    cp === 0x1a64 ||
    cp === 0xaa7b ||
    cp === 0xaa7d ||
    cp === 0x11720 ||
    cp === 0x11721
  );
}

/** Viramas that are InCB=Linker (Unicode 15.1). */
function isLinker(cp: number): boolean {
  return cp === 0x094d || cp === 0x09cd || cp === 0x0acd || cp === 0x0b4d || cp === 0x0c4d || cp === 0x0d4d;
}

/** Approximation of InCB=Consonant: letters of the six scripts whose virama is a Linker. */
function isIndicConsonant(cp: number): boolean {
  const inBlock =
    (cp >= 0x0915 && cp <= 0x0939) ||
    (cp >= 0x0958 && cp <= 0x095f) ||
    (cp >= 0x0978 && cp <= 0x097f) ||
    (cp >= 0x0995 && cp <= 0x09b9) ||
    (cp >= 0x09dc && cp <= 0x09df) ||
    cp === 0x09f0 ||
    cp === 0x09f1 ||
    (cp >= 0x0a95 && cp <= 0x0ab9) ||
    cp === 0x0af9 ||
    (cp >= 0x0b15 && cp <= 0x0b39) ||
    (cp >= 0x0b5c && cp <= 0x0b5f) ||
    cp === 0x0b71 ||
    (cp >= 0x0c15 && cp <= 0x0c39) ||
    (cp >= 0x0c58 && cp <= 0x0c5a) ||
    (cp >= 0x0d15 && cp <= 0x0d3a);
  return inBlock && LETTER_RE.test(String.fromCodePoint(cp));
}

function computeProps(cp: number): number {
  let g: GCB;
  if (cp === 0x0d) g = GCB.CR;
  else if (cp === 0x0a) g = GCB.LF;
  else if (cp === 0x200d) g = GCB.ZWJ;
  else if (cp >= 0x1f1e6 && cp <= 0x1f1ff) g = GCB.RI;
  else if (cp >= 0x1100 && cp <= 0x115f) g = GCB.L;
  else if (cp >= 0xa960 && cp <= 0xa97c) g = GCB.L;
  else if ((cp >= 0x1160 && cp <= 0x11a7) || (cp >= 0xd7b0 && cp <= 0xd7c6)) g = GCB.V;
  else if ((cp >= 0x11a8 && cp <= 0x11ff) || (cp >= 0xd7cb && cp <= 0xd7fb)) g = GCB.T;
  else if (cp >= 0xac00 && cp <= 0xd7a3) g = (cp - 0xac00) % 28 === 0 ? GCB.LV : GCB.LVT;
  else if (isPrepend(cp)) g = GCB.Prepend;
  else {
    const s = String.fromCodePoint(cp);
    if (EXTEND_RE.test(s)) g = GCB.Extend;
    else if (CONTROL_RE.test(s) || UNASSIGNED_DI_RE.test(s)) g = GCB.Control;
    else if (cp === 0x0e33 || cp === 0x0eb3 || (MC_RE.test(s) && !isSpacingMarkException(cp))) g = GCB.SpacingMark;
    else g = GCB.Other;
  }
  let flags = g as number;
  if (cp >= 0xa9 && EXTPICT_RE.test(String.fromCodePoint(cp))) flags |= EXT_PICT;
  if (isLinker(cp)) flags |= INCB_LINKER;
  else if (cp >= 0x0900 && cp <= 0x0d7f && isIndicConsonant(cp)) flags |= INCB_CONSONANT;
  return flags;
}

// BMP properties, computed on first use of each code point (0xff = not computed yet).
const bmp = new Uint8Array(0x10000).fill(0xff);
for (let cp = 0x20; cp < 0x7f; cp++) bmp[cp] = GCB.Other;
const astral = new Map<number, number>();

/** GCB value and flags of a code point. */
export function graphemeProps(cp: number): number {
  if (cp < 0x10000) {
    let v = bmp[cp]!;
    if (v === 0xff) {
      v = cp >= 0xd800 && cp <= 0xdfff ? GCB.Control : computeProps(cp);
      bmp[cp] = v;
    }
    return v;
  }
  let v = astral.get(cp);
  if (v === undefined) {
    v = computeProps(cp);
    astral.set(cp, v);
  }
  return v;
}

export function gcbOf(cp: number): GCB {
  return (graphemeProps(cp) & 0x0f) as GCB;
}

/**
 * Returns the index (exclusive) where the grapheme cluster starting at `start` ends, for code points `cps`
 * (positions `start` .. `end`).
 */
export function graphemeEnd(cps: ArrayLike<number>, start: number, end: number): number {
  if (start >= end) return start;
  let prev = graphemeProps(cps[start]!);
  let prevG = prev & 0x0f;
  // State for GB11 (ExtPict Extend* ZWJ × ExtPict), GB12/13 (RI pairs) and GB9c.
  let emojiState = prev & EXT_PICT ? 1 : 0; // 1: seen ExtPict [Extend*]; 2: ... then ZWJ
  let riCount = prevG === GCB.RI ? 1 : 0;
  // GB9c: 0 none; 1 seen Consonant [Extend|Linker]* without Linker; 2 seen a Linker after the consonant.
  let incb = prev & INCB_CONSONANT ? 1 : 0;
  let i = start + 1;
  for (; i < end; i++) {
    const cur = graphemeProps(cps[i]!);
    const curG = cur & 0x0f;
    let join: boolean;
    if (prevG === GCB.CR) join = curG === GCB.LF;
    else if (prevG === GCB.Control || prevG === GCB.LF) join = false;
    else if (curG === GCB.Control || curG === GCB.CR || curG === GCB.LF) join = false;
    else if (prevG === GCB.L && (curG === GCB.L || curG === GCB.V || curG === GCB.LV || curG === GCB.LVT)) join = true;
    else if ((prevG === GCB.LV || prevG === GCB.V) && (curG === GCB.V || curG === GCB.T)) join = true;
    else if ((prevG === GCB.LVT || prevG === GCB.T) && curG === GCB.T) join = true;
    else if (curG === GCB.Extend || curG === GCB.ZWJ) join = true;
    else if (curG === GCB.SpacingMark) join = true;
    else if (prevG === GCB.Prepend) join = true;
    else if (incb === 2 && cur & INCB_CONSONANT) join = true;
    else if (emojiState === 2 && cur & EXT_PICT) join = true;
    else if (prevG === GCB.RI && curG === GCB.RI) join = riCount % 2 === 1;
    else join = false;
    if (!join) break;
    // update states
    if (cur & EXT_PICT) emojiState = 1;
    else if (emojiState === 1 && curG === GCB.Extend) emojiState = 1;
    else if (emojiState === 1 && curG === GCB.ZWJ) emojiState = 2;
    else emojiState = 0;
    riCount = curG === GCB.RI ? riCount + 1 : 0;
    if (cur & INCB_CONSONANT) incb = 1;
    else if (incb > 0 && cur & INCB_LINKER) incb = 2;
    else if (incb > 0 && (curG === GCB.Extend || curG === GCB.ZWJ)) {
      /* keep */
    } else incb = 0;
    prev = cur;
    prevG = curG;
  }
  return i;
}
