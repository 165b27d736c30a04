/**
 * Where a model's files come from: a local folder, a `ModelFiles` you built, or a Hugging Face hub repo id.
 *
 * Browser-safe entry: nothing here imports `node:*` at module top level. In Node the hub cache (Python
 * `huggingface_hub`'s layout, shared with Python) is loaded through a guarded dynamic `import()` of `node-hub.js`;
 * in browsers files are fetched and kept in Cache Storage (`browser.ts`). See README.md in this folder.
 */
import { DebertaError, isModelFiles, type ModelFiles } from "@deberta-js/core";
import { isNode, type HubOptions } from "./common.js";
import { resolveBrowserModelFiles } from "./browser.js";

export type { HubOptions, HubProgress, HubModelFiles, HubErrorReason } from "./common.js";
export { HubError, hubFileUrl, repoInfoUrl, DEFAULT_ENDPOINT, DEFAULT_REVISION } from "./common.js";
export type { CachePaths } from "./paths.js";
export { cachePaths, hubCacheDir, repoFolderName } from "./paths.js";
export type { BrowserHubOptions } from "./browser.js";
export { resolveBrowserModelFiles, BROWSER_CACHE_NAME } from "./browser.js";

type NodeHub = typeof import("./node-hub.js");
let nodeHub: Promise<NodeHub> | undefined;

/**
 * The Node implementation, through the package's own `./hub-node` export (so it resolves the same from built
 * files and from sources under vitest). The specifier is not a literal, so browser bundlers leave it (and
 * `node:*`) alone.
 */
function loadNodeHub(): Promise<NodeHub> {
  const spec = "@deberta-js/heads/hub-node";
  nodeHub ??= import(/* @vite-ignore */ /* webpackIgnore: true */ spec) as Promise<NodeHub>;
  return nodeHub;
}

/**
 * Model files from
 *  - a `ModelFiles` object: returned as is;
 *  - (Node) a path to an existing folder: that folder;
 *  - a hub repo id such as `microsoft/deberta-v3-base` (at `opts.revision`, default "main"): Node shares Python's
 *    hub cache (`$HF_HUB_CACHE`, `$HF_HOME/hub`, `~/.cache/huggingface/hub`); browsers use Cache Storage.
 *
 * Hub files are downloaded lazily, one at a time, when first read: `list()`/`has()` answer from the repo's file
 * list, so only the files a loader actually reads (config, the chosen weights, tokenizer files) are fetched. A
 * cached revision is used without any network request. Failures throw `HubError` (a `WeightsError`, code
 * FILE_NOT_FOUND) naming the repo, revision and file.
 */
export async function resolveModelFiles(idOrPath: string | ModelFiles, opts: HubOptions = {}): Promise<ModelFiles> {
  if (typeof idOrPath !== "string") {
    if (isModelFiles(idOrPath)) return idOrPath;
    throw new DebertaError("INPUT_INVALID", "resolveModelFiles: expected a folder path, a hub repo id or a ModelFiles object");
  }
  if (isNode()) return (await loadNodeHub()).resolveNodeModelFiles(idOrPath, opts);
  return resolveBrowserModelFiles(idOrPath, opts);
}
