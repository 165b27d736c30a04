/**
 * `bench --profile`: wraps a backend so each op call is timed (wall clock around the call). Exact for synchronous
 * backends (cpu); for asynchronous ones it measures enqueue time only, which the output says.
 */
import type { Backend } from "@deberta-js/core";

export interface OpProfile {
  op: string;
  calls: number;
  ms: number;
}

export class Profiler {
  private readonly stats = new Map<string, { calls: number; ms: number }>();
  private active = false;

  wrap<B extends Backend>(backend: B): B {
    const self = this;
    return new Proxy(backend, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function" || typeof prop !== "string" || prop === "constructor") return v;
        return function (this: unknown, ...args: unknown[]) {
          if (!self.active) return v.apply(target, args);
          const t0 = performance.now();
          try {
            return v.apply(target, args);
          } finally {
            const s = self.stats.get(prop) ?? { calls: 0, ms: 0 };
            s.calls++;
            s.ms += performance.now() - t0;
            self.stats.set(prop, s);
          }
        };
      },
    });
  }

  start(): void {
    this.stats.clear();
    this.active = true;
  }

  stop(): void {
    this.active = false;
  }

  /** Per-op totals divided by `passes`, largest first. */
  report(passes: number): OpProfile[] {
    return [...this.stats.entries()]
      .map(([op, s]) => ({ op, calls: s.calls / passes, ms: Math.round((s.ms / passes) * 1000) / 1000 }))
      .sort((a, b) => b.ms - a.ms);
  }
}
