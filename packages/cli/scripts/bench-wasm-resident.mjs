#!/usr/bin/env node
/**
 * A/B benchmark of the WASM kernel set's two operand paths, interleaved in one process so machine noise hits both
 * alike: "resident" (tensor storage in shared linear memory, kernels take it by address) against "copy" (every
 * operand copied into linear memory and every result out, per call — what the non-shared `-st` modules do). Also
 * reports the time the copy path spends in its per-call copies and allocations, the process CPU time per pass (all
 * threads: less disturbed than wall time on a busy machine), and the WASM heap in use after each pass (constant: no
 * leak). Prints one JSON object on stdout.
 *
 * Usage (after `pnpm build`): node packages/cli/scripts/bench-wasm-resident.mjs --model DIR [--threads 2] [--batch 1]
 *   [--seq 128] [--runs 20] [--warmup 3]
 */
import { parseArgs } from "node:util";
import { DebertaV2Model } from "@deberta-js/core";
import { directoryFiles } from "@deberta-js/core/node";
import { CompiledCpuBackend } from "@deberta-js/backend-cpu";
import { loadWasmKernels } from "../../backend-cpu/dist/wasm.js";

const { values: o } = parseArgs({
  options: { model: { type: "string" }, threads: { type: "string", default: "2" }, batch: { type: "string", default: "1" }, seq: { type: "string", default: "128" }, runs: { type: "string", default: "20" }, warmup: { type: "string", default: "3" } },
});
if (!o.model) throw new Error("--model DIR is required");
const threads = +o.threads, batch = +o.batch, seq = +o.seq, runs = +o.runs, warmup = +o.warmup;

/** Wraps the copy path's per-call helpers of a WASM kernel set to sum their time. */
function meterCopies(kernels) {
  const meter = { ms: 0 };
  for (const name of ["put", "out", "get", "free"]) {
    const f = kernels[name];
    kernels[name] = function (...a) {
      const t0 = performance.now();
      try {
        return f.apply(this, a);
      } finally {
        meter.ms += performance.now() - t0;
      }
    };
  }
  return meter;
}

const sides = {};
for (const resident of [true, false]) {
  const k = await loadWasmKernels(threads, { resident });
  if (typeof k === "string") throw new Error(k);
  const backend = new CompiledCpuBackend(k);
  const model = await DebertaV2Model.fromPretrained(directoryFiles(o.model), { backend });
  sides[resident ? "resident" : "copy"] = { kernels: k, backend, model, meter: meterCopies(k), times: [], copyMs: [], cpuMs: [], heap: [] };
}
const vocab = sides.copy.model.config.vocab_size;
const ids = Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, i) => (1 + ((b * 7919 + i * 104729) % (vocab - 1)))));

async function pass(s, record) {
  s.meter.ms = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await s.model.forward({ input_ids: ids });
  const data = await out.last_hidden_state.data();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  out.last_hidden_state.dispose();
  if (record) {
    s.times.push(ms);
    s.copyMs.push(s.meter.ms);
    s.cpuMs.push((c.user + c.system) / 1000);
    if (s.kernels.heap) s.heap.push(s.kernels.heap.inUseBytes);
  }
  return data;
}

const a = await pass(sides.resident, false);
const b = await pass(sides.copy, false);
let maxDiff = 0;
for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
for (let i = 1; i < warmup; i++) for (const s of Object.values(sides)) await pass(s, false);
for (let i = 0; i < runs; i++) {
  const order = i % 2 ? ["copy", "resident"] : ["resident", "copy"];
  for (const name of order) await pass(sides[name], true);
}
const median = (x) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)];
const r2 = (x) => Math.round(x * 100) / 100;
const report = { kernel_set: sides.copy.kernels.name, threads, batch, seq, runs, max_abs_diff: maxDiff };
for (const [name, s] of Object.entries(sides)) {
  report[name] = { ms_median: r2(median(s.times)), ms_min: r2(Math.min(...s.times)), copy_ms_median: r2(median(s.copyMs)), cpu_ms_median: r2(median(s.cpuMs)) };
  if (s.heap.length) report[name].heap_in_use_bytes = { first: s.heap[0], last: s.heap[s.heap.length - 1], max: Math.max(...s.heap) };
}
report.speedup_copy_over_resident = r2(report.copy.ms_median / report.resident.ms_median);
// each copy pass against the resident pass next to it: drift of the machine's load cancels pair by pair
report.paired_ratio_median = r2(median(sides.copy.times.map((t, i) => t / sides.resident.times[i])));
for (const s of Object.values(sides)) s.model.dispose();
console.log(JSON.stringify(report, null, 2));
