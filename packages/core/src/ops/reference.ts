/**
 * Reference fallbacks of the optional fused ops, built from the required primitives only. A backend that
 * implements just the primitives runs the whole model through these; a backend that implements a fused op
 * must give the same numbers (the conformance kit compares both). Each runs in a scope: its intermediates are
 * freed when it returns or throws.
 */
import type { Activation, AttentionArgs, AttentionResult, Backend } from "../backend.js";
import { relativeIndexTable } from "../model/relative-position.js";
import { scoped } from "../scope.js";
import type { Tensor } from "../tensor.js";
import { gridRows, packRows, packingIndex } from "./packing.js";

export function linearReference(be: Backend, x: Tensor, weight: Tensor, bias: Tensor | undefined, act?: Activation): Tensor {
  return scoped(() => {
    let y = be.matmul(x, weight, { transB: true });
    if (bias) y = be.add(y, bias);
    if (act && act !== "linear") y = be.activation(y, act);
    return y;
  });
}

export function addLayerNormReference(be: Backend, x: Tensor, residual: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  return scoped(() => be.layerNorm(be.add(x, residual), gamma, beta, eps));
}

/**
 * HF's `DisentangledSelfAttention` written with primitives, on a padded batch `[B, H, L, d]`:
 * scores = q·kᵀ/scale + gather(q·posKᵀ/scale, idx) + gather(k·posQᵀ/scale, idxᵀ)ᵀ, masked softmax, probs·v.
 * Packed layouts are gathered into a padded batch first and scattered back after.
 *
 * The `[L, L]` index tensors are built on the host from `args.spec` (`relativeIndexTable`), the same table the
 * model uploads as `args.relIndex`: no host copy of a device tensor is needed.
 */
export function disentangledAttentionReference(be: Backend, args: AttentionArgs): AttentionResult {
  return scoped(() => (args.layout.kind === "packed" ? viaPadded(be, args) : padded(be, args)));
}

function padded(be: Backend, args: AttentionArgs): AttentionResult {
  const { spec, layout } = args;
  if (layout.kind !== "padded") throw new Error("unreachable");
  const B = layout.batch;
  const L = layout.seqLen;
  const H = spec.numHeads;
  const d = spec.headDim;
  const alpha = 1 / spec.scale;

  // [T, H*d] → [B, H, L, d]
  const heads = (x: Tensor) => be.transpose(x.reshape([B, L, H, d]), [0, 2, 1, 3]);
  const qh = heads(args.q);
  const kh = heads(args.k);
  const vh = heads(args.v);
  let scores = be.matmul(qh, kh, { transB: true, alpha });

  if (spec.c2p || spec.p2c) {
    const rel = relativeIndexTable(L, spec);
    const idx = new Int32Array(L * L);
    const idxT = new Int32Array(L * L);
    for (let i = 0; i < L; i++) {
      for (let j = 0; j < L; j++) {
        const r = rel[i - j + L - 1];
        idx[i * L + j] = r;
        idxT[j * L + i] = r;
      }
    }
    // [2S, H*d] → [1, H, 2S, d]
    const posHeads = (p: Tensor) => be.transpose(p.reshape([1, 2 * spec.span, H, d]), [0, 2, 1, 3]);
    if (spec.c2p) {
      const c2pAll = be.matmul(qh, posHeads(args.posKey!), { transB: true, alpha }); // [B,H,L,2S]
      scores = be.add(scores, be.takeAlongAxis(c2pAll, be.upload(idx, [1, 1, L, L], "i32"), 3));
    }
    if (spec.p2c) {
      const p2cAll = be.matmul(kh, posHeads(args.posQuery!), { transB: true, alpha }); // [B,H,L(key),2S]
      const p2cT = be.takeAlongAxis(p2cAll, be.upload(idxT, [1, 1, L, L], "i32"), 3); // [.., j, i]
      scores = be.add(scores, be.transpose(p2cT, [0, 1, 3, 2]));
    }
  }

  // HF's mask: m_i * m_j, [B, 1, L, L].
  const mask2d = args.mask && be.mul(args.mask.reshape([B, 1, L, 1]), args.mask.reshape([B, 1, 1, L]));
  const probs = be.softmax(scores, mask2d);
  const context = be.transpose(be.matmul(probs, vh), [0, 2, 1, 3]).moveTo([B * L, H * d]);
  return args.outputAttentions ? { context, probs } : { context };
}

/** Packed → padded (gather rows), attention, padded → packed (gather rows back). */
function viaPadded(be: Backend, args: AttentionArgs): AttentionResult {
  const index = packingIndex(args.layout);
  const { batch: B, seqLen: L } = index;
  const mask = be.upload(index.mask, [B, L], args.q.dtype === "f16" ? "f16" : "f32");
  const res = padded(be, {
    ...args,
    q: gridRows(be, args.q, args.layout),
    k: gridRows(be, args.k, args.layout),
    v: gridRows(be, args.v, args.layout),
    mask,
    layout: { kind: "padded", batch: B, seqLen: L, mask: Uint8Array.from(index.mask) },
  });
  const context = packRows(be, res.context, args.layout);
  // Packed probabilities are 0 outside each sequence (rows of the padding would otherwise be uniform; columns
  // beyond a sequence are masked, so already 0).
  const probs = res.probs && be.mul(res.probs, mask.reshape([B, 1, L, 1]));
  return probs ? { context, probs } : { context };
}
