/**
 * Host side of the fused attention: which kernel, how much shared memory, and the (sequence, first query) tile
 * list that makes a packed batch cost only its real tokens.
 */
import type { SequenceLayout } from "@deberta-js/core";
import { ATTENTION_HEAD_DIMS } from "./kernels/index.js";

export type AttentionKernelKind = "scalar" | "mma";

/** Query rows per block of each kernel. */
export const QUERY_TILE: Record<AttentionKernelKind, number> = { scalar: 32, mma: 64 };
/** Key rows per tile of each kernel. */
export const KEY_TILE: Record<AttentionKernelKind, number> = { scalar: 32, mma: 64 };
export const ATTENTION_THREADS = 128;

/** The head size rounded up to an instantiated size, or undefined when the head is too large for the kernels. */
export function paddedHeadDim(headDim: number): number | undefined {
  return ATTENTION_HEAD_DIMS.find((d) => d >= headDim);
}

/** Dynamic shared memory of a launch: the same formulas as the kernels' carving of `smem`. */
export function attentionSmemBytes(kind: AttentionKernelKind, dp: number, c2p: boolean, p2c: boolean): number {
  if (kind === "scalar") {
    const BR = 32;
    const BC = 32;
    const NW = BR + BC - 1;
    const LDS = dp + 1;
    const floats = BR * LDS + 2 * BC * LDS + (c2p ? NW * LDS : 0) + (p2c ? NW * LDS : 0) + BR * (BC + 1) + BC;
    return 4 * floats;
  }
  const BC = 64;
  const NW = 128;
  const DPS = dp + 8;
  const VTS = BC + 8;
  const CWS = 84;
  const halves = BC * DPS + dp * VTS + (c2p ? NW * DPS : 0) + (p2c ? NW * DPS : 0);
  const floats = (c2p ? 4 * 16 * CWS : 0) + (p2c ? 4 * 16 * CWS : 0) + BC;
  return 2 * halves + 4 * floats;
}

export interface AttentionChoice {
  kind: AttentionKernelKind;
  kernel: string;
  dp: number;
  smem: number;
}

/**
 * Picks the kernel for a head size and storage type, or explains why the fused path cannot run (the backend then
 * uses core's reference composition).
 */
export function chooseAttentionKernel(args: {
  headDim: number;
  storage: "f32" | "f16" | "bf16";
  c2p: boolean;
  p2c: boolean;
  computeCapability: readonly [number, number];
  maxSharedOptin: number;
  prefer?: "auto" | "mma" | "scalar";
}): AttentionChoice | { reason: string } {
  const dp = paddedHeadDim(args.headDim);
  if (dp === undefined) return { reason: `head size ${args.headDim} > ${ATTENTION_HEAD_DIMS[ATTENTION_HEAD_DIMS.length - 1]}` };
  const mmaOk = args.storage !== "f32" && args.computeCapability[0] >= 8;
  const prefer = args.prefer ?? "auto";
  const order: AttentionKernelKind[] = prefer === "scalar" || !mmaOk ? ["scalar"] : ["mma", "scalar"];
  for (const kind of order) {
    const smem = attentionSmemBytes(kind, dp, args.c2p, args.p2c);
    if (smem <= args.maxSharedOptin) return { kind, kernel: `djs_attn_${kind}_${args.storage}_d${dp}`, dp, smem };
  }
  return { reason: `head size ${args.headDim} needs more shared memory than the device's ${args.maxSharedOptin} bytes per block` };
}

export interface SequenceTable {
  /** `batch + 1` first rows (padded layouts: b · seqLen). */
  offsets: Int32Array;
  batch: number;
  maxLen: number;
}

export function sequenceTable(layout: SequenceLayout): SequenceTable {
  if (layout.kind === "padded") {
    const offsets = new Int32Array(layout.batch + 1);
    for (let b = 0; b <= layout.batch; b++) offsets[b] = b * layout.seqLen;
    return { offsets, batch: layout.batch, maxLen: layout.seqLen };
  }
  let maxLen = 0;
  for (let b = 0; b + 1 < layout.offsets.length; b++) maxLen = Math.max(maxLen, layout.offsets[b + 1] - layout.offsets[b]);
  return { offsets: Int32Array.from(layout.offsets), batch: layout.offsets.length - 1, maxLen };
}

/** (sequence, first query row) of every query tile: `ceil(len / tile)` tiles per sequence, none for empty ones. */
export function queryTiles(offsets: Int32Array, tile: number): Int32Array {
  const out: number[] = [];
  for (let b = 0; b + 1 < offsets.length; b++) {
    const len = offsets[b + 1] - offsets[b];
    for (let q = 0; q < len; q += tile) out.push(b, q);
  }
  return Int32Array.from(out);
}
