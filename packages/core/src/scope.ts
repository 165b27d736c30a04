/**
 * Tensor lifetimes, the way tfjs `tidy()` does it: `scoped(fn)` frees every tensor created while `fn` runs, except
 * the ones `fn` returns (found in arrays and plain objects of its result) and the ones passed to `keep()`. It also
 * frees them when `fn` throws, so an op failing mid-layer leaks nothing.
 *
 *   const logits = scoped(() => {
 *     const h = be.add(x, y);            // freed when the scope ends
 *     return be.linear!(h, w, b);        // returned: survives, handed to the enclosing scope (if any)
 *   });
 *
 * Scopes nest; a kept result belongs to the enclosing scope. `fn` must be synchronous (like tfjs): tensors created
 * after an `await` would land in whatever scope is open then. Model and head forwards use scopes, so backends and
 * model code never track intermediates by hand.
 *
 * Only storage owners are tracked (views share their owner's storage); a view in the result keeps its owner.
 */
import { InputError } from "./errors.js";

/** What the scope machinery needs of a tensor (implemented by `Tensor`; kept structural to avoid an import cycle). */
export interface ScopedTensor {
  /** The tensor that owns the storage: itself, or the source of a view. */
  readonly storageOwner: ScopedTensor;
  readonly isDisposed: boolean;
  dispose(): void;
}

interface Scope {
  readonly tracked: Set<ScopedTensor>;
}

const stack: Scope[] = [];
/** Every tensor ever constructed (views too): lets `scoped` recognise tensors in a result without importing Tensor. */
const tensors = new WeakSet<object>();
let liveCount = 0;

/** Called by the `Tensor` constructor. */
export function registerTensor(t: ScopedTensor, owning: boolean): void {
  tensors.add(t);
  if (!owning) return;
  liveCount++;
  stack[stack.length - 1]?.tracked.add(t);
}

/** Called once when an owning tensor's storage is freed or handed to another tensor (`moveTo`). */
export function unregisterTensor(): void {
  liveCount--;
}

/** Owning tensors created and not yet disposed, over all backends (tests use it to find leaks). */
export function liveTensorCount(): number {
  return liveCount;
}

/** Whether a scope is open (model code that caches tensors across calls uses `keep`). */
export function inScope(): boolean {
  return stack.length > 0;
}

/**
 * Runs `fn` in a new scope and frees every tensor it created that is not part of its result nor kept, also when
 * `fn` throws. The result's tensors move to the enclosing scope.
 */
export function scoped<T>(fn: () => T): T {
  const scope: Scope = { tracked: new Set() };
  stack.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new InputError("scoped(fn): fn returned a Promise; scopes are synchronous (await outside the scope)");
    }
  } catch (e) {
    popScope(scope);
    disposeAll(scope.tracked);
    throw e;
  }
  popScope(scope);
  const survivors = new Set<ScopedTensor>();
  collect(result, survivors, 0);
  const parent = stack[stack.length - 1];
  const doomed: ScopedTensor[] = [];
  for (const t of scope.tracked) {
    if (survivors.has(t)) parent?.tracked.add(t);
    else doomed.push(t);
  }
  disposeAll(doomed);
  return result;
}

/**
 * Takes `t` (its storage owner, for a view) out of every open scope: it survives them all and the caller disposes
 * it (caches of weight-derived tensors, for example).
 */
export function keep<T extends ScopedTensor>(t: T): T {
  const owner = t.storageOwner;
  for (const s of stack) s.tracked.delete(owner);
  return t;
}

function popScope(scope: Scope): void {
  const top = stack.pop();
  if (top !== scope) throw new Error("scoped: scopes were closed out of order (was fn asynchronous?)");
}

function disposeAll(list: Iterable<ScopedTensor>): void {
  let first: unknown;
  for (const t of list) {
    if (t.isDisposed) continue;
    try {
      t.dispose();
    } catch (e) {
      first ??= e;
    }
  }
  if (first) throw first;
}

/** Storage owners of the tensors in `value` (tensors, arrays and plain objects, a few levels deep). */
function collect(value: unknown, into: Set<ScopedTensor>, depth: number): void {
  if (value === null || typeof value !== "object" || depth > 8) return;
  if (tensors.has(value)) {
    into.add((value as ScopedTensor).storageOwner);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return;
  for (const v of Object.values(value)) collect(v, into, depth + 1);
}
