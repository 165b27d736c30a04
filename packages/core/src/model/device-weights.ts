/**
 * Streams a checkpoint straight onto a backend: each float tensor is read in the compute dtype (fp32 → fp16 per
 * chunk, never holding the fp32 copy) and handed to the backend as soon as it is read — `Backend.adopt` when the
 * backend can keep host arrays as its storage (CPU: no copy at all), `upload` otherwise (WebGPU/CUDA: the host
 * array is dropped right after the copy). Peak memory is the uploaded weights plus one tensor in flight.
 *
 * The model is then built from the uploaded tensors (`WeightStore` `device` map → `Params.take` hands them out
 * by HF name), so shapes, missing and unused weights are checked exactly as for an in-memory state dict.
 */
import type { Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import type { ModelFiles } from "../files.js";
import type { Tensor } from "../tensor.js";
import type { LoadProgress } from "../weights/load.js";
import type { ResolveOptions, WeightFormat } from "../weights/resolve.js";
import type { HostTensor, SourceDType, StateDict } from "../weights/state-dict.js";
import { hostTensorToF32 } from "../weights/state-dict.js";
import { quantizeWeight } from "../quant/quantize.js";
import type { QuantMethod, QuantizedHostWeight } from "../quant/quantized-weight.js";
import { streamWeights, type TensorRecord } from "../weights/stream.js";
import { StreamedQuantized } from "./streamed-quantized.js";

/** Where a tensor goes: onto the backend, kept on the host (buffers, quantized parts), or not read at all. */
export type WeightPlacement = "device" | "host" | "skip";

export interface DeviceWeightsOptions extends ResolveOptions {
  backend: Backend;
  dtype: FloatDType;
  onProgress?: (p: LoadProgress) => void;
  /**
   * Chooses each tensor's placement (default `defaultPlacement`). Hook for callers that keep some tensors on the
   * host (e.g. to quantize them) or skip tensors they will never use.
   */
  place?: (record: TensorRecord, checkpoint: CheckpointSummary) => WeightPlacement;
  /**
   * Turns a host tensor (already in the compute dtype) into backend storage. Default: `backend.adopt` when the
   * backend has it, else `backend.upload`. Hook for pre-packed or quantized forms.
   */
  toDevice?: (host: HostTensor, record: TensorRecord) => Tensor | Promise<Tensor>;
  /** Called for each tensor placed "skip" (it may read it itself, e.g. to quantize it). */
  onSkipped?: (record: TensorRecord, checkpoint: CheckpointSummary) => Promise<void> | void;
}

export interface CheckpointSummary {
  format: WeightFormat;
  records: TensorRecord[];
  /** The checkpoint holds U8/I8 tensors (bitsandbytes): everything stays on the host for the bnb path. */
  quantized: boolean;
}

export interface DeviceWeights {
  /** Checkpoint key → backend tensor in the compute dtype. */
  device: Map<string, Tensor>;
  /** Checkpoint key → tensors kept on the host (integer buffers such as `position_ids`, bnb parts). */
  host: StateDict;
  format: WeightFormat;
  files: string[];
  sourceDtypes: Set<SourceDType>;
  /** Bytes of the tensors uploaded. */
  deviceBytes: number;
}

const FLOAT_SOURCES: ReadonlySet<SourceDType> = new Set(["F32", "F16", "BF16", "F64"]);

/** Float tensors go to the device, integer buffers stay on the host; a bnb checkpoint stays on the host whole. */
export function defaultPlacement(r: TensorRecord, c: CheckpointSummary): WeightPlacement {
  if (c.quantized) return "host";
  return FLOAT_SOURCES.has(r.dtype) ? "device" : "host";
}

/** Streams the checkpoint in `files` onto `opts.backend` (see the file comment). On error, frees what it uploaded. */
export async function loadDeviceWeights(files: ModelFiles, opts: DeviceWeightsOptions): Promise<DeviceWeights> {
  const { backend, dtype } = opts;
  const device = new Map<string, Tensor>();
  const host: StateDict = new Map();
  const place = opts.place ?? defaultPlacement;
  const toDevice =
    opts.toDevice ??
    ((t: HostTensor) =>
      backend.adopt ? backend.adopt(t.data, t.shape, t.dtype) : backend.uploadAsync ? backend.uploadAsync(t.data, t.shape, t.dtype) : backend.upload(t.data, t.shape, t.dtype));
  let summary: CheckpointSummary | undefined;
  let deviceBytes = 0;
  try {
    const streamed = await streamWeights(
      files,
      async (r) => {
        const where = place(r, summary!);
        if (where === "skip") return opts.onSkipped?.(r, summary!);
        if (where === "host") {
          host.set(r.name, await r.read(FLOAT_SOURCES.has(r.dtype) ? dtype : "f32"));
          return;
        }
        const t = await toDevice(await r.read(dtype), r);
        device.set(r.name, t);
        deviceBytes += t.size * (t.dtype === "f16" ? 2 : 4);
      },
      {
        variant: opts.variant,
        preferSafetensors: opts.preferSafetensors,
        format: opts.format,
        from_tf: opts.from_tf,
        onProgress: opts.onProgress,
        onListed: (c) => {
          summary = { format: c.format, records: c.records, quantized: c.records.some((r) => r.dtype === "U8" || r.dtype === "I8") };
        },
      },
    );
    return { device, host, format: streamed.format, files: streamed.files, sourceDtypes: streamed.sourceDtypes, deviceBytes };
  } catch (e) {
    for (const t of device.values()) t.dispose();
    throw e;
  }
}

export interface ModelWeightsOptions extends ResolveOptions {
  backend: Backend;
  dtype: FloatDType;
  /** A quantized dtype: Linear weights are quantized as they are read (see `loadModelWeights`). */
  quantize?: QuantMethod;
  /** `quantize_embeddings`: the word-embedding table is quantized int8 row-wise as it is read (`tables`). */
  quantizeEmbeddings?: boolean;
  onProgress?: (p: LoadProgress) => void;
}

/**
 * The backbone's (and pooler's / `embed_proj`'s) Linear weights: the ones `Params.linearWeight` quantizes with a
 * quantized dtype — every `linearWeight` call site must match here (`pos_key_proj` / `pos_query_proj` exist when
 * `share_att_key` is false), or the streamed load lacks the weight. Heads' final classifiers and decoders are not matched (they stay float, as bitsandbytes keeps them).
 */
const QUANTIZED_LINEAR =
  /(^|\.)(encoder\.layer\.\d+\.(attention\.self\.(query_proj|key_proj|value_proj|pos_key_proj|pos_query_proj)|attention\.output\.dense|intermediate\.dense|output\.dense)|pooler\.dense|embeddings\.embed_proj)\.weight$/;

/**
 * What `fromPretrained` loads: the streamed backend tensors (`device`) plus the host tensors (`stateDict`), one
 * tensor in flight at a time — never the whole state dict. With a quantized dtype, each Linear weight is read as fp32
 * and quantized right away (`modules`, by module name, as a bitsandbytes checkpoint's modules are). bitsandbytes
 * modules, int8 embedding tables and `quantize_embeddings` go through `StreamedQuantized` (`modules`, `tables`);
 * the other float tensors of such checkpoints stream onto the backend like any checkpoint's.
 */
export async function loadModelWeights(
  files: ModelFiles,
  opts: ModelWeightsOptions,
): Promise<{ stateDict: StateDict; device?: Map<string, Tensor>; modules?: Map<string, QuantizedHostWeight>; tables?: Map<string, QuantizedHostWeight> }> {
  const resolve = { variant: opts.variant, preferSafetensors: opts.preferSafetensors, format: opts.format, from_tf: opts.from_tf };
  const method = opts.quantize;
  const modules = new Map<string, QuantizedHostWeight>();
  let collector: StreamedQuantized | undefined;
  const quantizes = (r: TensorRecord) =>
    !!method && !collector!.hasBnb && FLOAT_SOURCES.has(r.dtype) && r.shape.length === 2 && QUANTIZED_LINEAR.test(r.name);
  const w = await loadDeviceWeights(files, {
    ...resolve,
    backend: opts.backend,
    dtype: opts.dtype,
    onProgress: opts.onProgress,
    place: (r, c) => {
      collector ??= new StreamedQuantized(c.records, files.location, !!opts.quantizeEmbeddings);
      if (collector.handles(r) || quantizes(r)) return "skip";
      return FLOAT_SOURCES.has(r.dtype) ? "device" : "host";
    },
    onSkipped: async (r) => {
      if (collector!.handles(r)) return collector!.take(r);
      // read in the compute dtype, as the in-memory path did (q4f16 quantizes the f16-rounded weight): same numbers
      const t = await r.read(opts.dtype);
      const [n, k] = r.shape;
      modules.set(r.name.replace(/\.weight$/, ""), quantizeWeight(hostTensorToF32(t), n, k, method!));
    },
  });
  let found: ReturnType<StreamedQuantized["finish"]> = {};
  try {
    found = collector?.finish() ?? {};
  } catch (e) {
    for (const t of w.device.values()) t.dispose();
    throw e;
  }
  return { stateDict: w.host, device: w.device, modules: mergeMaps(found.modules, modules), tables: found.tables };
}

function mergeMaps<K, V>(a: Map<K, V> | undefined, b: Map<K, V>): Map<K, V> | undefined {
  if (!b.size) return a;
  if (!a?.size) return b;
  return new Map([...a, ...b]);
}
