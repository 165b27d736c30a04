/**
 * The loading front door: every `fromPretrained`, `AutoModel*`, `AutoConfig`, `pipeline` and the CLI resolve their
 * options here, once. Documented names are Hugging Face's / transformers.js's (`device`, `dtype`, `revision`,
 * `cache_dir`, `token`, `local_files_only`, `progress_callback`); our earlier spellings are aliases. Defaults come
 * from the call, then `env`, then the built-in default.
 *
 * To add a loading option (e.g. `from_tf`), add its spec to `LOAD_OPTIONS` and its field to `LoadOptions` /
 * `ResolvedLoadOptions`; every entry point then accepts it. A new dtype name goes in `DTYPES`.
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { DebertaError, InputError } from "../errors.js";
import { parseModelDType } from "../quant/dtype.js";
import type { QuantMethod } from "../quant/quantized-weight.js";
import { getBackend } from "./backends.js";
import { env, warnSink } from "./env.js";
import { type OptionSpec, normalizeOptions } from "./names.js";

/**
 * Progress of loading, shaped like transformers.js's `progress_callback` events: `status` "progress" while a file
 * is read or downloaded (`progress` in percent), "done" when it is complete, and one "ready" when the model is
 * loaded. `phase` says where bytes come from: "download" (network), "cached" (HF cache), "load" (reading weights).
 */
export interface ProgressEvent {
  status: "progress" | "done" | "ready";
  phase: "download" | "cached" | "load" | "precompute" | "ready";
  /** The model id or folder. */
  name?: string;
  file: string;
  loaded: number;
  total: number;
  /** 0–100. */
  progress: number;
}

/** The loading options every entry point accepts (documented names first; aliases in the comments). */
export interface LoadOptions {
  /** Backend: a name ("cpu", "webgpu", "cuda"; "auto" = best available, "wasm" = "cpu", "gpu" = best GPU) or an instance. Alias `backend`. */
  device?: Backend | string;
  /** @deprecated spelling of `device`. */
  backend?: Backend | string;
  /**
   * Dtype: "fp32" (default), "fp16", "bf16" (CUDA) — see `DTYPES` — or a quantized dtype that quantizes the Linear
   * weights at load: "q8" ("int8"), "q4", "nf4" ("bnb4"), "fp4", and "q4f16" etc. computing in fp16. Alias `torch_dtype`.
   */
  dtype?: string;
  /** HF weight-file variant, e.g. "fp16" → `model.fp16.safetensors`. */
  variant?: string;
  /**
   * HF's `from_tf`: load TensorFlow's `tf_model.h5` even when PyTorch weights are present (without it, `tf_model.h5`
   * is used when it is the only weight file). The `TFDebertaV2*` classes default it to true. Alias `fromTf`.
   */
  from_tf?: boolean;
  /** @deprecated spelling of `from_tf`. */
  fromTf?: boolean;
  /** Hub revision: branch, tag or commit (default "main"). */
  revision?: string;
  /** HF cache folder (default `env.cacheDir`, `$HF_HUB_CACHE`, `$HF_HOME/hub` or `~/.cache/huggingface/hub`). Alias `cacheDir`. */
  cache_dir?: string;
  /** @deprecated spelling of `cache_dir`. */
  cacheDir?: string;
  /** Hub access token (default `$HF_TOKEN`). Alias `use_auth_token`. */
  token?: string;
  /** Hub endpoint (default `env.remoteHost`, `$HF_ENDPOINT` or https://huggingface.co). */
  endpoint?: string;
  /** Never use the network, only the cache and folders (also `env.allowRemoteModels = false`, `HF_HUB_OFFLINE=1`). Alias `localFilesOnly`. */
  local_files_only?: boolean;
  /** @deprecated spelling of `local_files_only`. */
  localFilesOnly?: boolean;
  /** A `fetch` for hub requests instead of the global one. */
  fetch?: typeof fetch;
  /** Loading progress, as transformers.js reports it. Alias `onProgress`. */
  progress_callback?: (event: ProgressEvent) => void;
  /** @deprecated spelling of `progress_callback`. */
  onProgress?: (event: ProgressEvent) => void;
  /** Receives loading warnings (unused or newly initialized weights). Default `env.warn`, else console.warn. */
  warn?: (message: string) => void;
  /**
   * Do the input-independent work (relative-position projections of every layer) at load, reported as progress
   * phase "precompute" (default true); `false` leaves it to the first forward.
   */
  precompute?: boolean;
  /**
   * Store the word-embedding table as int8 with one scale per row (LLM.int8's row-wise layout) and dequantize only
   * the rows an input gathers (default false). For deberta-v3-base the 128K × 768 table is most of the model; this
   * quarters it. A tied MLM decoder multiplies by the same int8 data as a quantized Linear. Works with any dtype.
   * `savePretrained` writes the int8 table in deberta-js's own format (HF Python does not read it; see
   * `weights/int8-embeddings.ts`), and a folder holding it loads int8 without this option. Alias `quantizeEmbeddings`.
   */
  quantize_embeddings?: boolean;
  /** @deprecated spelling of `quantize_embeddings`. */
  quantizeEmbeddings?: boolean;
}

