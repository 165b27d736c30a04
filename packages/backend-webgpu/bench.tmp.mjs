import { DebertaV2Model, DebertaV2Config } from "@deberta-js/core";
import { readFileSync } from "node:fs";
import { createNodeWebGpuBackend } from "./dist/node.js";
const be = await createNodeWebGpuBackend();
const cfgPath = process.argv[2];
const B = +process.argv[3] || 1, L = +process.argv[4] || 128;
const config = new DebertaV2Config(JSON.parse(readFileSync(cfgPath, "utf8")));
let t = Date.now();
const model = DebertaV2Model.random(config, { backend: be });
const ids = Array.from({ length: B }, (_, b) => Array.from({ length: L }, (_, i) => 3 + ((b * L + i) * 7919) % 8000));
const times = [];
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  const out = await model.forward({ input_ids: ids });
  const d = await out.last_hidden_state.data();
  out.last_hidden_state.dispose();
  times.push(performance.now() - t0);
  if (r === 0) console.error("first run (incl. pipeline compiles)", times[0].toFixed(0), "ms; out", Array.from(d.slice(0, 4)));
}
times.sort((a, b) => a - b);
const med = times[2];
console.log(JSON.stringify({ median_ms: +med.toFixed(1), tokens_per_s: Math.round((B * L) / (med / 1000)), runs: times.map((x) => +x.toFixed(0)) }));
model.dispose(); be.destroy();
