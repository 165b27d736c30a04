// Child process of streaming-memory.test.ts: loads a model folder with the CPU backend and prints its peak RSS.
// Run in its own process (bundled by esbuild from the sources) so the RSS is this load's alone.
import { CpuBackend } from "@deberta-js/backend-cpu";
import { directoryFiles } from "@deberta-js/core/node";
import { DebertaV2Model, urlFiles } from "@deberta-js/core";

const [dir, dtype] = process.argv.slice(2);
// an http(s) URL: the folder served over HTTP, read with Range requests (the browser path, `urlFiles`)
const files = /^https?:/.test(dir) ? urlFiles(dir) : directoryFiles(dir);
// Node's fetch (undici) loads lazily on first use: part of the runtime, like the JS engine, so in the baseline.
if (/^https?:/.test(dir)) await files.read("config.json");
const baseline = process.memoryUsage().rss;
const model = await DebertaV2Model.fromPretrained(files, { backend: new CpuBackend(), dtype: dtype as "f32" | "f16", precompute: false });
const peak = process.resourceUsage().maxRSS * 1024;
const resident = model.residentWeightBytes; // weights only: precompute is off, the forward adds its caches
const out = await model.forward({ input_ids: [[1, 5, 9, 2]] });
const hidden = await out.last_hidden_state.data();
process.stdout.write(JSON.stringify({ baseline, peak, resident, heapUsed: process.memoryUsage().heapUsed, outputs: hidden.length }) + "\n");