export const LOAD_OPTIONS: readonly OptionSpec[] = [
  { name: "device", aliases: ["backend"] },
  { name: "dtype", aliases: ["torch_dtype"] },
  { name: "variant" },
  { name: "from_tf", aliases: ["fromTf"] },
  { name: "revision" },
  { name: "cache_dir", aliases: ["cacheDir"] },
  { name: "token", aliases: ["use_auth_token"] },
  { name: "endpoint" },
  { name: "local_files_only", aliases: ["localFilesOnly"] },
  { name: "fetch" },
  { name: "progress_callback", aliases: ["onProgress"] },
  { name: "warn" },
  { name: "precompute" },
  { name: "quantize_embeddings", aliases: ["quantizeEmbeddings"] },
];

/** What a dtype name means: the compute dtype, the weight quantization, and backend options it needs (bf16 is CUDA's 16-bit mode). */
export interface DtypeChoice {
  compute: FloatDType;
  /** Quantize the Linear weights at load with this method. */
  quantize?: QuantMethod;
  /** Only this backend computes in it. */
  backend?: string;
  backendOptions?: Record<string, unknown>;
}

/** Float dtype names users may write (HF / transformers.js / ours); quantized names come from `parseModelDType`. */
export const DTYPES: Readonly<Record<string, DtypeChoice>> = {
  auto: { compute: "f32" },
  fp32: { compute: "f32" },
  f32: { compute: "f32" },
  float32: { compute: "f32" },
  fp16: { compute: "f16" },
  f16: { compute: "f16" },
  float16: { compute: "f16" },
  half: { compute: "f16" },
  bf16: { compute: "f16", backend: "cuda", backendOptions: { half: "bf16" } },
  bfloat16: { compute: "f16", backend: "cuda", backendOptions: { half: "bf16" } },
};

/** `DTYPES[name]`, or a typed error listing the names. */
export function resolveDtype(name: string | undefined, context = "dtype"): DtypeChoice {
  const key = name ?? env.dtype ?? "fp32";
  const choice = typeof key === "string" ? (DTYPES[key.toLowerCase()] ?? parseModelDType(key)) : undefined;
  if (!choice) {
    throw new DebertaError(
      "UNSUPPORTED",
      `${context}: dtype ${JSON.stringify(key)} is not supported; use one of fp32, fp16, bf16 (CUDA), q8, q4, nf4, fp4, q4f16, q8f16, nf4f16, fp4f16`,
    );
  }
  return choice;
}

/** Options after `resolveLoadOptions`: one spelling, defaults applied. */
export interface ResolvedLoadOptions {
  device: Backend | string | undefined;
  dtype: FloatDType;
  /** Quantize the Linear weights at load (quantized dtypes). */
  quantize?: QuantMethod;
  /** The name the user gave (e.g. "bf16"), for messages. */
  dtypeName: string;
  /**
   * A dtype was chosen (option `dtype` or `env.dtype`, other than "auto"): it wins over what a saved folder's
   * config.json says about activations (`weights/activations-marker.ts`).
   */
  dtypeGiven: boolean;
  backendOptions?: Record<string, unknown>;
  variant?: string;
  fromTf: boolean;
  revision?: string;
  cacheDir?: string;
  token?: string;
  endpoint?: string;
  localFilesOnly: boolean;
  fetch?: typeof fetch;
  progress?: (event: ProgressEvent) => void;
  warn: (message: string) => void;
  /** Input-independent work at load (default true). */
  precompute: boolean;
  /** int8 word embeddings (`quantize_embeddings`, default false). */
  quantizeEmbeddings: boolean;
}

function check<T>(context: string, name: string, value: unknown, ok: (v: unknown) => boolean, expected: string): T | undefined {
  if (value === undefined) return undefined;
  if (!ok(value)) throw new InputError(`${context}: option "${name}" must be ${expected}, got ${JSON.stringify(value) ?? typeof value}`);
  return value as T;
}

const isString = (v: unknown) => typeof v === "string";
const isFunction = (v: unknown) => typeof v === "function";

/**
 * Checks and normalizes `given` against the loading options plus `extra` (the caller's own options, e.g. a
 * pipeline's call options). Returns the resolved loading options and the caller's options (documented spellings).
 */
