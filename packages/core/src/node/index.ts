// @deberta-js/core/node — Node-only helpers (file system access).
export { directoryFiles } from "./files.js";
export { loadStateDictFromDirectory, writeSafetensorsFile } from "./weights.js";
export { writeRandomCheckpoint, parameterSpecs } from "./random-checkpoint.js";
export type { RandomCheckpointFormat, RandomCheckpointOptions, ParamSpec } from "./random-checkpoint.js";
export { writeModelFolder } from "./save.js";
export { serveFolder, type ServedFolder, type ServeFolderOptions } from "./serve-folder.js";
