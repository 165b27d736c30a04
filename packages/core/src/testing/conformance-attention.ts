/** The conformance kit's disentangled-attention cases (padded and packed layouts, c2p/p2c, buckets, probs). */
import type { AttentionSpec, Backend } from "../backend.js";
import type { FloatDType } from "../dtype.js";
import { layoutMaxLen, layoutTokens, packedLayout, paddedLayout, type SequenceLayout } from "../layout.js";
import { relativeIndexTable } from "../model/relative-position.js";
import { disentangledAttentionReference } from "../ops/reference.js";
import { absHost, type CaseBuilder, host, type InputDef, out } from "./conformance-builder.js";
import { refDisentangledAttention } from "./reference-ops.js";

export interface AttentionCaseSpec {
  name: string;
  layout: SequenceLayout;
  numHeads: number;
  headDim: number;
  c2p: boolean;
  p2c: boolean;
  /** Attention span S (posKey/posQuery have 2S rows). */
  span: number;
  /** position_buckets (0: none) and max_position_embeddings, to build relIndex. */
  buckets: number;
  maxPosition: number;
  outputAttentions: boolean;
  /** Mask dtype for padded layouts (default f32, as the contract says). */
  maskDtype?: FloatDType;
}

/** `relativeIndexTable` with its spec spelled out (kept for kit users). */
export function buildRelIndex(maxLen: number, span: number, buckets: number, maxPosition: number): Int32Array {
  return relativeIndexTable(maxLen, { span, buckets, maxPosition });
}

function attentionCaseSpecs(dt: FloatDType): AttentionCaseSpec[] {
  const base = { buckets: 0, maxPosition: 512, outputAttentions: false };
  const mask2x7 = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1];
  const mask3x17 = [...Array.from({ length: 17 }, (_, i) => (i < 11 ? 1 : 0)), ...Array.from({ length: 17 }, (_, i) => (i >= 4 ? 1 : 0)), ...new Array(17).fill(0)];
  const list: AttentionCaseSpec[] = [
    { ...base, name: "padded B=2 L=7 c2p+p2c span=4 (clamped)", layout: paddedLayout(2, 7, mask2x7), numHeads: 2, headDim: 5, c2p: true, p2c: true, span: 4, outputAttentions: true },
    {
      ...base,
      name: "padded B=3 L=17 c2p+p2c buckets=8 (fully padded sequence)",
      layout: paddedLayout(3, 17, mask3x17),
      numHeads: 3,
      headDim: 8,
      c2p: true,
      p2c: true,
      span: 8,
      buckets: 8,
      maxPosition: 64,
      outputAttentions: true,
    },
    { ...base, name: "padded B=2 L=9 c2p only span=16", layout: paddedLayout(2, 9, [1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]), numHeads: 2, headDim: 4, c2p: true, p2c: false, span: 16 },
    { ...base, name: "padded B=2 L=9 p2c only span=16", layout: paddedLayout(2, 9, [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]), numHeads: 2, headDim: 4, c2p: false, p2c: true, span: 16, outputAttentions: true },
    { ...base, name: "padded B=2 L=5 no relative terms", layout: paddedLayout(2, 5, [1, 1, 1, 0, 0, 1, 1, 1, 1, 1]), numHeads: 1, headDim: 3, c2p: false, p2c: false, span: 4, outputAttentions: true },
    { ...base, name: "padded B=2 L=1 (one sequence fully padded)", layout: paddedLayout(2, 1, [1, 0]), numHeads: 1, headDim: 1, c2p: true, p2c: true, span: 1, outputAttentions: true },
    { ...base, name: "padded B=1 L=33 d=64 c2p+p2c buckets=32", layout: paddedLayout(1, 33), numHeads: 2, headDim: 64, c2p: true, p2c: true, span: 32, buckets: 32, maxPosition: 256 },
    { ...base, name: "packed [1,3,7,17] c2p+p2c buckets=4 (clamped)", layout: packedLayout([1, 3, 7, 17]), numHeads: 2, headDim: 6, c2p: true, p2c: true, span: 4, buckets: 4, maxPosition: 32, outputAttentions: true },
    { ...base, name: "packed [5] c2p+p2c span=64", layout: packedLayout([5]), numHeads: 4, headDim: 16, c2p: true, p2c: true, span: 64 },
    { ...base, name: "packed [2,1,9,4,33] c2p+p2c buckets=16", layout: packedLayout([2, 1, 9, 4, 33]), numHeads: 2, headDim: 8, c2p: true, p2c: true, span: 16, buckets: 16, maxPosition: 128 },
    { ...base, name: "packed [3,1,6] c2p only", layout: packedLayout([3, 1, 6]), numHeads: 3, headDim: 4, c2p: true, p2c: false, span: 3, outputAttentions: true },
    { ...base, name: "packed [4,7] p2c only", layout: packedLayout([4, 7]), numHeads: 1, headDim: 8, c2p: false, p2c: true, span: 8 },
    { ...base, name: "packed [1,5] no relative terms", layout: packedLayout([1, 5]), numHeads: 2, headDim: 3, c2p: false, p2c: false, span: 4, outputAttentions: true },
  ];
  if (dt === "f16") {
    list.push({ ...list[0], name: list[0].name + " (f16 mask)", maskDtype: "f16" });
  }
  return list;
}

