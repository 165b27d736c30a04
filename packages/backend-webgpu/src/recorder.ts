/**
 * Command recording: the one command encoder ops record into, the compute pass, dispatches with their bind groups
 * and parameter slots, submits, the error scopes around each submit, and device loss.
 *
 * `Recorder` is the seam between op planning and the GPU: ops only call `dispatch` (and transfers `copy`), so a fake
 * recorder can capture the planned dispatches without a device (see `test/fake-gpu.ts`).
 */
import { DebertaError } from "@deberta-js/core";
import type { PooledBuffer } from "./buffer-pool.js";
import type { Grid } from "./launch.js";
import { PipelineCache, type KernelVariant } from "./pipelines.js";
import { type KernelTiming, Profiler } from "./profiler.js";
import { UniformArena } from "./uniforms.js";

export interface Recorder {
  /** Index of the encoder being recorded; bumped at each submit (see `BufferPool`'s reuse rules). */
  readonly epoch: number;
  /** Submits so far (tests check batching). */
  readonly submits: number;
  /** Compiled pipelines. */
  readonly pipelineCount: number;
  /** Why the device was lost, or null. */
  readonly lostReason: string | null;
  /** Records one dispatch; `bindings[i]` is bound at binding i (0 is the parameter uniform, packed in `params`). */
  dispatch(kv: KernelVariant, params: Uint32Array, bindings: readonly (PooledBuffer | undefined)[], groups: Grid): void;
  /** Records a buffer-to-buffer copy after the dispatches recorded so far. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void;
  /** Submits everything recorded so far. */
  flush(): void;
  /** The errors of the submits so far (each resolves to null when a scope caught nothing). */
  takeErrors(): Promise<(GPUError | null)[]>;
  /** Throws the first of `errors` (or device loss) as a `DebertaError("BACKEND_ERROR")` naming `op`. */
  throwErrors(errors: readonly (GPUError | null)[], op: string): void;
  /** GPU time per kernel variant since the last call (empty when not profiling). */
  profileReport(): Promise<KernelTiming[]>;
  /** Drops everything recorded; closes the error scopes unless the device goes away with the backend. */
  close(deviceGoesAway: boolean): void;
}

export interface DawnRecorderOptions {
  /** Dispatches recorded before an automatic submit. */
  maxDispatches: number;
  /** Time every kernel with timestamp queries (when the device has `timestamp-query`). */
  profile?: boolean;
  /** Adapter description for out-of-memory messages. */
  adapterDescription?: string;
  /** Bytes the backend holds in buffers (for out-of-memory messages). */
  bytesHeld: () => number;
}

/** The recorder on a real `GPUDevice` (Dawn in Node, the browser's WebGPU). */
export class DawnRecorder implements Recorder {
  private readonly pipelines: PipelineCache;
  private readonly layouts = new Map<GPUComputePipeline, GPUBindGroupLayout>();
  private readonly uniforms: UniformArena;
  private readonly profiler: Profiler | null;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private pendingErrors: Promise<GPUError | null>[] = [];
  epoch = 0;
  submits = 0;
  lostReason: string | null = null;

  constructor(
    private readonly device: GPUDevice,
    private readonly options: DawnRecorderOptions,
  ) {
    this.pipelines = new PipelineCache(device);
    this.uniforms = new UniformArena(device, device.limits.minUniformBufferOffsetAlignment);
    this.profiler = options.profile && device.features.has("timestamp-query") ? new Profiler(device) : null;
    this.pushScopes();
    device.lost?.then((info) => {
      this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  dispatch(kv: KernelVariant, params: Uint32Array, bindings: readonly (PooledBuffer | undefined)[], groups: Grid): void {
    const pipeline = this.pipelines.get(kv);
    const bindGroup = this.bindGroup(kv, pipeline, params, bindings);
    if (this.profiler) {
      // one pass per dispatch, with its own timestamp writes
      if (this.profiler.full) this.flush();
      this.endPass();
      this.pass = this.commandEncoder().beginComputePass(this.profiler.passDescriptor(kv.key));
    }
    const pass = this.computePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    if (++this.dispatches >= this.options.maxDispatches) this.flush();
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    const enc = this.commandEncoder();
    this.endPass();
    enc.copyBufferToBuffer(src, srcOffset, dst, dstOffset, bytes);
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const afterSubmit = this.profiler?.beforeSubmit(this.encoder);
    this.uniforms.flush(this.device.queue);
    this.device.queue.submit([this.encoder.finish()]);
    afterSubmit?.();
    this.encoder = null;
    this.dispatches = 0;
    this.epoch++;
    this.submits++;
    this.popScopes();
    this.pushScopes();
  }

  takeErrors(): Promise<(GPUError | null)[]> {
    return Promise.all(this.pendingErrors.splice(0));
  }

  throwErrors(errors: readonly (GPUError | null)[], op: string): void {
    const errs = errors.filter((e): e is GPUError => !!e);
    if (this.lostReason) throw new DebertaError("BACKEND_ERROR", `webgpu ${op}: the device was lost (${this.lostReason})`);
    if (!errs.length) return;
    const oom = errs.find((e) => e.constructor?.name === "GPUOutOfMemoryError" || /out of memory|OutOfMemory/i.test(e.message));
    if (oom) {
      const adapter = this.options.adapterDescription ? ` (${this.options.adapterDescription})` : "";
      const held = (this.options.bytesHeld() / 2 ** 20).toFixed(1);
      throw new DebertaError(
        "BACKEND_ERROR",
        `webgpu ${op}: the GPU${adapter} ran out of memory (${oom.message.trim()}); the backend held ${held} MiB in buffers. The model does not fit this device: try f16, a smaller batch, or another backend`,
      );
    }
    throw new DebertaError("BACKEND_ERROR", `webgpu ${op}: ${errs.map((e) => e.message.trim()).join("; ")}`);
  }

  async profileReport(): Promise<KernelTiming[]> {
    if (!this.profiler) return [];
    this.flush();
    const r = await this.profiler.report();
    this.profiler.reset();
    return r;
  }

  close(deviceGoesAway: boolean): void {
    this.encoder = null;
    this.pass = null;
    this.uniforms.destroy();
    this.pipelines.clear();
    this.layouts.clear();
    this.profiler?.destroy();
    if (!deviceGoesAway && !this.lostReason) {
      // leave a caller's device as we found it: close our error scopes
      this.popScopes();
      this.pendingErrors.length = 0;
    }
  }

  /** The bind group of one dispatch; marks its buffers as used by this encoder. */
  private bindGroup(kv: KernelVariant, pipeline: GPUComputePipeline, params: Uint32Array, bindings: readonly (PooledBuffer | undefined)[]): GPUBindGroup {
    let layout = this.layouts.get(pipeline);
    if (!layout) this.layouts.set(pipeline, (layout = pipeline.getBindGroupLayout(0)));
    const slot = this.uniforms.alloc(params);
    const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: slot.buffer, offset: slot.offset, size: slot.size } }];
    for (let i = 1; i < bindings.length; i++) {
      const pb = bindings[i];
      if (!pb) continue;
      pb.lastUse = this.epoch;
      entries.push({ binding: i, resource: { buffer: pb.buffer } });
    }
    return this.device.createBindGroup({ layout, entries, label: kv.key });
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: "deberta-js" });
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass() {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private pushScopes() {
    this.device.pushErrorScope("validation");
    this.device.pushErrorScope("out-of-memory");
  }

  private popScopes() {
    this.pendingErrors.push(this.device.popErrorScope(), this.device.popErrorScope());
  }
}
