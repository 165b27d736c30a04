// Child process of quantized-streaming-memory.test.ts: loads a model folder on the CPU backend and prints its peak
// RSS. "stream": `fromPretrained` (each Linear weight, the word-embedding table with `emb`, and each bitsandbytes
// module quantized/assembled as it is read); "whole": the previous way, the whole state dict in memory first
// (`loadStateDict` + `fromStateDict`), for comparison. Args: DIR DTYPE MODE [emb].
import { CpuBackend } from "@deberta-js/backend-cpu";
import { directoryFiles } from "@deberta-js/core/node";
import { DebertaV2Model, loadConfig, loadStateDict, modelDType } from "@deberta-js/core";

const [dir, dtype, mode, emb] = process.argv.slice(2);
const quantizeEmbeddings = emb === "emb";
const files = directoryFiles(dir);
const baseline = process.memoryUsage().rss;
const backend = new CpuBackend();
let model: DebertaV2Model;
if (mode === "whole") {
  const { compute, quantize } = modelDType(dtype);
  const config = await loadConfig(files);
  const { stateDict } = await loadStateDict(files, { dtype: compute });
  model = DebertaV2Model.fromStateDict(config, stateDict, { backend, dtype: compute, quantize, quantizeEmbeddings });
} else {
  model = await DebertaV2Model.fromPretrained(files, { backend, dtype, precompute: false, quantize_embeddings: quantizeEmbeddings });
}
const peak = process.resourceUsage().maxRSS * 1024;
const resident = model.residentWeightBytes;
const out = await model.forward({ input_ids: [[1, 5, 9, 2]] });
const hidden = await out.last_hidden_state.data();
process.stdout.write(JSON.stringify({ baseline, peak, resident, outputs: hidden.length }) + "\n");
