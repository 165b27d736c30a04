/**
 * `WeightStore`: what a model builder reads its weights from.
 *
 * - Names are looked up as given, then with the base-model prefix (`deberta.`) added, then removed — HF loads
 *   a base-model checkpoint (no prefix) into a head model and a head checkpoint (`deberta.` prefix) into a base
 *   model the same way. Legacy LayerNorm names (`LayerNorm.gamma`/`.beta`) are accepted for `.weight`/`.bias`,
 *   as HF's `_fix_state_dict_key_on_load` does.
 * - `get()` never throws for a missing tensor: it records the name and returns a zero placeholder (of the
 *   expected shape when one is given), so a builder can request everything and `finish()` then reports ALL
 *   missing tensors in one WEIGHTS_MISSING error. A shape mismatch is a config/checkpoint disagreement and
 *   throws WEIGHTS_INVALID at once, naming the tensor and both shapes.
 * - `finish()` reports checkpoint keys nobody asked for through `warn` (one message, truncated list), except
 *   keys matching `ignoreUnused` (by default `position_ids` buffers that older checkpoints carry).
 */
import { WeightsError } from "../errors.js";
import { getLimits, limitHint } from "../limits.js";
import type { Tensor } from "../tensor.js";
import { castHostTensor, numelOf, sameShape, shapeToString, type HostDType, type HostTensor, type StateDict } from "./state-dict.js";

export interface WeightStoreOptions {
  /** The base model's attribute name (default "deberta"). */
  basePrefix?: string;
  /** Placeholder dtype for missing tensors, and the dtype `get()` casts to when set. */
  dtype?: HostDType;
  /** Cast every returned tensor to `dtype` (default false: tensors come back as loaded). */
  cast?: boolean;
  /** Unused keys matching one of these are not reported (default: position_ids buffers). */
  ignoreUnused?: RegExp[];
  /** Where the weights came from, for messages (e.g. the model folder). */
  location?: string;
  /**
   * Tensors already on the backend (streamed loading, `model/device-weights.ts`), by checkpoint key. Looked up
   * like the state dict through `deviceTensor`; the store owns them until a `Params` takes them, and `finish()`
   * frees the ones nobody took.
   */
  device?: Map<string, Tensor>;
}

export interface FinishOptions {
  /** Receives one message listing the checkpoint keys that were not used. */
  warn?: (message: string) => void;
  /** How many names to list in messages before truncating (default 20). */
  maxListed?: number;
}

export interface FinishReport {
  /** Checkpoint keys that were read. */
  used: string[];
  /** Checkpoint keys that were never read (after `ignoreUnused`). */
  unused: string[];
}

const DEFAULT_IGNORE = [/(^|\.)position_ids$/];

function listNames(names: string[], max: number): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(", ");
  return names.length > max ? `${shown}, ... and ${names.length - max} more` : shown;
}

export class WeightStore {
  readonly stateDict: StateDict;
  private readonly prefix: string;
  private readonly opts: WeightStoreOptions;
  private readonly used = new Set<string>();
  private readonly missing: Array<{ name: string; shape?: number[] }> = [];
  private placeholderBytes = 0;
  private finished = false;

  constructor(stateDict: StateDict, opts: WeightStoreOptions = {}) {
    this.stateDict = stateDict;
    this.opts = opts;
    this.prefix = `${opts.basePrefix ?? "deberta"}.`;
  }

  /** Names tried for `name`, in order. */
  candidates(name: string): string[] {
    const out = [name];
    const p = this.prefix;
    if (name.startsWith(p)) out.push(name.slice(p.length));
    else out.push(p + name);
    for (const n of [...out]) {
      if (n.endsWith("LayerNorm.weight")) out.push(n.slice(0, -"weight".length) + "gamma");
      else if (n.endsWith("LayerNorm.bias")) out.push(n.slice(0, -"bias".length) + "beta");
    }
    return out;
  }

  /** The checkpoint key `name` resolves to, or undefined. Records nothing. */
  resolve(name: string): string | undefined {
    const device = this.opts.device;
    return this.candidates(name).find((c) => this.stateDict.has(c) || device?.has(c));
  }

