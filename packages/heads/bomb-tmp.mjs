import { readFileSync } from "node:fs";
import { loadFastTokenizer } from "@deberta-js/tokenizer";
const gz = readFileSync(process.argv[2]);
const t0 = performance.now();
try { await loadFastTokenizer({ [process.argv[3] ?? "tokenizer.json.gz"]: gz }); console.log("loaded?!"); }
catch (e) { console.log(e.constructor.name, e.code, String(e.message).slice(0, 150)); }
console.log("ms", (performance.now() - t0).toFixed(0), "rss MiB", (process.memoryUsage().rss / 2 ** 20).toFixed(0));
