/**
 * A small seeded mutation fuzzer for the file parsers (safetensors, zip/pickle, config.json, index files,
 * tokenizer files, …). A target turns bytes into a parsed value; the only two acceptable outcomes are a value or
 * a typed error (`isTyped`). Anything else — a raw TypeError/RangeError, a case slower than `hangMs`, resident
 * memory above `maxRssBytes` — is a finding, reported with the seed and case number that reproduce it.
 *
 * Deterministic: case i of target t with seed s always mutates the same way (mulberry32), so a finding replays
 * with `runFuzz({ ..., seed, only: i })`.
 */

export interface FuzzTarget {
  name: string;
  /** Valid inputs to mutate (a few small files). */
  seeds: () => Uint8Array[];
  /** Parses one input; may be async. Throw only typed errors. */
  parse: (bytes: Uint8Array) => unknown;
  /** Format-aware mutations on top of the generic byte mutations (optional). */
  mutate?: (bytes: Uint8Array, rng: FuzzRng) => Uint8Array;
}

export interface FuzzOptions {
  cases: number;
  seed?: number;
  /** A case slower than this is a hang (default 5000 ms). */
  hangMs?: number;
  /** Resident set size checked after each case (default 2 GiB). */
  maxRssBytes?: number;
  /** Accepted errors (e.g. `e instanceof DebertaError`). */
  isTyped: (e: unknown) => boolean;
  /** Run one case only (replay). */
  only?: number;
}

export interface FuzzFinding {
  target: string;
  caseIndex: number;
  seed: number;
  kind: "crash" | "hang" | "memory";
  detail: string;
}

export interface FuzzReport {
  target: string;
  cases: number;
  ok: number;
  typedErrors: number;
  findings: FuzzFinding[];
  slowestMs: number;
  peakRssBytes: number;
}

export type FuzzRng = () => number;

/** mulberry32: a tiny, good-enough PRNG with a 32-bit state. */
export function rng32(seed: number): FuzzRng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING_U32 = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff];

/** One to four generic byte-level mutations: bit flips, interesting values, chunk insert/delete/duplicate, truncation. */
export function mutateBytes(input: Uint8Array, rng: FuzzRng): Uint8Array {
  let b: Uint8Array = input.slice();
  const n = 1 + Math.floor(rng() * 4);
  const pick = (len: number) => Math.floor(rng() * Math.max(1, len));
  for (let k = 0; k < n; k++) {
    const op = Math.floor(rng() * 9);
    if (b.length === 0 && op !== 5) continue;
    switch (op) {
      case 0: // bit flip
        b[pick(b.length)] ^= 1 << Math.floor(rng() * 8);
        break;
      case 1: // random byte
        b[pick(b.length)] = Math.floor(rng() * 256);
        break;
      case 2: {
        // interesting little-endian u32 (sizes, offsets, counts)
        const p = pick(b.length - 3);
        const v = INTERESTING_U32[Math.floor(rng() * INTERESTING_U32.length)];
        for (let i = 0; i < 4 && p + i < b.length; i++) b[p + i] = (v >>> (8 * i)) & 0xff;
        break;
      }
      case 3: // truncate
        b = b.subarray(0, pick(b.length));
        break;
      case 4: {
        // delete a chunk
        const p = pick(b.length);
        const len = 1 + pick(Math.min(64, b.length - p));
        b = concat(b.subarray(0, p), b.subarray(p + len));
        break;
      }
      case 5: {
        // insert random bytes
        const p = pick(b.length + 1);
        const ins = new Uint8Array(1 + pick(16)).map(() => Math.floor(rng() * 256));
        b = concat(b.subarray(0, p), ins, b.subarray(p));
        break;
      }
      case 6: {
        // duplicate a chunk elsewhere
        const p = pick(b.length);
        const len = 1 + pick(Math.min(256, b.length - p));
        const q = pick(b.length + 1);
        b = concat(b.subarray(0, q), b.slice(p, p + len), b.subarray(q));
        break;
      }
      case 7: {
        // overwrite an ASCII digit run with a big or negative number (JSON sizes, shapes, offsets)
        const text = b;
        const p = pick(text.length);
        let i = p;
        while (i < text.length && !(text[i] >= 0x30 && text[i] <= 0x39)) i++;
        if (i >= text.length) break;
        let j = i;
        while (j < text.length && text[j] >= 0x30 && text[j] <= 0x39) j++;
        const choices = ["0", "-1", "1e300", "4294967296", "9007199254740993", "65537", "2147483648", "0.5", "null", "[]", "{}", '""'];
        const rep = new TextEncoder().encode(choices[Math.floor(rng() * choices.length)]);
        b = concat(text.subarray(0, i), rep, text.subarray(j));
        break;
      }
      default: {
        // swap two 8-byte windows
        const p = pick(b.length - 8);
        const q = pick(b.length - 8);
        const t = b.slice(p, p + 8);
        b.copyWithin(p, q, q + 8);
        b.set(t.subarray(0, Math.max(0, Math.min(8, b.length - q))), q);
        break;
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const rss = () => (typeof process !== "undefined" && process.memoryUsage ? process.memoryUsage.rss() : 0);

/** Runs `opts.cases` mutated inputs through `target`; returns counts and findings (never throws for a finding). */
export async function runFuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const seed = opts.seed ?? 1;
  const hangMs = opts.hangMs ?? 5000;
  const maxRss = opts.maxRssBytes ?? 2 * 2 ** 30;
  const seeds = target.seeds();
  const report: FuzzReport = { target: target.name, cases: 0, ok: 0, typedErrors: 0, findings: [], slowestMs: 0, peakRssBytes: 0 };
  const first = opts.only ?? 0;
  const last = opts.only !== undefined ? opts.only + 1 : opts.cases;
  for (let i = first; i < last; i++) {
    const rng = rng32((seed * 0x9e3779b1) ^ (i * 0x85ebca6b));
    const base = seeds[Math.floor(rng() * seeds.length)];
    let input = rng() < 0.5 && target.mutate ? target.mutate(base, rng) : mutateBytes(base, rng);
    if (rng() < 0.25) input = mutateBytes(input, rng);
    const t0 = performance.now();
    try {
      await target.parse(input);
      report.ok++;
    } catch (e) {
      if (opts.isTyped(e)) report.typedErrors++;
      else {
        const err = e as Error;
        report.findings.push({ target: target.name, caseIndex: i, seed, kind: "crash", detail: `${err?.name}: ${err?.message}`.slice(0, 300) });
      }
    }
    const ms = performance.now() - t0;
    report.cases++;
    report.slowestMs = Math.max(report.slowestMs, ms);
    if (ms > hangMs) report.findings.push({ target: target.name, caseIndex: i, seed, kind: "hang", detail: `${ms.toFixed(0)} ms` });
    const r = rss();
    report.peakRssBytes = Math.max(report.peakRssBytes, r);
    if (r > maxRss) {
      report.findings.push({ target: target.name, caseIndex: i, seed, kind: "memory", detail: `RSS ${(r / 2 ** 20).toFixed(0)} MiB` });
      break;
    }
  }
  return report;
}

/** One line per report, for logs and the issue note. */
export function formatFuzzReport(r: FuzzReport): string {
  return (
    `${r.target}: ${r.cases} cases, ${r.ok} parsed, ${r.typedErrors} typed errors, ` +
    `${r.findings.filter((f) => f.kind === "crash").length} crashes, ${r.findings.filter((f) => f.kind === "hang").length} hangs, ` +
    `${r.findings.filter((f) => f.kind === "memory").length} over-memory; slowest ${r.slowestMs.toFixed(0)} ms, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB`
  );
}
