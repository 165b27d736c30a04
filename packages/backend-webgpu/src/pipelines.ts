/**
 * Compute pipelines, compiled once per shader variant. A variant's key names everything its WGSL depends on
 * (dtypes, activation, tile sizes, flags); the source is generated only on a cache miss.
 */
export interface KernelVariant {
  /** Unique per distinct WGSL source, e.g. "matmul/f32/tA0/tB1/bias/gelu/r4". */
  key: string;
  source: () => string;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly sources = new Map<string, string>();

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(v: KernelVariant): GPUComputePipeline {
    let p = this.pipelines.get(v.key);
    if (!p) {
      const code = v.source();
      this.sources.set(v.key, code);
      const module = this.device.createShaderModule({ code, label: v.key });
      p = this.device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" }, label: v.key });
      this.pipelines.set(v.key, p);
    }
    return p;
  }

  /** The WGSL of a compiled variant (for error messages and debugging). */
  source(key: string): string | undefined {
    return this.sources.get(key);
  }

  clear(): void {
    this.pipelines.clear();
    this.sources.clear();
  }
}