  /**
   * The backend tensor for `name` when the weights were streamed onto the backend, else undefined (then use
   * `get`). Checks the shape like `get` and records the key as used.
   */
  deviceTensor(name: string, shape?: readonly number[]): Tensor | undefined {
    const device = this.opts.device;
    if (!device?.size) return undefined;
    const key = this.resolve(name);
    const t = key === undefined ? undefined : device.get(key);
    if (!t) return undefined;
    if (shape && !sameShape(shape, t.shape)) {
      throw new WeightsError(
        `${this.where()}tensor "${key}"${key !== name ? ` (for "${name}")` : ""} has shape ${shapeToString(t.shape)}, expected ${shapeToString(shape)}`,
      );
    }
    this.used.add(key!);
    return t;
  }

  /** Frees every streamed backend tensor (a failed build; tensors a `Params` took are freed by it too, harmlessly). */
  disposeDevice(): void {
    for (const t of this.opts.device?.values() ?? []) t.dispose();
  }

  has(name: string): boolean {
    return this.resolve(name) !== undefined;
  }

  /**
   * The tensor for `name` (see the class comment for the lookup). When `shape` is given it must match exactly.
   * A missing tensor is recorded and a zero placeholder returned; `finish()` throws for it.
   */
  get(name: string, shape?: readonly number[]): HostTensor {
    const t = this.lookup(name, shape);
    if (t) return t;
    this.missing.push({ name, shape: shape ? [...shape] : undefined });
    const dims = shape ? [...shape] : [0];
    const n = numelOf(dims);
    // Placeholders only exist so that finish() can list every missing name at once; a checkpoint that lacks
    // most of a (possibly huge) model must not allocate it in zeros first.
    const max = getLimits().maxPlaceholderBytes;
    this.placeholderBytes += n * 4;
    if (this.placeholderBytes > max) {
      try {
        this.finish();
      } catch (e) {
        throw new WeightsError(`${(e as Error).message}; stopped looking after these (placeholders over the ${limitHint("maxPlaceholderBytes", max)})`, "WEIGHTS_MISSING");
      }
    }
    return this.opts.dtype === "f16"
      ? { dtype: "f16", shape: dims, data: new Uint16Array(n) }
      : { dtype: "f32", shape: dims, data: new Float32Array(n) };
  }

  /** Like `get`, but an absent tensor is fine: returns undefined and records nothing. */
  optional(name: string, shape?: readonly number[]): HostTensor | undefined {
    return this.lookup(name, shape);
  }

  private lookup(name: string, shape?: readonly number[]): HostTensor | undefined {
    const key = this.resolve(name);
    if (key === undefined) return undefined;
    const t = this.stateDict.get(key);
    if (!t) return undefined; // on the backend: `deviceTensor` serves it
    if (shape && !sameShape(shape, t.shape)) {
      throw new WeightsError(
        `${this.where()}tensor "${key}"${key !== name ? ` (for "${name}")` : ""} has shape ${shapeToString(t.shape)}, expected ${shapeToString(shape)}`,
      );
    }
    this.used.add(key);
    return this.opts.cast && this.opts.dtype ? castHostTensor(t, this.opts.dtype) : t;
  }

  /** Names requested with `get` that were not found so far. */
  get missingNames(): string[] {
    return this.missing.map((m) => m.name);
  }

  private where(): string {
    return this.opts.location ? `${this.opts.location}: ` : "";
  }

  /**
   * Ends the build: throws one WEIGHTS_MISSING error listing every missing tensor, otherwise warns once about
   * unused checkpoint keys and returns what was used.
   */
  finish(opts: FinishOptions = {}): FinishReport {
    this.finished = true;
    const max = opts.maxListed ?? 20;
    if (this.missing.length) {
      const names = [...new Set(this.missing.map((m) => m.name))];
      throw new WeightsError(
        `${this.where()}the checkpoint lacks ${names.length} tensor${names.length > 1 ? "s" : ""} the model needs: ${listNames(names, max)}` +
          ` (looked up with and without the "${this.prefix}" prefix)`,
        "WEIGHTS_MISSING",
      );
    }
    const ignore = this.opts.ignoreUnused ?? DEFAULT_IGNORE;
    const device = this.opts.device ?? new Map<string, Tensor>();
    for (const [k, t] of device) if (!this.used.has(k)) t.dispose(); // streamed but not part of this model
    const unused = [...this.stateDict.keys(), ...device.keys()].filter((k) => !this.used.has(k) && !ignore.some((re) => re.test(k)));
    if (unused.length && opts.warn) {
      opts.warn(`${this.where()}${unused.length} checkpoint tensor${unused.length > 1 ? "s were" : " was"} not used: ${listNames(unused, max)}`);
    }
    return { used: [...this.used], unused };
  }

  get isFinished(): boolean {
    return this.finished;
  }
}
