/**
 * Per-character grapheme-break flags for the fast path's "is this cluster more than one character?" check: a BMP
 * table filled on first use, and a map for astral characters.
 */
import { GCB, graphemeProps } from "./grapheme.js";

// Per-BMP-character flags for the grapheme fast check.
export const F_JOINS_PREV = 1; // Extend, ZWJ, SpacingMark: joins the previous character unless that one is a control
export const F_MAY_JOIN_NEXT = 2; // Prepend, CR, Hangul L/V/T/LV/LVT, Regional Indicator
export const F_CONTROL = 4; // Control, CR, LF

// Per-BMP-character grapheme flags, computed on first use (0xff = not computed yet).
const flagTable = new Uint8Array(0x10000).fill(0xff);
for (let cp = 0x20; cp < 0x7f; cp++) flagTable[cp] = 0;
export function graphemeFlags(): Uint8Array {
  return flagTable;
}
function flagsOf(cp: number): number {
  const g = graphemeProps(cp) & 0x0f;
  let f = 0;
  if (g === GCB.Extend || g === GCB.ZWJ || g === GCB.SpacingMark) f |= F_JOINS_PREV;
  if (g === GCB.Prepend || g === GCB.CR || g === GCB.L || g === GCB.V || g === GCB.T || g === GCB.LV || g === GCB.LVT || g === GCB.RI) f |= F_MAY_JOIN_NEXT;
  if (g === GCB.Control || g === GCB.CR || g === GCB.LF) f |= F_CONTROL;
  return f;
}
const astralFlags = new Map<number, number>();
export function flagsAt(table: Uint8Array, cp: number): number {
  if (cp < 0x10000) {
    let f = table[cp]!;
    if (f === 0xff) {
      f = cp >= 0xd800 && cp <= 0xdfff ? 0 : flagsOf(cp);
      table[cp] = f;
    }
    return f;
  }
  let f = astralFlags.get(cp);
  if (f === undefined) {
    f = flagsOf(cp);
    astralFlags.set(cp, f);
  }
  return f;
}
