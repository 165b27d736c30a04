// The side-by-side table of the README ("From transformers.js and Hugging Face Python"): every deberta-js cell is
// taken from README.md as written and run, with its hub ids pointed at fixture models of the right head (tiny-v3
// with the spm-v3-like tokenizer, random weights), and its value checked. A row added to the table without a check
// here, or a check whose row is gone, fails, so the table cannot drift from the library.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as heads from "@deberta-js/heads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticModel } from "./synthetic.js";

const README = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const SECTION = "## From transformers.js and Hugging Face Python";

interface Row {
  name: string;
  code: string;
}

/** The table's rows: first column (the task or class) and the deberta-js column's code. */
function tableRows(): Row[] {
  const start = README.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const body = README.slice(start + SECTION.length).split("\n## ")[0];
  const lines = body.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
  const [header, ...rows] = lines;
  const columns = header.split(" | ").map((c) => c.replace(/^\| |\s*\|$/g, "").trim());
  const col = columns.indexOf("deberta-js");
  if (col < 0) throw new Error(`the table has no deberta-js column: ${header}`);
  return rows.map((line) => {
    const cells = line.slice(2, -2).split(" | ");
    if (cells.length !== columns.length) throw new Error(`a table row has ${cells.length} cells, not ${columns.length}: ${line}`);
    const code = /^`([^`]+)`$/.exec(cells[col].trim());
    if (!code) throw new Error(`the deberta-js cell of "${cells[0]}" is not one code span: ${cells[col]}`);
    return { name: cells[0].trim(), code: code[1] };
  });
}

/** Hub ids in the table → the fixture head class that stands in for them. */
const MODELS: Record<string, string> = {
  "microsoft/deberta-v2-xlarge": "DebertaV2ForMaskedLM",
  "microsoft/deberta-v3-base": "DebertaV2ForMaskedLM",
  "microsoft/deberta-v2-xlarge-mnli": "DebertaV2ForSequenceClassification",
  "MoritzLaurer/DeBERTa-v3-base-mnli-fever-anli": "DebertaV2ForSequenceClassification",
  "my-org/deberta-v3-base-ner": "DebertaV2ForTokenClassification",
  "deepset/deberta-v3-base-squad2": "DebertaV2ForQuestionAnswering",
  "my-org/deberta-v3-base-swag": "DebertaV2ForMultipleChoice",
};

const isLabelScore = (x: unknown) => typeof (x as heads.LabelScore).label === "string" && typeof (x as heads.LabelScore).score === "number";
const NLI = ["entailment", "neutral", "contradiction"];

/** What each row's value must be (its last expression), on the fixture models (hidden size 32, 3 NLI labels). */
const CHECKS: Record<string, (value: any) => void> = {
  "`fill-mask`": (v) => {
    expect(v).toHaveLength(5);
    for (const p of v) expect(p.sequence).toMatch(/^Paris is the.*of France\.$/);
    expect(v.map((p: { score: number }) => p.score)).toEqual([...v.map((p: { score: number }) => p.score)].sort((a, b) => b - a));
  },
  "`text-classification`": (v) => {
    expect(v).toHaveLength(1);
    expect(isLabelScore(v[0]) && NLI.includes(v[0].label)).toBe(true);
  },
  "`text-classification`, a sentence pair": (v) => expect(isLabelScore(v) && NLI.includes(v.label)).toBe(true),
  "`zero-shot-classification`": (v) => {
    expect(v.sequence).toBe("I have a problem with my iphone that needs to be resolved asap!");
    expect([...v.labels].sort()).toEqual(["not urgent", "phone", "urgent"]);
    for (const s of v.scores) expect(s).toBeGreaterThan(0); // multi_label: independent sigmoids…
    expect(v.scores.reduce((a: number, b: number) => a + b, 0)).not.toBeCloseTo(1, 6); // …not one softmax
  },
  "`token-classification` (`ner`)": (v) => {
    expect(Array.isArray(v)).toBe(true);
    for (const e of v) {
      expect(typeof e.entity_group).toBe("string");
      expect("My name is Wolfgang and I live in Berlin.".slice(e.start, e.end).trim()).toBe(e.word.trim());
    }
  },
  "`question-answering`": (v) => {
    expect("My name is Wolfgang and I live in Berlin.".slice(v.start, v.end)).toBe(v.answer);
    expect(v.score).toBeGreaterThan(0);
  },
  "`multiple-choice`": (v) => {
    expect(v.choices).toEqual(["It is eaten with a fork.", "It is eaten by hand."]);
    expect(v.scores[0] + v.scores[1]).toBeCloseTo(1, 6);
  },
  "`AutoTokenizer`": (v) => {
    expect(v.input_ids[0]).toBe(1); // [CLS]
    expect(v.input_ids.at(-1)).toBe(2); // [SEP]
    expect(v.attention_mask).toEqual(v.input_ids.map(() => 1));
  },
  "`AutoConfig`": (v) => expect(v).toBe(32),
  "`AutoModel` (the base model)": (v) => expect(v).toEqual([1, expect.any(Number), 32]),
  "`AutoModelForMaskedLM`": (v) => expect(v).toEqual([1, expect.any(Number), 8100]),
  "`AutoModelForSequenceClassification`": (v) => expect(v).toEqual([1, 3]),
  "`AutoModelForTokenClassification`": (v) => expect(v).toEqual([1, expect.any(Number), labelsOf("DebertaV2ForTokenClassification")]),
  "`AutoModelForQuestionAnswering`": (v) => expect(v).toEqual([1, expect.any(Number)]),
  "`AutoModelForMultipleChoice`": (v) => expect(v).toEqual([1, 2]),
};

const folders = new Map<string, string>();
const labelsOf = (cls: string) => Object.keys(JSON.parse(readFileSync(`${folders.get(cls)}/config.json`, "utf8")).id2label).length;
let quiet: typeof console.warn;

beforeAll(async () => {
  for (const cls of new Set(Object.values(MODELS))) folders.set(cls, await syntheticModel(cls));
  // Loading a head's checkpoint as the base model warns about its unused head weights, as HF does; not this test's point.
  quiet = console.warn;
  console.warn = () => {};
}, 60_000);
afterAll(() => {
  console.warn = quiet;
});

const AsyncFunction = (async () => {}).constructor as new (...args: string[]) => (...args: unknown[]) => Promise<unknown>;

/** Runs a cell: its statements, then returns its last expression. `tokenizer` is that model's AutoTokenizer. */
async function runCell(code: string): Promise<unknown> {
  let ids = 0;
  const local = code.replace(/"([\w.-]+\/[\w.-]+)"/g, (all, id: string) => {
    const cls = MODELS[id];
    if (!cls) throw new Error(`the table uses hub id "${id}", which this test has no fixture for (add it to MODELS)`);
    ids++;
    return JSON.stringify(folders.get(cls));
  });
  expect(ids, "the cell loads a model").toBeGreaterThan(0);
  const statements = local.split("; ");
  const body = [...statements.slice(0, -1), `return (${statements.at(-1)});`].join(";\n");
  const model = /from_pretrained\("([^"]+)"\)|pipeline\("[^"]+", "([^"]+)"\)/.exec(local)!;
  const tokenizer = await heads.AutoTokenizer.from_pretrained(model[1] ?? model[2]);
  const names = Object.keys(heads);
  const values = names.map((n) => (heads as Record<string, unknown>)[n]);
  // The AutoTokenizer row declares its own `tokenizer`.
  if (/\bconst tokenizer\b/.test(local)) return new AsyncFunction(...names, body)(...values);
  return new AsyncFunction(...names, "tokenizer", body)(...values, tokenizer);
}

describe("README: the transformers.js / HF Python → deberta-js table", () => {
  const rows = tableRows();

  it("has a row for each of the six tasks and each Auto class, and a check for each row", () => {
    const names = rows.map((r) => r.name);
    for (const task of heads.TASKS.filter((t) => t !== "sentiment-analysis" && t !== "ner")) {
      expect(names.some((n) => n.startsWith(`\`${task}\``)), task).toBe(true);
    }
    for (const cls of ["AutoTokenizer", "AutoConfig", "AutoModel", "AutoModelForMaskedLM", "AutoModelForSequenceClassification", "AutoModelForTokenClassification", "AutoModelForQuestionAnswering", "AutoModelForMultipleChoice"]) {
      expect(names.some((n) => n.startsWith(`\`${cls}\``)), cls).toBe(true);
    }
    expect(names.sort()).toEqual(Object.keys(CHECKS).sort());
  });

  for (const row of rows) {
    it(`${row.name}: ${row.code.length > 90 ? `${row.code.slice(0, 89)}…` : row.code}`, async () => {
      const check = CHECKS[row.name];
      expect(check, `no check for the README row ${row.name}`).toBeDefined();
      check(await runCell(row.code));
    });
  }
});