export function attentionCases(cb: CaseBuilder, be: Backend) {
  const dt = cb.dt;
  for (const s of attentionCaseSpecs(dt)) {
    const T = layoutTokens(s.layout);
    const L = layoutMaxLen(s.layout);
    const HD = s.numHeads * s.headDim;
    const spec: AttentionSpec = {
      numHeads: s.numHeads,
      headDim: s.headDim,
      c2p: s.c2p,
      p2c: s.p2c,
      scale: Math.sqrt(s.headDim * (1 + (s.c2p ? 1 : 0) + (s.p2c ? 1 : 0))),
      span: s.span,
      buckets: s.buckets,
      maxPosition: s.maxPosition,
    };
    const q = cb.normal("q", [T, HD], 2);
    const k = cb.normal("k", [T, HD], 1.5);
    const v = cb.normal("v", [T, HD]);
    const inputs = [q, k, v];
    const posKey = s.c2p ? cb.normal("posKey", [2 * s.span, HD], 1.5) : undefined;
    const posQuery = s.p2c ? cb.normal("posQuery", [2 * s.span, HD], 1.5) : undefined;
    const rel = s.c2p || s.p2c ? buildRelIndex(L, s.span, s.buckets, s.maxPosition) : undefined;
    const relIn = rel && cb.values("relIndex", [rel.length], rel, "i32");
    const maskIn = s.layout.kind === "padded" ? cb.values("mask", [s.layout.batch, s.layout.seqLen], s.layout.mask, s.maskDtype ?? "f32") : undefined;
    const slot = (x?: InputDef) => (x ? inputs.push(x) - 1 : -1);
    const iPk = slot(posKey);
    const iPq = slot(posQuery);
    const iRel = slot(relIn);
    const iMask = slot(maskIn);
    const refArgs = {
      q: host(q),
      k: host(k),
      v: host(v),
      posKey: posKey && host(posKey),
      posQuery: posQuery && host(posQuery),
      relIndex: rel,
      layout: s.layout,
      spec,
      dtype: dt,
    };
    const fused = !!be.disentangledAttention;
    cb.add({
      op: "disentangledAttention",
      name: `${s.name} H=${s.numHeads} d=${s.headDim}${s.outputAttentions ? " +probs" : ""}`,
      inputs,
      run: (b, t) => {
        const args = {
          q: t[0],
          k: t[1],
          v: t[2],
          posKey: iPk >= 0 ? t[iPk] : undefined,
          posQuery: iPq >= 0 ? t[iPq] : undefined,
          relIndex: iRel >= 0 ? t[iRel] : undefined,
          mask: iMask >= 0 ? t[iMask] : undefined,
          layout: s.layout,
          spec,
          outputAttentions: s.outputAttentions,
        };
        const r = b.disentangledAttention ? b.disentangledAttention(args) : disentangledAttentionReference(b, args);
        return r.probs ? [r.context, r.probs] : [r.context];
      },
      expected: () => {
        const r = refDisentangledAttention(refArgs);
        const ctxMag = refDisentangledAttention({ ...refArgs, v: absHost(v) }).context.data;
        const res = [out("context", r.context, dt, { mag: ctxMag, magName: "Σ p·|v|" })];
        if (s.outputAttentions) {
          let care: Uint8Array | undefined;
          if (!fused && s.layout.kind === "packed") {
            // core's fallback computes packed sequences padded: rows beyond a sequence's length are not defined there.
            care = packedProbsCare(s.layout.offsets, s.numHeads, L);
          }
          res.push(out("probs", r.probs, dt, { care }));
        }
        return res;
      },
    });
  }
}

function packedProbsCare(offsets: Int32Array, H: number, L: number): Uint8Array {
  const B = offsets.length - 1;
  const care = new Uint8Array(B * H * L * L);
  for (let b = 0; b < B; b++) {
    const n = offsets[b + 1] - offsets[b];
    for (let h = 0; h < H; h++) for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) care[((b * H + h) * L + i) * L + j] = 1;
  }
  return care;
}

