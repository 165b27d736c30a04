/**
 * Kernel argument marshalling for `cuLaunchKernel(…, void** kernelParams, …)`: each argument's value is written
 * into a native arena at an 8-byte aligned offset, followed by the array of pointers to those values. The driver
 * copies the values at launch, so one arena serves every launch.
 */
import type { ParamKind } from "./kernels/index.js";

/** A `DjsGeom` (prelude): rank ≤ 6 dims and up to three stride arrays, as int32. */
export interface Geom {
  rank: number;
  axis?: number;
  dims: readonly number[];
  s0?: readonly number[];
  s1?: readonly number[];
  s2?: readonly number[];
}

export type ArgValue = bigint | number | Geom;

export const GEOM_BYTES = 4 * (2 + 4 * 6);
export const MAX_RANK = 6;

const KIND_BYTES: Record<ParamKind, number> = { p: 8, i: 4, f: 4, g: GEOM_BYTES };

export interface ParamLayout {
  /** Byte offset of each argument's value. */
  offsets: number[];
  /** Byte offset of the pointer array (8-byte aligned). */
  pointersAt: number;
  /** Total bytes: values + pointer array. */
  size: number;
}

export function paramLayout(kinds: readonly ParamKind[]): ParamLayout {
  const offsets: number[] = [];
  let at = 0;
  for (const k of kinds) {
    at = align(at, 8);
    offsets.push(at);
    at += KIND_BYTES[k];
  }
  const pointersAt = align(at, 8);
  return { offsets, pointersAt, size: pointersAt + 8 * kinds.length };
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Writes the values and the pointer array into `view` (whose first byte is at native address `base`).
 * Returns the native address of the pointer array, the `kernelParams` argument.
 */
export function packParams(view: DataView, base: bigint, kernel: string, kinds: readonly ParamKind[], values: readonly ArgValue[]): bigint {
  if (values.length !== kinds.length) {
    throw new Error(`kernel ${kernel}: ${values.length} arguments given, its signature has ${kinds.length}`);
  }
  const layout = paramLayout(kinds);
  if (layout.size > view.byteLength) throw new Error(`kernel ${kernel}: ${layout.size} bytes of arguments exceed the ${view.byteLength}-byte arena`);
  for (let i = 0; i < kinds.length; i++) {
    const at = layout.offsets[i];
    const v = values[i];
    switch (kinds[i]) {
      case "p":
        if (typeof v !== "bigint") throw new Error(`kernel ${kernel}: argument ${i} must be a device pointer (bigint)`);
        view.setBigUint64(at, v, true);
        break;
      case "i":
        if (typeof v !== "number" || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
          throw new Error(`kernel ${kernel}: argument ${i} must be an int32, got ${String(v)}`);
        }
        view.setInt32(at, v, true);
        break;
      case "f":
        if (typeof v !== "number") throw new Error(`kernel ${kernel}: argument ${i} must be a number`);
        view.setFloat32(at, v, true);
        break;
      case "g":
        if (typeof v !== "object") throw new Error(`kernel ${kernel}: argument ${i} must be a Geom`);
        writeGeom(view, at, v, kernel);
        break;
    }
    view.setBigUint64(layout.pointersAt + 8 * i, base + BigInt(at), true);
  }
  return base + BigInt(layout.pointersAt);
}

export function writeGeom(view: DataView, at: number, g: Geom, kernel = "?"): void {
  if (g.rank > MAX_RANK || g.rank < 0) throw new Error(`kernel ${kernel}: rank ${g.rank} exceeds ${MAX_RANK}`);
  view.setInt32(at, g.rank, true);
  view.setInt32(at + 4, g.axis ?? 0, true);
  const arrays = [g.dims, g.s0, g.s1, g.s2];
  for (let a = 0; a < 4; a++) {
    const src = arrays[a];
    for (let d = 0; d < MAX_RANK; d++) {
      const v = src && d < src.length ? src[d] : 0;
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new Error(`kernel ${kernel}: geometry value ${v} is not an int32`);
      view.setInt32(at + 8 + 4 * (a * MAX_RANK + d), v, true);
    }
  }
}
