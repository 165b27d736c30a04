import { describe, expect, it } from "vitest";
import { VocabTrie } from "./trie.js";

describe("VocabTrie", () => {
  it("finds every key with its value, later duplicates winning, and nothing else", () => {
    const keys = ["▁a", "▁ab", "b", "ab", "文字", "😀x", "a", "ab", "", "zz"];
    const values = [0, 1, 2, 3, 4, 5, 6, 7, 8, -1];
    const t = new VocabTrie(keys, values);
    expect(t.get("▁a")).toBe(0);
    expect(t.get("▁ab")).toBe(1);
    expect(t.get("ab")).toBe(7);
    expect(t.get("文字")).toBe(4);
    expect(t.get("😀x")).toBe(5);
    expect(t.get("a")).toBe(6);
    expect(t.get("")).toBe(-1);
    expect(t.get("zz")).toBe(-1);
    expect(t.get("▁")).toBe(-1);
    expect(t.get("abc")).toBe(-1);
    expect(t.maxKeyLength).toBe(3);
  });
  it("handles many keys with shared prefixes", () => {
    const keys: string[] = [];
    for (let i = 0; i < 5000; i++) keys.push("▁" + (i * 7919).toString(36) + String.fromCharCode(0x4e00 + (i % 300)));
    const t = new VocabTrie(keys, keys.map((_, i) => i));
    keys.forEach((k, i) => expect(t.get(k)).toBe(i));
    expect(t.get("▁zzzz")).toBe(-1);
  });
});
