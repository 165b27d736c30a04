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

  /**
   * Times every method of `backend` from now on (while started). The methods are replaced on the object itself
   * rather than behind a Proxy: tensors keep pointing at the one backend object, so the op contract's ownership
   * check (`t.backend === this`) holds whichever path made them.
   */
  wrap<B extends Backend>(backend: B): B {
    const self = this;
    const seen = new Set<string>();
    for (let o: object | null = backend; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
      for (const prop of Object.getOwnPropertyNames(o)) {
        const d = Object.getOwnPropertyDescriptor(o, prop);
        if (seen.has(prop) || prop === "constructor" || !d || typeof d.value !== "function") continue;
        seen.add(prop);
        const v = d.value as (...a: unknown[]) => unknown;
        Object.defineProperty(backend, prop, {
          configurable: true,
          writable: true,
          value: function (this: unknown, ...args: unknown[]) {
            if (!self.active) return v.apply(this, args);
            const t0 = performance.now();
            try {
              return v.apply(this, args);
            } finally {
              const s = self.stats.get(prop) ?? { calls: 0, ms: 0 };
              s.calls++;
              s.ms += performance.now() - t0;
              self.stats.set(prop, s);
            }
          },
        });
      }
    }
    return backend;
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
