// Public API of weight loading (browser-safe: reads through `ModelFiles`, imports nothing from `node:*`).
export type { HostTensor, StateDict, SourceDType, HostDType } from "./state-dict.js";
export { castHostTensor, hostTensorToF32, numelOf } from "./state-dict.js";
export type { SafetensorsFile, SafetensorsHeader, SafetensorsEntry, RawTensor, ParseOptions } from "./safetensors.js";
export { parseSafetensors, writeSafetensors, readSafetensors, readSafetensorsHeader, MAX_HEADER_BYTES } from "./safetensors.js";
export type { TorchCheckpoint } from "./torch-pickle.js";
export { parseTorchCheckpoint, readTorchCheckpoint } from "./torch-pickle.js";
export type { ResolveOptions, ResolvedWeights, WeightFormat } from "./resolve.js";
export { resolveWeightFiles, addVariant, TF_WEIGHTS_NAME } from "./resolve.js";
export type { TfH5Weights, TfVariable, ReadTfH5Options } from "./tf-h5.js";
export { readTfH5, parseTfH5, MAX_H5_DATASET_BYTES } from "./tf-h5.js";
export type { TfNameMapping, TfTranspose } from "./tf-names.js";
export { tfToPtName, convertTfWeightName, tfWeightsToStateDict } from "./tf-names.js";
export type { LoadProgress, LoadStateDictOptions, LoadedStateDict } from "./load.js";
export { loadStateDict } from "./load.js";
export type { WeightStoreOptions, FinishOptions, FinishReport } from "./store.js";
export { WeightStore } from "./store.js";
export type { ByteSource } from "./source.js";
export { bytesSource, openSource } from "./source.js";
