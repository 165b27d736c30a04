/**
 * Launch geometry: workgroup counts, tile sizes and the kernel family, computed from shapes and device limits only
 * (no GPU objects), so op planning is unit-testable against a fake recorder.
 */
import { DebertaError } from "@deberta-js/core";
import { attentionSharedBytes } from "./kernels/attention.wgsl.js";

/** WebGPU's guaranteed `maxComputeWorkgroupsPerDimension`. */
export const MAX_GROUPS = 65535;

export type Grid = [number, number, number];

/**
 * Kernel family. "gpu": tiled kernels with workgroup memory and barriers (real GPUs). "cpu": barrier-free kernels,
 * one invocation per output block / row / query, for adapters that run on the CPU (SwiftShader, lavapipe), where
 * every barrier is a fiber switch.
 */
export type KernelProfile = "gpu" | "cpu";

/** "cpu" for adapters that run on the CPU (SwiftShader, llvmpipe / lavapipe, fallback adapters), else "gpu". */
export function kernelProfileFor(info: (Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean }) | undefined): KernelProfile {
  if (!info) return "gpu";
  if (info.isFallbackAdapter) return "cpu";
  const text = `${info.vendor ?? ""} ${info.architecture ?? ""} ${info.device ?? ""} ${info.description ?? ""}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/.test(text) ? "cpu" : "gpu";
}

/** One invocation per element, `wg` per workgroup; rows of workgroups beyond the per-dimension limit go to y. */
export function grid1d(n: number, wg: number): Grid {
  const groups = Math.ceil(n / wg);
  const x = Math.min(groups, MAX_GROUPS);
  const y = Math.ceil(groups / x);
  if (y > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu: ${n} elements exceed one dispatch`);
  return [x, y, 1];
}

/** One workgroup per row (the tiled row kernels: layer norm, softmax). */
export function gridRows(rows: number): Grid {
  const x = Math.min(rows, MAX_GROUPS);
  const y = Math.ceil(rows / x);
  if (y > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu: ${rows} rows exceed one dispatch`);
  return [x, y, 1];
}

/**
 * Register blocking of the tiled GEMM: 4×4 outputs per invocation (64×64 tiles) once there are enough tiles to fill
 * a GPU (≥ 48 at 64×64), else 2×2 (32×32 tiles) so small products still spread over many workgroups.
 */
export function matmulRegisterBlock(M: number, N: number, batch: number): 2 | 4 {
  return Math.ceil(M / 64) * Math.ceil(N / 64) * batch >= 48 ? 4 : 2;
}

/** Workgroups of the tiled GEMM for an `M × n` output block of `batch` matrices (tile = 16·r). */
export function matmulTiledGrid(M: number, n: number, batch: number, r: number): Grid {
  const tile = 16 * r;
  const gx = Math.ceil(n / tile);
  const gy = Math.ceil(M / tile);
  if (gx > MAX_GROUPS || gy > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu matmul: ${M}×${n} output needs ${gy}×${gx} tiles > ${MAX_GROUPS}`);
  return [gx, gy, batch];
}

/** Largest query/key block whose workgroup memory fits the device, ≤ 16 and ≤ the sequence length. */
export function attentionTile(
  a: { headDim: number; maxLen: number; c2p: boolean; p2c: boolean; mode: "ctx" | "probs" },
  maxWorkgroupStorage: number,
): number {
  const bytes = (t: number) => attentionSharedBytes({ headDim: a.headDim, bq: t, bk: t, c2p: a.c2p, p2c: a.p2c, mode: a.mode });
  let t = 16;
  while (t > 1 && (t / 2 >= a.maxLen || bytes(t) > maxWorkgroupStorage)) t /= 2;
  if (bytes(t) > maxWorkgroupStorage) {
    throw new DebertaError("UNSUPPORTED", `webgpu attention: head size ${a.headDim} needs more workgroup memory than the device's ${maxWorkgroupStorage} bytes`);
  }
  return t;
}

/** Workgroups of the tiled attention kernel: one per (query block, head, sequence). */
export function attentionTiledGrid(maxLen: number, tile: number, H: number, B: number): Grid {
  const groups = Math.ceil(maxLen / tile);
  if (groups > MAX_GROUPS || H > MAX_GROUPS || B > MAX_GROUPS) throw new DebertaError("UNSUPPORTED", `webgpu attention: grid ${groups}×${H}×${B} exceeds ${MAX_GROUPS}`);
  return [groups, H, B];
}
