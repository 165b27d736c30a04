/**
 * Initial values for head parameters a checkpoint does not hold, as HF's `_init_weights` gives them: Linear weights
 * N(0, initializer_range), biases 0, LayerNorm weight 1 and bias 0. HF draws from torch's global RNG; we draw from a
 * fixed seed so that two loads of the same checkpoint agree. (Such a head is untrained either way: HF warns, so do we.)
 */
import type { HostTensor } from "@deberta-js/core";

export type InitKind = "normal" | "zeros" | "ones";

export class SeededNormal {
  private s: number;
  private spare: number | null = null;

  constructor(seed = 42) {
    this.s = seed >>> 0 || 1;
  }

  /** Uniform in (0, 1): xorshift32. */
  private uniform(): number {
    let s = this.s;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.s = s >>> 0;
    return (this.s + 1) / 4294967297;
  }

  /** Standard normal: Box–Muller. */
  next(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const t = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}

export function initTensor(shape: readonly number[], kind: InitKind, std: number, rng: SeededNormal): HostTensor {
  let n = 1;
  for (const d of shape) n *= d;
  const data = new Float32Array(n);
  if (kind === "ones") data.fill(1);
  else if (kind === "normal") for (let i = 0; i < n; i++) data[i] = rng.next() * std;
  return { dtype: "f32", shape: [...shape], data };
}
