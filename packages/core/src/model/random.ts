/**
 * Random weights of a config's shape, for benchmarks of real model sizes without a download
 * (`deberta-js bench --config deberta-v3-base.json`). Scales follow HF's init: N(0, initializer_range) for
 * matrices and embeddings, LayerNorm weight 1 and bias 0, other biases 0.
 */
import type { HostTensor } from "../weights/state-dict.js";
import { WeightStore } from "../weights/store.js";
import { f32ToF16Bits } from "../dtype.js";

/** A `WeightStore` that answers every request with fresh random values of the requested shape. */
export class RandomWeightStore extends WeightStore {
  private state: number;

  constructor(
    private readonly std: number,
    seed = 1,
    private readonly dtype: "f32" | "f16" = "f32",
  ) {
    super(new Map());
    this.state = seed >>> 0 || 1;
  }

  override has(): boolean {
    return true;
  }

  override get(name: string, shape?: readonly number[]): HostTensor {
    const dims = shape ? [...shape] : [1];
    let n = 1;
    for (const d of dims) n *= d;
    const f32 = new Float32Array(n);
    if (/LayerNorm\.(weight|gamma)$/.test(name)) f32.fill(1);
    else if (!/(bias|beta)$/.test(name)) this.fillNormal(f32, this.std);
    if (this.dtype === "f16") {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = f32ToF16Bits(f32[i]);
      return { dtype: "f16", shape: dims, data: h };
    }
    return { dtype: "f32", shape: dims, data: f32 };
  }

  override optional(): HostTensor | undefined {
    return undefined;
  }

  override finish() {
    return { used: [], unused: [] };
  }

  /** xorshift32 + Box–Muller: fast, seeded, no allocation per value. */
  private fillNormal(out: Float32Array, std: number) {
    let s = this.state;
    const next = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return ((s >>> 0) + 1) / 4294967297;
    };
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(next())) * std;
      const t = 2 * Math.PI * next();
      out[i] = r * Math.cos(t);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
    }
    this.state = s;
  }
}
