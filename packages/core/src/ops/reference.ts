/**
 * Reference fallbacks of the optional fused ops, built from the required primitives only. A backend that
 * implements just the primitives runs the whole model through these; a backend that implements a fused op
 * must give the same numbers (the conformance kit compares both).
 */
import type { Activation, AttentionArgs, AttentionResult, Backend } from "../backend.js";
import { layoutBatch, layoutMaxLen, layoutTokens, type SequenceLayout } from "../layout.js";
import type { Tensor } from "../tensor.js";

export function linearReference(be: Backend, x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
  let y = be.matmul(x, weight, { transB: true });
  if (bias) y = replace(y, be.add(y, bias));
  if (act && act !== "linear") y = replace(y, be.activation(y, act));
  return y;
}

export function addLayerNormReference(be: Backend, x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const sum = be.add(x, residual);
  const out = be.layerNorm(sum, gamma, beta, eps);
  sum.dispose();
  return out;
}

/**
 * HF's `DisentangledSelfAttention` written with primitives, on a padded batch `[B, H, L, d]`:
 * scores = q·kᵀ/scale + gather(q·posKᵀ/scale, idx) + gather(k·posQᵀ/scale, idxᵀ)ᵀ, masked softmax, probs·v.
 * Packed layouts are gathered into a padded batch first and scattered back after.
 *
 * `hostRelIndex` is the host copy of `args.relIndex` (the `[L, L]` index tensors are built from it here).
 */
export function disentangledAttentionReference(be: Backend, args: AttentionArgs, hostRelIndex?: Int32Array): AttentionResult {
  if (args.layout.kind === "packed") return viaPadded(be, args, hostRelIndex);
  const { spec, layout } = args;
  const B = layout.batch;
  const L = layout.seqLen;
  const H = spec.numHeads;
  const d = spec.headDim;
  const alpha = 1 / spec.scale;
  const owned: Tensor[] = [];
  const keep = <T extends Tensor>(t: T) => (owned.push(t), t);

  // [T, H*d] → [B, H, L, d]
  const heads = (x: Tensor) => keep(be.transpose(x.reshape([B, L, H, d]), [0, 2, 1, 3]));
  const qh = heads(args.q);
  const kh = heads(args.k);
  const vh = heads(args.v);
  let scores = keep(be.matmul(qh, kh, { transB: true, alpha }));

  if (spec.c2p || spec.p2c) {
    if (!hostRelIndex) throw new Error("disentangledAttentionReference: hostRelIndex is required for c2p/p2c");
    const idx = new Int32Array(L * L);
    const idxT = new Int32Array(L * L);
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) {
        const r = hostRelIndex[i - j + L - 1];
        idx[i * L + j] = r;
        idxT[j * L + i] = r;
      }
    }
    // [2S, H*d] → [1, H, 2S, d]
    const posHeads = (p: Tensor) => keep(be.transpose(p.reshape([1, 2 * spec.span, H, d]), [0, 2, 1, 3]));
    if (spec.c2p) {
      const c2pAll = keep(be.matmul(qh, posHeads(args.posKey!), { transB: true, alpha })); // [B,H,L,2S]
      const c2p = keep(be.takeAlongAxis(c2pAll, keep(be.upload(idx, [1, 1, L, L], "i32")), 3));
      scores = keep(be.add(scores, c2p));
    }
    if (spec.p2c) {
      const p2cAll = keep(be.matmul(kh, posHeads(args.posQuery!), { transB: true, alpha })); // [B,H,L(key),2S]
      const p2cT = keep(be.takeAlongAxis(p2cAll, keep(be.upload(idxT, [1, 1, L, L], "i32")), 3)); // [.., j, i]
      scores = keep(be.add(scores, keep(be.transpose(p2cT, [0, 1, 3, 2]))));
    }
  }

  // HF's mask: m_i * m_j, [B, 1, L, L].
  let mask2d: Tensor | undefined;
  if (args.mask) {
    mask2d = keep(be.mul(args.mask.reshape([B, 1, L, 1]), args.mask.reshape([B, 1, 1, L])));
  }
  const probs = be.softmax(scores, mask2d);
  const ctxh = keep(be.matmul(probs, vh)); // [B,H,L,d]
  const context = be.transpose(ctxh, [0, 2, 1, 3]).moveTo([B * L, H * d]);
  for (const t of owned) t.dispose();
  if (args.outputAttentions) return { context, probs };
  probs.dispose();
  return { context };
}

/** Packed → padded (gather rows), attention, padded → packed (gather rows back). */
function viaPadded(be: Backend, args: AttentionArgs, hostRelIndex?: Int32Array): AttentionResult {
  const layout = args.layout as Extract<SequenceLayout, { kind: "packed" }>;
  const B = layoutBatch(layout);
  const L = layoutMaxLen(layout);
  const T = layoutTokens(layout);
  const toPadded = new Int32Array(B * L);
  const toPacked = new Int32Array(T);
  const mask = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    const start = layout.offsets[b];
    const len = layout.offsets[b + 1] - start;
    for (let i = 0; i < L; i++) {
      toPadded[b * L + i] = i < len ? start + i : start; // padding rows copy a real row; they are masked
      if (i < len) {
        mask[b * L + i] = 1;
        toPacked[start + i] = b * L + i;
      }
    }
  }
  const padIdx = be.upload(toPadded, [B * L], "i32");
  const packIdx = be.upload(toPacked, [T], "i32");
  const maskT = be.upload(mask, [B, L], "f32");
  const maskCast = args.q.dtype === "f16" ? be.cast(maskT, "f16") : maskT;
  const q = be.gather(args.q, padIdx);
  const k = be.gather(args.k, padIdx);
  const v = be.gather(args.v, padIdx);
  // The relative index table is per distance; a shorter maxLen is a slice from its middle.
  let rel = hostRelIndex;
  if (rel) {
    const fullLen = (rel.length + 1) / 2;
    rel = rel.subarray(fullLen - L, fullLen + L - 1);
  }
  const res = disentangledAttentionReference(
    be,
    { ...args, q, k, v, mask: maskCast, layout: { kind: "padded", batch: B, seqLen: L, mask: new Uint8Array(mask) } },
    rel,
  );
  const context = be.gather(res.context, packIdx);
  // Packed probabilities are 0 outside each sequence (rows of the padding would otherwise be uniform).
  let probs = res.probs;
  if (probs) {
    const zeroed = be.mul(probs, maskCast.reshape([B, 1, L, 1]));
    probs.dispose();
    probs = zeroed;
  }
  for (const t of [padIdx, packIdx, maskT, q, k, v, res.context]) t.dispose();
  if (maskCast !== maskT) maskCast.dispose();
  return { context, probs };
}

function replace(old: Tensor, next: Tensor): Tensor {
  old.dispose();
  return next;
}