export function resolveLoadOptions(
  given: object | undefined,
  context: string,
  extra: readonly OptionSpec[] = [],
): { load: ResolvedLoadOptions; rest: Record<string, unknown> } {
  const all = normalizeOptions(given, [...LOAD_OPTIONS, ...extra], context);
  const rest: Record<string, unknown> = {};
  for (const s of extra) if (s.name in all) rest[s.name] = all[s.name];
  const device = all.device as Backend | string | undefined;
  if (device !== undefined && typeof device !== "string" && !(typeof device === "object" && typeof (device as Backend).upload === "function")) {
    throw new InputError(`${context}: option "device" must be a backend name ("cpu", "webgpu", "cuda", "auto") or a Backend, got ${JSON.stringify(device)}`);
  }
  const dtypeName = check<string>(context, "dtype", all.dtype, isString, 'a dtype name such as "fp32" or "fp16"');
  const dtype = resolveDtype(dtypeName, context);
  const deviceName = typeof device === "string" ? device : device?.name;
  if (dtype.backend && deviceName !== undefined && deviceName !== dtype.backend && deviceName !== "auto") {
    throw new DebertaError("UNSUPPORTED", `${context}: dtype "${dtypeName}" runs on the ${dtype.backend} backend only (device is "${deviceName}")`);
  }
  if (dtype.backendOptions && typeof device === "object") {
    throw new DebertaError("UNSUPPORTED", `${context}: dtype "${dtypeName}" needs a backend created for it; pass device: "${dtype.backend}" instead of an instance`);
  }
  const localFilesOnly = check<boolean>(context, "local_files_only", all.local_files_only, (v) => typeof v === "boolean", "true or false");
  return {
    load: {
      // bf16 is one backend's mode: "auto" (or nothing) means that backend.
      device: dtype.backend && (device === undefined || device === "auto") ? dtype.backend : (device ?? env.device),
      dtype: dtype.compute,
      quantize: dtype.quantize,
      dtypeName: dtypeName ?? env.dtype ?? "fp32",
      dtypeGiven: (dtypeName ?? env.dtype ?? "auto").toLowerCase() !== "auto",
      backendOptions: dtype.backendOptions,
      variant: check(context, "variant", all.variant, isString, "a string"),
      fromTf: check<boolean>(context, "from_tf", all.from_tf, (v) => typeof v === "boolean", "true or false") ?? false,
      revision: check(context, "revision", all.revision, isString, "a string"),
      cacheDir: check(context, "cache_dir", all.cache_dir, isString, "a folder path") ?? env.cacheDir,
      token: check(context, "token", all.token, isString, "a string"),
      endpoint: check(context, "endpoint", all.endpoint, isString, "a URL") ?? env.remoteHost,
      localFilesOnly: localFilesOnly ?? !env.allowRemoteModels,
      fetch: check(context, "fetch", all.fetch, isFunction, "a function"),
      progress: check(context, "progress_callback", all.progress_callback, isFunction, "a function"),
      warn: warnSink(check(context, "warn", all.warn, isFunction, "a function")),
      precompute: check<boolean>(context, "precompute", all.precompute, (v) => typeof v === "boolean", "true or false") ?? true,
      quantizeEmbeddings:
        check<boolean>(context, "quantize_embeddings", all.quantize_embeddings, (v) => typeof v === "boolean", "true or false") ?? false,
    },
    rest,
  };
}

/** The backend a resolved load runs on (shared per name, see `getBackend`), checked to compute in the dtype. */
export async function backendFor(load: Pick<ResolvedLoadOptions, "device" | "dtype" | "dtypeName" | "backendOptions">): Promise<Backend> {
  const backend = typeof load.device === "object" ? load.device : await getBackend(load.device, load.backendOptions);
  if (!backend.supportsDtype(load.dtype)) {
    throw new DebertaError("UNSUPPORTED", `backend "${backend.name}" does not compute in ${load.dtypeName}; use dtype "fp32" or another device`);
  }
  return backend;
}

/** Runs `model.precompute` when the load asks for it, reporting each layer as phase "precompute" progress. */
export async function precomputeAtLoad(
  model: { precompute(onProgress?: (done: number, total: number) => void): Promise<void> },
  load: Pick<ResolvedLoadOptions, "progress" | "precompute">,
  name?: string,
): Promise<void> {
  if (!load.precompute) return;
  const cb = load.progress;
  await model.precompute(cb ? (done, total) => cb(progressEvent("precompute", { file: "relative-position projections", loaded: done, total }, name)) : undefined);
}

/** A weight-reading progress reporter in `ProgressEvent` form (undefined when nobody listens). */
export function loadProgress(load: Pick<ResolvedLoadOptions, "progress">, name?: string): ((p: { file: string; loaded: number; total: number }) => void) | undefined {
  const cb = load.progress;
  if (!cb) return undefined;
  return (p) => cb(progressEvent("load", p, name));
}

export function progressEvent(phase: ProgressEvent["phase"], p: { file: string; loaded: number; total: number }, name?: string): ProgressEvent {
  const done = p.total > 0 && p.loaded >= p.total;
  return {
    status: done ? "done" : "progress",
    phase,
    name,
    file: p.file,
    loaded: p.loaded,
    total: p.total,
    progress: p.total > 0 ? Math.min(100, (100 * p.loaded) / p.total) : 0,
  };
}
