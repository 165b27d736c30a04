/**
 * A `tf_model.h5` as the streaming loader's tensor records (`stream.ts`), under PyTorch names. HDF5 needs the whole
 * file in memory (h5wasm reads from an in-memory file), so the variables are read and mapped up front, in a worker
 * (`tf-h5.ts`); each record then hands its tensor over once and drops it, so what the sink does not keep is freed
 * as loading goes on.
 */
import { WeightsError } from "../errors.js";
import type { ByteSource } from "./source.js";
import { castHostTensor, type HostTensor } from "./state-dict.js";
import type { FileRecords, TensorRecord } from "./tensor-records.js";
import { readTfH5 } from "./tf-h5.js";
import { tfWeightsToStateDict } from "./tf-names.js";

export async function tfRecords(src: ByteSource, file: string): Promise<FileRecords> {
  const weights = await readTfH5(src);
  const stateDict = tfWeightsToStateDict(weights, src.name);
  const records: TensorRecord[] = [];
  let offset = 0;
  for (const [name, tensor] of stateDict) {
    let held: HostTensor | undefined = tensor;
    offset = Math.min(src.size, offset + tensor.data.byteLength);
    records.push({
      name,
      file,
      dtype: "F32",
      shape: tensor.shape,
      fileOffsetAfter: offset,
      async read(target) {
        if (!held) throw new WeightsError(`${src.name}: tensor "${name}" was already read`);
        const t = castHostTensor(held, target);
        held = undefined;
        return t;
      },
    });
  }
  stateDict.clear();
  return { records };
}
