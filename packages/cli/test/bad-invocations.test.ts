// Issue 13: a table of bad CLI invocations across every command. Each must exit non-zero with one typed line on
// stderr (`deberta-js: …`), no stack trace, nothing on stdout and no --output/--out file left behind. Runs the
// built dist/bin.js with the hub pointed at a closed local port (no network) and HF_HUB_OFFLINE unset.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticModel } from "../../heads/test/synthetic.js";

const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
const FIX = fileURLToPath(new URL("../../../fixtures/", import.meta.url));
const TINY = join(FIX, "models/tiny-v3");
const TOK = join(FIX, "tokenizer/spm-lower-punct");
const tmp = mkdtempSync(join(tmpdir(), "deberta-cli-bad-"));
const T = (name: string) => join(tmp, name);
let CLS = "";
let MLM = "";
let QA = "";
let MC = "";

interface Case {
  name: string;
  args: () => string[];
  stdin?: string | Buffer;
  /** The stderr line must match this (the typed part of the message). */
  expect: RegExp;
  /** Output path that must not exist afterwards. */
  out?: () => string;
}

function cli(args: string[], stdin: string | Buffer = ""): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, HF_ENDPOINT: "http://127.0.0.1:9", HF_HUB_CACHE: T("cache"), HF_HOME: T("home"), DEBERTA_JS_DEBUG: undefined };
    delete env.HF_TOKEN;
    delete env.HF_HUB_OFFLINE;
    const p = spawn(process.execPath, [BIN, ...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.stdin.on("error", () => {});
    p.stdin.end(stdin);
    const timer = setTimeout(() => p.kill("SIGKILL"), 20_000);
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

const cases: Case[] = [];
const add = (name: string, args: () => string[], expect: RegExp, extra: Partial<Case> = {}) => cases.push({ name, args, expect, ...extra });

beforeAll(async () => {
  CLS = await syntheticModel("DebertaV2ForSequenceClassification");
  MLM = await syntheticModel("DebertaV2ForMaskedLM");
  QA = await syntheticModel("DebertaV2ForQuestionAnswering");
  MC = await syntheticModel("DebertaV2ForMultipleChoice");
  writeFileSync(T("jobs.jsonl"), '{"id": 1, "inputs": "hello"}\n');
  writeFileSync(T("jobs-bin.jsonl"), Buffer.concat([Buffer.from('{"id": 1, "inputs": "'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}\n')]));
  writeFileSync(T("strings-bin.json"), Buffer.concat([Buffer.from('["ok", "'), Buffer.from([0xc3, 0x28, 0xa0]), Buffer.from('"]')]));
  writeFileSync(T("ids.json"), JSON.stringify({ input_ids: [[1, 5, 9, 2]] }));
  writeFileSync(T("garbage.json"), "{not json");
  writeFileSync(T("empty.json"), "");
  writeFileSync(T("ids-float.json"), JSON.stringify({ input_ids: [[1, 5.5, 2]] }));
  writeFileSync(T("ids-neg.json"), JSON.stringify({ input_ids: [[1, -5, 2]] }));
  writeFileSync(T("ids-big.json"), JSON.stringify({ input_ids: [[1, 999999, 2]] }));
  writeFileSync(T("ids-ragged.json"), JSON.stringify({ input_ids: [[1, 5, 2], [1, 2]] }));
  writeFileSync(T("ids-null.json"), JSON.stringify({ input_ids: null }));
  writeFileSync(T("ids-mask.json"), JSON.stringify({ input_ids: [[1, 5, 2]], attention_mask: [[1, 1]] }));
  writeFileSync(T("ids-str.json"), JSON.stringify({ input_ids: [["a", "b"]] }));
  writeFileSync(T("list-num.json"), JSON.stringify([1, 2, 3]));
  writeFileSync(T("lines.txt"), "hello\n");
  writeFileSync(T("bin.dat"), new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0xc3]));
  for (const [name, files] of Object.entries({
    "no-config": { "model.safetensors": join(TINY, "model.safetensors") },
    "no-weights": { "config.json": join(TINY, "config.json") },
  })) {
    mkdirSync(T(name));
    for (const [f, src] of Object.entries(files)) copyFileSync(src, join(T(name), f));
  }
  mkdirSync(T("bad-config"));
  writeFileSync(join(T("bad-config"), "config.json"), "[1,2");
  copyFileSync(join(TINY, "model.safetensors"), join(T("bad-config"), "model.safetensors"));
  mkdirSync(T("trunc-weights"));
  copyFileSync(join(TINY, "config.json"), join(T("trunc-weights"), "config.json"));
  writeFileSync(join(T("trunc-weights"), "model.safetensors"), new Uint8Array(100));
  mkdirSync(T("empty-dir"));
  mkdirSync(T("no-tokenizer"));
  copyFileSync(join(TINY, "heads/DebertaV2ForSequenceClassification/config.json"), join(T("no-tokenizer"), "config.json"));
  copyFileSync(join(TINY, "heads/DebertaV2ForSequenceClassification/model.safetensors"), join(T("no-tokenizer"), "model.safetensors"));
  mkdirSync(T("bad-tokenizer"));
  writeFileSync(join(T("bad-tokenizer"), "tokenizer.json"), '{"model": 5}');
  mkdirSync(T("bad-layer-norm"));
  writeFileSync(join(T("bad-layer-norm"), "config.json"), JSON.stringify({ ...JSON.parse(readFileSync(join(TINY, "config.json"), "utf8")), layer_norm_eps: -1 }));
  copyFileSync(join(TINY, "model.safetensors"), join(T("bad-layer-norm"), "model.safetensors"));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ── global ──────────────────────────────────────────────────────────────────────────────────────────────────
add("unknown command", () => ["frobnicate"], /unknown command/);
add("unknown global flag", () => ["--frob"], /unknown option/);
// (no command: commander prints the help on stderr and exits 1 — checked separately below)
// ── forward ─────────────────────────────────────────────────────────────────────────────────────────────────
add("forward: missing --inputs", () => ["forward", "--model", TINY], /required option '--inputs/);
add("forward: missing --model", () => ["forward", "--inputs", T("ids.json")], /required option '--model/);
add("forward: model folder does not exist", () => ["forward", "--model", T("nope"), "--inputs", T("ids.json")], /nope|not found|no such/i);
add("forward: inputs file does not exist", () => ["forward", "--model", TINY, "--inputs", T("nope.json")], /nope\.json/);
add("forward: inputs not JSON", () => ["forward", "--model", TINY, "--inputs", T("garbage.json")], /garbage\.json|JSON/);
add("forward: inputs empty file", () => ["forward", "--model", TINY, "--inputs", T("empty.json")], /empty\.json|JSON|empty/i);
add("forward: input_ids null", () => ["forward", "--model", TINY, "--inputs", T("ids-null.json")], /input_ids/);
add("forward: fractional id", () => ["forward", "--model", TINY, "--inputs", T("ids-float.json")], /input_ids|integer/);
add("forward: negative id", () => ["forward", "--model", TINY, "--inputs", T("ids-neg.json")], /input_ids|-5/);
add("forward: id ≥ vocab_size", () => ["forward", "--model", TINY, "--inputs", T("ids-big.json")], /999999|vocab/);
add("forward: ragged rows", () => ["forward", "--model", TINY, "--inputs", T("ids-ragged.json")], /input_ids|ragged|length/);
add("forward: attention_mask shape mismatch", () => ["forward", "--model", TINY, "--inputs", T("ids-mask.json")], /attention_mask/);
add("forward: string ids", () => ["forward", "--model", TINY, "--inputs", T("ids-str.json")], /input_ids/);
add("forward: unknown backend", () => ["forward", "--model", TINY, "--inputs", T("ids.json"), "--backend", "tpu"], /tpu/);
add("forward: unknown dtype", () => ["forward", "--model", TINY, "--inputs", T("ids.json"), "--dtype", "fp8"], /fp8/);
add("forward: unknown class", () => ["forward", "--model", TINY, "--inputs", T("ids.json"), "--class", "Nope"], /Nope/);
add("forward: missing variant", () => ["forward", "--model", TINY, "--inputs", T("ids.json"), "--variant", "q3"], /q3/);
add("forward: folder without config.json", () => ["forward", "--model", T("no-config"), "--inputs", T("ids.json")], /config\.json/);
add("forward: folder without weights", () => ["forward", "--model", T("no-weights"), "--inputs", T("ids.json")], /weights|safetensors|pytorch_model/i);
add("forward: config.json not JSON", () => ["forward", "--model", T("bad-config"), "--inputs", T("ids.json")], /config\.json/);
add("forward: truncated safetensors", () => ["forward", "--model", T("trunc-weights"), "--inputs", T("ids.json")], /model\.safetensors/);
add("forward: negative layer_norm_eps", () => ["forward", "--model", T("bad-layer-norm"), "--inputs", T("ids.json")], /layer_norm_eps/);
add("forward: --from-tf without tf_model.h5", () => ["forward", "--model", TINY, "--inputs", T("ids.json"), "--from-tf"], /tf_model\.h5/);
add("forward: hub id unreachable", () => ["forward", "--model", "org/does-not-exist", "--inputs", T("ids.json")], /does-not-exist|hub|fetch|connect/i);
// ── info ────────────────────────────────────────────────────────────────────────────────────────────────────
add("info: missing --model", () => ["info"], /required option '--model/);
add("info: empty folder", () => ["info", "--model", T("empty-dir")], /config\.json/);
add("info: unknown --load backend", () => ["info", "--model", TINY, "--load", "tpu"], /tpu/);
add("info: 300-char revision", () => ["info", "--model", "org/repo", "--revision", "r".repeat(300)], /revision/);
add("info: bad backend", () => ["info", "--model", TINY, "--backend", "quantum"], /quantum/);
// ── bench ───────────────────────────────────────────────────────────────────────────────────────────────────
add("bench: neither --model nor --config", () => ["bench"], /--model|--config/);
add("bench: --batch 0", () => ["bench", "--model", TINY, "--batch", "0"], /--batch/);
add("bench: --seq -4", () => ["bench", "--model", TINY, "--seq", "-4"], /--seq/);
add("bench: --runs NaN", () => ["bench", "--model", TINY, "--runs", "abc"], /--runs/);
add("bench: --warmup 1.5", () => ["bench", "--model", TINY, "--warmup", "1.5"], /--warmup/);
add("bench: --threads 0", () => ["bench", "--model", TINY, "--threads", "0"], /--threads/);
add("bench: unknown peer", () => ["bench", "--model", TINY, "--peer", "tvm"], /tvm|--peer/);
add("bench: --interleave without a peer", () => ["bench", "--model", TINY, "--interleave"], /--interleave needs --peer/);
add("bench: --interleave with --isolate", () => ["bench", "--model", TINY, "--peer", "ort-node", "--interleave", "--isolate"], /--interleave.*--isolate/);
add("bench: --config garbage", () => ["bench", "--config", T("garbage.json")], /garbage\.json|config/);
add("bench: --seq beyond the cap", () => ["bench", "--model", TINY, "--seq", "100000"], /100000|8192|sequence|--seq/i);
// ── run ─────────────────────────────────────────────────────────────────────────────────────────────────────
add("run: missing --task", () => ["run", "--model", CLS, "hi"], /--task/);
add("run: unknown task", () => ["run", "--task", "summarization", "--model", CLS, "hi"], /summarization/);
add("run: bad --format", () => ["run", "--task", "text-classification", "--model", CLS, "--format", "xml", "hi"], /xml|--format/);
add("run: --input missing file", () => ["run", "--task", "text-classification", "--model", CLS, "--input", T("nope.txt")], /nope\.txt/);
add("run: --input binary garbage", () => ["run", "--task", "text-classification", "--model", CLS, "--input", T("bin.dat")], /bin\.dat.*UTF-8/);
add("run: stdin not UTF-8", () => ["run", "--task", "text-classification", "--model", CLS], /stdin.*UTF-8/, { stdin: Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]) });
add("run: empty stdin", () => ["run", "--task", "text-classification", "--model", CLS], /stdin had no input lines/, { stdin: "\n \n" });
add("run: --top-k -1", () => ["run", "--task", "text-classification", "--model", CLS, "--top-k", "-1", "hi"], /top-k|top_k/);
add("run: --top-k NaN", () => ["run", "--task", "text-classification", "--model", CLS, "--top-k", "many", "hi"], /top-k|top_k/);
add("run: --batch-size 0", () => ["run", "--task", "text-classification", "--model", CLS, "--batch-size", "0", "hi"], /batch-size|batch_size/);
add("run: --function-to-apply bad", () => ["run", "--task", "text-classification", "--model", CLS, "--function-to-apply", "relu", "hi"], /relu|function/);
add("run: zero-shot without labels", () => ["run", "--task", "zero-shot-classification", "--model", CLS, "hi"], /candidate.labels/i);
add("run: question-answering without context", () => ["run", "--task", "question-answering", "--model", QA, "who?"], /context/);
add("run: multiple-choice without choices", () => ["run", "--task", "multiple-choice", "--model", MC, "pick"], /choices/);
add("run: a bad line 2 prints nothing for line 1", () => ["run", "--task", "question-answering", "--model", QA], /line 2.*context/, { stdin: "who?\tthe cat\nno context here\n" });
add("run: fill-mask without [MASK]", () => ["run", "--task", "fill-mask", "--model", MLM, "no mask here"], /MASK|mask/);
add("run: token-classification bad aggregation", () => ["run", "--task", "ner", "--model", CLS, "--aggregation-strategy", "median", "hi"], /median|aggregation/);
add("run: --stride -2", () => ["run", "--task", "ner", "--model", CLS, "--stride", "-2", "hi"], /stride/);
add("run: --max-answer-len 0", () => ["run", "--task", "question-answering", "--model", QA, "--context", "c", "--max-answer-len", "0", "q"], /max.answer.len/i);
add("run: model folder lacks a tokenizer", () => ["run", "--task", "text-classification", "--model", T("no-tokenizer"), "hi"], /tokenizer/);
add("run: failed run leaves no --output", () => ["run", "--task", "summarization", "--model", CLS, "--output", T("run-out.jsonl"), "hi"], /summarization/, { out: () => T("run-out.jsonl") });
add("run: bad model leaves no --output", () => ["run", "--task", "text-classification", "--model", T("trunc-weights"), "--output", T("run-out2.jsonl"), "hi"], /.+/, { out: () => T("run-out2.jsonl") });
add("run: --output into a missing folder", () => ["run", "--task", "text-classification", "--model", CLS, "--output", T("no/such/dir/out.jsonl"), "hi"], /out\.jsonl|no\/such/);
add("run: --dtype bf16 on cpu", () => ["run", "--task", "text-classification", "--model", CLS, "--backend", "cpu", "--dtype", "bf16", "hi"], /bf16/);
// ── tokenize ────────────────────────────────────────────────────────────────────────────────────────────────
add("tokenize: neither --text nor --inputs", () => ["tokenize", "--model", TOK], /--text|--inputs/);
add("tokenize: --pair without --text", () => ["tokenize", "--model", TOK, "--pair", "x"], /--pair|--text/);
add("tokenize: --inputs not a list of strings", () => ["tokenize", "--model", TOK, "--inputs", T("list-num.json")], /list-num\.json|string/);
add("tokenize: --inputs not UTF-8", () => ["tokenize", "--model", TOK, "--inputs", T("strings-bin.json")], /strings-bin\.json.*UTF-8/);
add("tokenize: --max-length -3", () => ["tokenize", "--model", TOK, "--text", "hi", "--max-length", "-3"], /max.length/i);
add("tokenize: --max-length NaN", () => ["tokenize", "--model", TOK, "--text", "hi", "--max-length", "x"], /max.length/i);
add("tokenize: bad --truncation", () => ["tokenize", "--model", TOK, "--text", "hi", "--truncation", "sometimes"], /sometimes|truncation/);
add("tokenize: bad --padding", () => ["tokenize", "--model", TOK, "--text", "hi", "--padding", "left"], /left|padding/);
add("tokenize: bad --offsets-unit", () => ["tokenize", "--model", TOK, "--text", "hi", "--offsets", "--offsets-unit", "bytes"], /bytes|offsets-unit/);
add("tokenize: folder without tokenizer files", () => ["tokenize", "--model", T("empty-dir"), "--text", "hi"], /tokenizer/);
add("tokenize: broken tokenizer.json", () => ["tokenize", "--model", T("bad-tokenizer"), "--text", "hi"], /tokenizer\.json/);
add("tokenize: --stride -1", () => ["tokenize", "--model", TOK, "--text", "hi", "--max-length", "8", "--stride", "-1"], /stride/);
// ── bench-tokenizer ─────────────────────────────────────────────────────────────────────────────────────────
add("bench-tokenizer: --bytes 0", () => ["bench-tokenizer", "--fixtures", join(FIX, "tokenizer"), "--bytes", "0"], /--bytes/);
add("bench-tokenizer: unknown --impl", () => ["bench-tokenizer", "--fixtures", join(FIX, "tokenizer"), "--impl", "magic"], /magic/);
add("bench-tokenizer: missing fixtures folder", () => ["bench-tokenizer", "--fixtures", T("nope")], /nope/);
// ── serve ───────────────────────────────────────────────────────────────────────────────────────────────────
add("serve: --port 70000", () => ["serve", "--model", CLS, "--port", "70000"], /port/);
add("serve: --port abc", () => ["serve", "--model", CLS, "--port", "abc"], /port/);
add("serve: --max-batch-tokens 0", () => ["serve", "--model", CLS, "--max-batch-tokens", "0"], /max-batch-tokens/);
add("serve: --request-timeout -5", () => ["serve", "--model", CLS, "--request-timeout", "-5"], /request-timeout/);
add("serve: unknown task", () => ["serve", "--model", CLS, "--task", "translation"], /translation/);
add("serve: missing model folder", () => ["serve", "--model", T("nope"), "--port", "0"], /nope/);
// ── enqueue / worker / collect ──────────────────────────────────────────────────────────────────────────────
add("enqueue: missing --redis", () => ["enqueue", "--queue", "q", "--input", T("lines.txt")], /--redis/);
add("enqueue: bad --redis URL", () => ["enqueue", "--redis", "not a url", "--queue", "q", "--input", T("jobs.jsonl")], /redis/i);
add("enqueue: Redis not listening", () => ["enqueue", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--input", T("jobs.jsonl")], /cannot reach Redis at 127\.0\.0\.1:9/);
add("enqueue: password never echoed", () => ["enqueue", "--redis", "redis://u:hunter2@127.0.0.1:9/db", "--queue", "q", "--input", T("jobs.jsonl")], /^(?!.*hunter2).*database/);
add("collect: Redis not listening", () => ["collect", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--batch", "b", "--output", T("c2.jsonl")], /cannot reach Redis/, { out: () => T("c2.jsonl") });
add("enqueue: input not UTF-8", () => ["enqueue", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--input", T("jobs-bin.jsonl")], /jobs-bin\.jsonl.*UTF-8/);
add("enqueue: --chunk-size 0", () => ["enqueue", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--input", T("lines.txt"), "--chunk-size", "0"], /chunk-size/);
add("enqueue: --parameters not JSON", () => ["enqueue", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--input", T("lines.txt"), "--parameters", "{x"], /parameters/);
add("enqueue: input lines not {id, inputs}", () => ["enqueue", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--input", T("lines.txt")], /lines\.txt|line 1/);
add("worker: --batch-size -1", () => ["worker", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--model", CLS, "--batch-size", "-1"], /batch-size/);
add("collect: --timeout NaN", () => ["collect", "--redis", "redis://127.0.0.1:9", "--queue", "q", "--batch", "b", "--output", T("c.jsonl"), "--timeout", "soon"], /timeout/, { out: () => T("c.jsonl") });
// ── convert / quantize ──────────────────────────────────────────────────────────────────────────────────────
add("convert: unknown --from", () => ["convert", "--from", "onnx", "--model", TINY, "--out", T("conv1")], /onnx/, { out: () => T("conv1") });
add("convert: folder without tf_model.h5", () => ["convert", "--from", "tf", "--model", TINY, "--out", T("conv2")], /tf_model\.h5/, { out: () => T("conv2") });
add("convert: bad --dtype", () => ["convert", "--from", "tf", "--model", TINY, "--out", T("conv3"), "--dtype", "int4"], /int4|dtype/, { out: () => T("conv3") });
add("quantize: unknown --to", () => ["quantize", "--model", TINY, "--to", "int3", "--out", T("q1")], /int3/, { out: () => T("q1") });
add("quantize: missing --out", () => ["quantize", "--model", TINY, "--to", "nf4"], /--out/);
add("quantize: neither --to nor --quantize-embeddings", () => ["quantize", "--model", TINY, "--out", T("q3")], /--to.*--quantize-embeddings/, { out: () => T("q3") });
add("quantize: broken weights", () => ["quantize", "--model", T("trunc-weights"), "--to", "nf4", "--out", T("q2")], /model\.safetensors/, { out: () => T("q2") });

describe(`CLI: ${cases.length} bad invocations → non-zero exit, one typed line, nothing on stdout`, () => {
  it.concurrent.each(cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const r = await cli(c.args(), c.stdin);
    const lines = r.stderr.trim().split("\n").filter((l) => l.trim() && !/^\[progress\]|^Downloading|^\s*$/.test(l));
    const summary = `code=${r.code}\nstdout=${r.stdout.slice(0, 300)}\nstderr=${r.stderr.slice(0, 600)}`;
    expect(r.code, summary).not.toBe(0);
    expect(r.code, summary).not.toBe(null);
    expect(r.stdout, summary).toBe("");
    expect(r.stderr, summary).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(r.stderr, summary).not.toMatch(/this is a bug in deberta-js/);
    expect(lines.at(-1) ?? "", summary).toMatch(/^deberta-js: /);
    expect(lines.at(-1) ?? "", summary).toMatch(c.expect);
    if (c.out) expect(existsSync(c.out()), `${c.out()} left behind`).toBe(false);
  }, 60_000);
});
it("no command at all: the help on stderr, exit 1, nothing on stdout", async () => {
  const r = await cli([]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^Usage: deberta-js/);
});
