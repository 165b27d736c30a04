// Public API of weight loading (browser-safe: reads through `ModelFiles`, imports nothing from `node:*`).
export type { HostTensor, StateDict, SourceDType, HostDType } from "./state-dict.js";
export { castHostTensor, hostTensorToF32, numelOf } from "./state-dict.js";
export type { SafetensorsFile, SafetensorsHeader, SafetensorsEntry, RawTensor, ParseOptions } from "./safetensors.js";
export { parseSafetensors, writeSafetensors, readSafetensors, readSafetensorsHeader, MAX_HEADER_BYTES } from "./safetensors.js";
export type { TorchCheckpoint } from "./torch-pickle.js";
export { parseTorchCheckpoint, readTorchCheckpoint } from "./torch-pickle.js";
export type { ResolveOptions, ResolvedWeights, WeightFormat } from "./resolve.js";
export { resolveWeightFiles, addVariant } from "./resolve.js";
export type { LoadProgress, LoadStateDictOptions, LoadedStateDict } from "./load.js";
export { loadStateDict } from "./load.js";
export type { WeightStoreOptions, FinishOptions, FinishReport } from "./store.js";
export { WeightStore } from "./store.js";
export type { ByteSource } from "./source.js";
export { bytesSource, openSource } from "./source.js";
export type { PretrainedFileOptions } from "./save.js";
export { pretrainedFiles, savePretrained } from "./save.js";
