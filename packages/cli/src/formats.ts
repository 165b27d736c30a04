/**
 * `deberta-js run --format json|csv|tsv`: how results are written. json: one JSON line per input (the default).
 * csv / tsv: a header and one row per result item, as `transformers-cli run --format csv` does — a result that is a
 * list (fill-mask candidates, top_k labels, entities) gives one row per element; the first column, `input`, is the
 * 1-based number of the input it answers. Columns are the keys of the first rows; nested values are JSON.
 */
import { InputError } from "@deberta-js/core";

export const FORMATS = ["json", "csv", "tsv"] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(s: string | undefined): Format {
  const f = (s ?? "json").toLowerCase();
  if (!(FORMATS as readonly string[]).includes(f)) throw new InputError(`--format "${s}" is not one of ${FORMATS.join(", ")}`);
  return f as Format;
}

/** Rows of one result: a list gives one row per (flattened) element, anything else one row. */
export function resultRows(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result.flatMap(resultRows);
  if (result !== null && typeof result === "object") return [result as Record<string, unknown>];
  return [{ value: result }];
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return "";
  return typeof v === "object" ? JSON.stringify(v) : String(v);
}

/** RFC 4180: quote fields holding a comma, quote or line break; double inner quotes. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** TSV has no quoting: tabs, line breaks and backslashes are escaped as \t, \n, \r, \\. */
export function tsvField(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** Formats results as lines of text for `write`. */
export class ResultWriter {
  private columns: string[] | undefined;

  constructor(
    readonly format: Format,
    private readonly write: (line: string) => void,
  ) {}

  /** The results of inputs `first`, `first + 1`, … (0-based). */
  results(results: unknown[], first: number): void {
    if (this.format === "json") {
      for (const r of results) this.write(JSON.stringify(r));
      return;
    }
    const rows: Record<string, unknown>[] = results.flatMap((r, i) => resultRows(r).map((row) => ({ input: first + i + 1, ...row })));
    if (!this.columns) {
      const keys = new Set<string>();
      for (const row of rows) for (const k of Object.keys(row)) keys.add(k);
      this.columns = [...keys];
      this.line(this.columns);
    }
    for (const row of rows) this.line(this.columns.map((c) => cell(row[c])));
  }

  private line(fields: string[]): void {
    this.write(this.format === "csv" ? fields.map(csvField).join(",") : fields.map(tsvField).join("\t"));
  }
}
