/**
 * Fused disentangled attention (content, c2p, p2c terms + masked softmax + context) over a packed or padded layout:
 * one invocation per (sequence, head, query) for the "cpu" family, query × key tiles in workgroup memory for "gpu";
 * the probabilities, when asked for, by a second dispatch of the same kernel in "probs" mode.
 */
import type { AttentionArgs, AttentionGeometry, AttentionResult } from "@deberta-js/core";
import type { PooledBuffer } from "../buffer-pool.js";
import { ATTN_ROW_WG, attentionRowKernel } from "../kernels/attention-row.wgsl.js";
import { attentionKernel, attentionParams } from "../kernels/attention.wgsl.js";
import { attentionTile, attentionTiledGrid, grid1d } from "../launch.js";
import type { OpContext } from "./context.js";

export function disentangledAttention(ctx: OpContext, args: AttentionArgs, geo: AttentionGeometry): AttentionResult {
  const { spec, layout } = args;
  const { H, D, HD, B, L: maxLen, T, relative: rel, relCentre: centre, relRows } = geo;
  const dtype = args.q.dtype;
  const context = ctx.memory.alloc([T, HD], dtype, "attention");
  const probs = args.outputAttentions ? ctx.memory.alloc([B, H, maxLen, maxLen], dtype, "attention probabilities") : undefined;
  if (!T || !B || !maxLen) return probs ? { context, probs } : { context };

  const padded = layout.kind === "padded";
  const params = attentionParams.pack({ B, H, HD, maxLen, centre, nRel: rel ? relRows : 1, padded: padded ? 1 : 0, seqLen: padded ? layout.seqLen : 0, scale: spec.scale });
  const meta = ctx.layoutMeta(layout);
  const m = ctx.memory;
  const inputs = {
    q: m.buf(args.q, "attention"),
    k: m.buf(args.k, "attention"),
    v: m.buf(args.v, "attention"),
    posK: spec.c2p ? m.buf(args.posKey!, "attention") : undefined,
    posQ: spec.p2c ? m.buf(args.posQuery!, "attention") : undefined,
    rel: rel ? m.buf(args.relIndex!, "attention") : undefined,
  };
  for (const mode of probs ? (["ctx", "probs"] as const) : (["ctx"] as const)) {
    const bindings: (PooledBuffer | undefined)[] = [undefined, inputs.q, inputs.k, mode === "ctx" ? inputs.v : undefined, inputs.posK, inputs.posQ, inputs.rel, meta];
    if (mode === "ctx") bindings[8] = m.buf(context);
    else bindings[9] = m.buf(probs!);
    const terms = { dtype, headDim: D, c2p: spec.c2p, p2c: spec.p2c, mode };
    if (ctx.kernels === "cpu") {
      ctx.recorder.dispatch(attentionRowKernel(terms), params, bindings, grid1d(B * H * maxLen, ATTN_ROW_WG));
      continue;
    }
    const tile = attentionTile({ headDim: D, maxLen, c2p: spec.c2p, p2c: spec.p2c, mode }, ctx.maxWorkgroupStorage);
    ctx.recorder.dispatch(attentionKernel({ ...terms, bq: tile, bk: tile }), params, bindings, attentionTiledGrid(maxLen, tile, H, B));
  }
  return probs ? { context, probs } : { context };
}
