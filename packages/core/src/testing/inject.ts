/**
 * Failure injection for lifetime tests: the backend with one op that throws on its n-th call (a kernel failing in
 * the middle of a layer). The wrapper is a Proxy, so tensors the backend makes belong to it and every other op
 * behaves as before.
 *
 *   const f = withInjectedFailure(backend, "linear");
 *   await model.forward(inputs);           // count: f.calls
 *   f.failAt(Math.ceil(f.calls / 2));      // the next forward fails halfway
 */
import type { Backend } from "../backend.js";
import { DebertaError } from "../errors.js";

export interface InjectedFailure<B extends Backend> {
  /** Use this instead of the original backend (also for loading: weights must belong to it). */
  readonly backend: B;
  /** Calls of the op since the last `failAt` / `reset`. */
  readonly calls: number;
  /** The op throws `BACKEND_ERROR` on its `n`-th call from now (0: never). */
  failAt(n: number): void;
  reset(): void;
}

export function withInjectedFailure<B extends Backend>(inner: B, op: keyof Backend & string): InjectedFailure<B> {
  let calls = 0;
  let failAt = 0;
  const backend = new Proxy(inner, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (key !== op || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (++calls === failAt) throw new DebertaError("BACKEND_ERROR", `injected failure in ${op} (call ${calls})`);
        return value.apply(receiver, args);
      };
    },
  });
  return {
    backend,
    get calls() {
      return calls;
    },
    failAt(n: number) {
      calls = 0;
      failAt = n;
    },
    reset() {
      calls = 0;
      failAt = 0;
    },
  };
}
