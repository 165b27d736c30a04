// Child process of quantized-streaming-memory.test.ts: loads a model folder with a quantized dtype on the CPU
// backend and prints its peak RSS. "stream": `fromPretrained` (each Linear weight quantized as it is read);
// "whole": the previous way, the whole state dict in memory first (`loadStateDict` + `fromStateDict`), for comparison.
import { CpuBackend } from "@deberta-js/backend-cpu";
import { directoryFiles } from "@deberta-js/core/node";
import { DebertaV2Model, loadConfig, loadStateDict, modelDType } from "@deberta-js/core";

const [dir, dtype, mode] = process.argv.slice(2);
const files = directoryFiles(dir);
const baseline = process.memoryUsage().rss;
const backend = new CpuBackend();
let model: DebertaV2Model;
if (mode === "whole") {
  const { compute, quantize } = modelDType(dtype);
  const config = await loadConfig(files);
  const { stateDict } = await loadStateDict(files, { dtype: compute });
  model = DebertaV2Model.fromStateDict(config, stateDict, { backend, dtype: compute, quantize });
} else {
  model = await DebertaV2Model.fromPretrained(files, { backend, dtype, precompute: false });
}
const peak = process.resourceUsage().maxRSS * 1024;
const resident = model.residentWeightBytes;
const out = await model.forward({ input_ids: [[1, 5, 9, 2]] });
const hidden = await out.last_hidden_state.data();
process.stdout.write(JSON.stringify({ baseline, peak, resident, outputs: hidden.length }) + "\n");
