/**
 * Fused disentangled attention, FlashAttention style: one block per (query tile, head), an online softmax over key
 * tiles, and no `[batch, heads, L, L]` tensor anywhere.
 *
 * For a query tile starting at q0 and a key tile starting at j0 every pair (i, j) has a distance
 * `i - j = (q0 - j0) + w - (BC - 1)` for a window index `w` in `[0, BR + BC - 1)`. The block gathers, per key tile,
 * the rows `relIdx[dist + relCenter]` of the projected relative embeddings posKey / posQuery for those windows
 * (the bucket index of each distance is a lookup in the i32 table core computed with HF's float32 arithmetic, so it
 * matches PyTorch bit for bit) and computes
 *
 *   c2p[i][w] = q_i · posKey[row(w)]     p2c[j][w] = k_j · posQuery[row(w)]
 *
 * for just the windows the tile needs, then `s = (q·k + c2p + p2c) / scale`.
 *
 * Masking (HF semantics, `m` the 0/1 token mask, all ones for packed layouts): a key j ≥ the sequence length does
 * not exist; for a real query row (m_i = 1) keys with m_j = 0 are excluded (exp of `finfo.min - max` is exactly 0
 * in HF too); a fully padded query row (m_i = 0) sees every score equal, so its softmax is uniform over all keys of
 * its sequence — exactly HF's `masked_fill(finfo.min)` result. Key tiles with no valid key are skipped unless the
 * query tile has a padded row.
 *
 * Sequences: `offsets[b] .. offsets[b+1]` are the token rows of sequence b (padded layouts: b * seqLen); `tiles`
 * holds (sequence, first query) per block, so a packed batch launches exactly the tiles its real tokens need.
 *
 * Two kernels:
 *  - `djs_attn_scalar_<t>_d<DP>`: f32 math on CUDA cores, 32 × 32 tiles, 128 threads (4 per query row). Every
 *    dtype; the parity path for f32.
 *  - `djs_attn_mma_<t>_d<DP>`: f16 / bf16 tensor cores (`mma.sync.m16n8k16`, f32 accumulation, sm_80+),
 *    64 × 64 tiles, 4 warps of 16 query rows; softmax statistics in f32, P rounded to the storage type for P·V.
 * `DP` is the head size rounded up to 16 / 32 / 64 / 128 (zero padded). Dynamic shared memory, sized by
 * `attentionSmemBytes` in `src/attention-plan.ts` (the same formulas as below).
 */
export const ATTENTION_SOURCE = String.raw`
/* ───────────────────────────── tensor-core helpers ───────────────────────────── */
DJS_DEV void djs_mma_16816(float* c, djs_u32 a0, djs_u32 a1, djs_u32 a2, djs_u32 a3, djs_u32 b0, djs_u32 b1, const h16*) {
#if defined(DJS_EMU)
  djs_emu_mma(c, a0, a1, a2, a3, b0, b1, 0);
#elif __CUDA_ARCH__ >= 800
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#else
  asm volatile("trap;"); /* the host never launches the tensor-core kernel below sm_80 */
#endif
}
DJS_DEV void djs_mma_16816(float* c, djs_u32 a0, djs_u32 a1, djs_u32 a2, djs_u32 a3, djs_u32 b0, djs_u32 b1, const b16*) {
#if defined(DJS_EMU)
  djs_emu_mma(c, a0, a1, a2, a3, b0, b1, 1);
#elif __CUDA_ARCH__ >= 800
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
               : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
               : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
#else
  asm volatile("trap;"); /* the host never launches the tensor-core kernel below sm_80 */
#endif
}

DJS_DEV djs_u32 djs_lds32(const djs_u16* p) { return *(const djs_u32*)p; }

/* 16 bytes (8 halves), for vectorised tile loads. */
struct alignas(16) djs_v16 { djs_u32 x, y, z, w; };

/* 0/1/-1 flag of key j: 1 a valid key, 0 a padded key, -1 beyond the sequence. */
DJS_DEV float djs_key_flag(int j, int n, const void* mask, int maskKind, int base) {
  if (j >= n) return -1.0f;
  return (maskKind == 0 || djs_mask_on(mask, maskKind, base + j)) ? 1.0f : 0.0f;
}

/* ───────────────────────────── scalar kernel (any dtype) ───────────────────────────── */
template <typename T, int DP>
DJS_DEV void djs_attn_scalar_impl(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                                  const T* __restrict__ pk, const T* __restrict__ pq, const int* __restrict__ relIdx,
                                  int relCenter, int relLen, const void* __restrict__ mask, int maskKind,
                                  T* __restrict__ out, const int* __restrict__ offsets, const int* __restrict__ tiles,
                                  int ld, int headDim, int flags, float scaleLog2) {
  constexpr int BR = 32, BC = 32, NW = BR + BC - 1, LDS = DP + 1, PS = BC + 1, DQ = DP / 4;
  const bool c2p = (flags & 1) != 0, p2c = (flags & 2) != 0;
  DJS_DYN_SMEM(smem);
  float* Qs = (float*)smem;
  float* Ks = Qs + BR * LDS;
  float* Vs = Ks + BC * LDS;
  float* PKs = Vs + BC * LDS;
  float* PQs = PKs + (c2p ? NW * LDS : 0);
  float* Ps = PQs + (p2c ? NW * LDS : 0);
  float* keyOk = Ps + BR * PS;

  const int tid = threadIdx.x;
  const int seq = tiles[2 * blockIdx.x], q0 = tiles[2 * blockIdx.x + 1];
  const int base = offsets[seq], n = offsets[seq + 1] - base;
  const djs_i64 hoff = (djs_i64)blockIdx.y * headDim;

  for (int e = tid; e < BR * DP; e += blockDim.x) {
    int r = e / DP, c = e - r * DP, i = q0 + r;
    Qs[r * LDS + c] = (i < n && c < headDim) ? djs_ld(q, (djs_i64)(base + i) * ld + hoff + c) : 0.0f;
  }
  const int r = tid >> 2, quarter = tid & 3;
  const int qi = q0 + r;
  const bool rowMasked = qi < n && maskKind != 0 && !djs_mask_on(mask, maskKind, base + qi);
  const int anyRowMasked = __syncthreads_or(rowMasked ? 1 : 0);

  float o[DQ];
#pragma unroll
  for (int c = 0; c < DQ; ++c) o[c] = 0.0f;
  float mrow = -djs_inf(), lrow = 0.0f;

  for (int j0 = 0; j0 < n; j0 += BC) {
    __syncthreads();
    for (int e = tid; e < BC * DP; e += blockDim.x) {
      int jr = e / DP, c = e - jr * DP, j = j0 + jr;
      bool ok = j < n && c < headDim;
      djs_i64 off = (djs_i64)(base + j) * ld + hoff + c;
      Ks[jr * LDS + c] = ok ? djs_ld(k, off) : 0.0f;
      Vs[jr * LDS + c] = ok ? djs_ld(v, off) : 0.0f;
    }
    int anyKey = 0;
    if (tid < BC) {
      float f = djs_key_flag(j0 + tid, n, mask, maskKind, base);
      keyOk[tid] = f;
      anyKey = f > 0.0f;
    }
    if (c2p || p2c) {
      for (int e = tid; e < NW * DP; e += blockDim.x) {
        int w = e / DP, c = e - w * DP;
        int ri = q0 - j0 + w - (BC - 1) + relCenter;
        ri = ri < 0 ? 0 : (ri >= relLen ? relLen - 1 : ri);
        djs_i64 off = (djs_i64)relIdx[ri] * ld + hoff + c;
        if (c2p) PKs[w * LDS + c] = c < headDim ? djs_ld(pk, off) : 0.0f;
        if (p2c) PQs[w * LDS + c] = c < headDim ? djs_ld(pq, off) : 0.0f;
      }
    }
    if (!__syncthreads_or(anyKey) && !anyRowMasked) continue;

    float s[BC / 4];
    float tmax = -djs_inf();
    const float* qr = Qs + r * LDS;
#pragma unroll
    for (int t = 0; t < BC / 4; ++t) {
      const int jl = quarter + 4 * t;
      const float kf = keyOk[jl];
      float val;
      if (kf < 0.0f) val = -djs_inf();
      else if (rowMasked) val = 0.0f;
      else if (kf == 0.0f) val = -djs_inf();
      else {
        const float* kr = Ks + jl * LDS;
        float acc = 0.0f;
#pragma unroll 8
        for (int c = 0; c < DP; ++c) acc += qr[c] * kr[c];
        const int w = r - jl + (BC - 1);
        if (c2p) {
          const float* pr = PKs + w * LDS;
          float a = 0.0f;
#pragma unroll 8
          for (int c = 0; c < DP; ++c) a += qr[c] * pr[c];
          acc += a;
        }
        if (p2c) {
          const float* pr = PQs + w * LDS;
          float a = 0.0f;
#pragma unroll 8
          for (int c = 0; c < DP; ++c) a += kr[c] * pr[c];
          acc += a;
        }
        val = acc * scaleLog2;
      }
      s[t] = val;
      tmax = fmaxf(tmax, val);
    }
    tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, 1));
    tmax = fmaxf(tmax, __shfl_xor_sync(0xffffffffu, tmax, 2));
    const float mnew = fmaxf(mrow, tmax);
    const float mref = mnew == -djs_inf() ? 0.0f : mnew;
    const float corr = exp2f(mrow - mref);
    float psum = 0.0f;
#pragma unroll
    for (int t = 0; t < BC / 4; ++t) {
      float p = exp2f(s[t] - mref);
      psum += p;
      Ps[r * PS + quarter + 4 * t] = p;
    }
    psum += __shfl_xor_sync(0xffffffffu, psum, 1);
    psum += __shfl_xor_sync(0xffffffffu, psum, 2);
    lrow = lrow * corr + psum;
    mrow = mnew;
#pragma unroll
    for (int c = 0; c < DQ; ++c) o[c] *= corr;
    __syncwarp();
    for (int jl = 0; jl < BC; ++jl) {
      const float p = Ps[r * PS + jl];
      const float* vr = Vs + jl * LDS + quarter;
#pragma unroll
      for (int c = 0; c < DQ; ++c) o[c] += p * vr[4 * c];
    }
  }
  if (qi < n) {
    const float inv = 1.0f / lrow;
#pragma unroll
    for (int c = 0; c < DQ; ++c) {
      const int col = quarter + 4 * c;
      if (col < headDim) djs_st(out, (djs_i64)(base + qi) * ld + hoff + col, o[c] * inv);
    }
  }
}

/* ───────────────────────────── tensor-core kernel (f16 / bf16) ───────────────────────────── */
template <typename T, int DP>
DJS_DEV void djs_attn_mma_impl(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v,
                               const T* __restrict__ pk, const T* __restrict__ pq, const int* __restrict__ relIdx,
                               int relCenter, int relLen, const void* __restrict__ mask, int maskKind,
                               T* __restrict__ out, const int* __restrict__ offsets, const int* __restrict__ tiles,
                               int ld, int headDim, int flags, float scaleLog2) {
  constexpr int BR = 64, BC = 64, NW = 128, DPS = DP + 8, VTS = BC + 8, CW = 80, CWS = 84, KS = DP / 16, DN = DP / 8;
  (void)BR;
  const bool c2p = (flags & 1) != 0, p2c = (flags & 2) != 0;
  DJS_DYN_SMEM(smem);
  djs_u16* Ks = (djs_u16*)smem;
  djs_u16* Vt = Ks + BC * DPS;
  djs_u16* PKw = Vt + DP * VTS;
  djs_u16* PQw = PKw + (c2p ? NW * DPS : 0);
  float* C2P = (float*)(PQw + (p2c ? NW * DPS : 0));
  float* P2C = C2P + (c2p ? 4 * 16 * CWS : 0);
  float* keyOk = P2C + (p2c ? 4 * 16 * CWS : 0);
  const djs_u16* qb16 = (const djs_u16*)q;
  const djs_u16* kb16 = (const djs_u16*)k;
  const djs_u16* vb16 = (const djs_u16*)v;
  const djs_u16* pkb16 = (const djs_u16*)pk;
  const djs_u16* pqb16 = (const djs_u16*)pq;
  const T* tag = (const T*)0;

  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31, g = lane >> 2, t4 = lane & 3;
  const int seq = tiles[2 * blockIdx.x], q0 = tiles[2 * blockIdx.x + 1];
  const int base = offsets[seq], n = offsets[seq + 1] - base;
  const djs_i64 hoff = (djs_i64)blockIdx.y * headDim;

  /* Q fragments (A operand, row-major 16 x 16 per k-step) straight from global memory. */
  const int qa = q0 + 16 * warp + g, qb = qa + 8;
  djs_u32 qf[KS][4];
#pragma unroll
  for (int kk = 0; kk < KS; ++kk) {
#pragma unroll
    for (int rr = 0; rr < 4; ++rr) {
      const int row = (rr & 1) ? qb : qa;
      const int col = 16 * kk + 2 * t4 + ((rr & 2) ? 8 : 0);
      djs_u16 lo = 0, hi = 0;
      if (row < n) {
        const djs_i64 off = (djs_i64)(base + row) * ld + hoff + col;
        if (col < headDim) lo = qb16[off];
        if (col + 1 < headDim) hi = qb16[off + 1];
      }
      qf[kk][rr] = djs_pack2(lo, hi);
    }
  }
  const bool maskA = qa < n && maskKind != 0 && !djs_mask_on(mask, maskKind, base + qa);
  const bool maskB = qb < n && maskKind != 0 && !djs_mask_on(mask, maskKind, base + qb);
  const int anyRowMasked = __syncthreads_or((maskA || maskB) ? 1 : 0);

  float o[DN][4];
#pragma unroll
  for (int dn = 0; dn < DN; ++dn) o[dn][0] = o[dn][1] = o[dn][2] = o[dn][3] = 0.0f;
  float mA = -djs_inf(), mB = -djs_inf(), lA = 0.0f, lB = 0.0f;

  /* 16-byte loads when every row of every head starts 16-byte aligned (head size = DP, row length % 8 == 0). */
  const bool vec = headDim == DP && (ld & 7) == 0;
  constexpr int V8 = DP / 8;

  for (int j0 = 0; j0 < n; j0 += BC) {
    __syncthreads();
    if (vec) {
      for (int e = tid; e < BC * V8; e += blockDim.x) {
        const int jr = e / V8, c = (e - jr * V8) * 8, j = j0 + jr;
        djs_v16 kv = {0u, 0u, 0u, 0u}, vv = {0u, 0u, 0u, 0u};
        if (j < n) {
          const djs_i64 off = (djs_i64)(base + j) * ld + hoff + c;
          kv = *(const djs_v16*)(kb16 + off);
          vv = *(const djs_v16*)(vb16 + off);
        }
        *(djs_v16*)(Ks + jr * DPS + c) = kv;
        const djs_u32 vw[4] = {vv.x, vv.y, vv.z, vv.w};
#pragma unroll
        for (int t = 0; t < 8; ++t) Vt[(c + t) * VTS + jr] = (djs_u16)(vw[t >> 1] >> ((t & 1) * 16));
      }
    } else {
      for (int e = tid; e < BC * DP; e += blockDim.x) {
        const int jr = e / DP, c = e - jr * DP, j = j0 + jr;
        djs_u16 kv = 0, vv = 0;
        if (j < n && c < headDim) {
          const djs_i64 off = (djs_i64)(base + j) * ld + hoff + c;
          kv = kb16[off];
          vv = vb16[off];
        }
        Ks[jr * DPS + c] = kv;
        Vt[c * VTS + jr] = vv;
      }
    }
    int anyKey = 0;
    if (tid < BC) {
      const float f = djs_key_flag(j0 + tid, n, mask, maskKind, base);
      keyOk[tid] = f;
      anyKey = f > 0.0f;
    }
    if (c2p || p2c) {
      if (vec) {
        for (int e = tid; e < NW * V8; e += blockDim.x) {
          const int w = e / V8, c = (e - w * V8) * 8;
          int ri = q0 - j0 + w - (BC - 1) + relCenter;
          ri = ri < 0 ? 0 : (ri >= relLen ? relLen - 1 : ri);
          const djs_i64 off = (djs_i64)relIdx[ri] * ld + hoff + c;
          if (c2p) *(djs_v16*)(PKw + w * DPS + c) = *(const djs_v16*)(pkb16 + off);
          if (p2c) *(djs_v16*)(PQw + w * DPS + c) = *(const djs_v16*)(pqb16 + off);
        }
      } else {
        for (int e = tid; e < NW * DP; e += blockDim.x) {
          const int w = e / DP, c = e - w * DP;
          int ri = q0 - j0 + w - (BC - 1) + relCenter;
          ri = ri < 0 ? 0 : (ri >= relLen ? relLen - 1 : ri);
          const djs_i64 off = (djs_i64)relIdx[ri] * ld + hoff + c;
          if (c2p) PKw[w * DPS + c] = c < headDim ? pkb16[off] : (djs_u16)0;
          if (p2c) PQw[w * DPS + c] = c < headDim ? pqb16[off] : (djs_u16)0;
        }
      }
    }
    if (!__syncthreads_or(anyKey) && !anyRowMasked) continue;

    /* S = Q K^T: 8 n-tiles of 8 keys. */
    float s[BC / 8][4];
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt) {
      s[nt][0] = s[nt][1] = s[nt][2] = s[nt][3] = 0.0f;
#pragma unroll
      for (int kk = 0; kk < KS; ++kk) {
        const djs_u16* kr = Ks + (nt * 8 + g) * DPS + 16 * kk + 2 * t4;
        djs_mma_16816(s[nt], qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], djs_lds32(kr), djs_lds32(kr + 8), tag);
      }
    }
    if (c2p) {
      /* c2p[i][w] for this warp's 16 rows and its 80 windows 16*warp .. 16*warp + 79. */
      float acc[CW / 8][4];
      const int wb = 16 * warp;
#pragma unroll
      for (int nt = 0; nt < CW / 8; ++nt) {
        acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < KS; ++kk) {
          const djs_u16* pr = PKw + (wb + nt * 8 + g) * DPS + 16 * kk + 2 * t4;
          djs_mma_16816(acc[nt], qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3], djs_lds32(pr), djs_lds32(pr + 8), tag);
        }
      }
      float* C = C2P + warp * 16 * CWS;
#pragma unroll
      for (int nt = 0; nt < CW / 8; ++nt) {
        const int col = nt * 8 + 2 * t4;
        C[g * CWS + col] = acc[nt][0];
        C[g * CWS + col + 1] = acc[nt][1];
        C[(g + 8) * CWS + col] = acc[nt][2];
        C[(g + 8) * CWS + col + 1] = acc[nt][3];
      }
    }
    if (p2c) {
      /* p2c[j][w] for this warp's 16 keys 16*warp .. and their 80 windows 48 - 16*warp .. */
      const int kb = 16 * warp;
      djs_u32 kf[KS][4];
#pragma unroll
      for (int kk = 0; kk < KS; ++kk) {
        const djs_u16* ra = Ks + (kb + g) * DPS + 16 * kk + 2 * t4;
        const djs_u16* rb = Ks + (kb + g + 8) * DPS + 16 * kk + 2 * t4;
        kf[kk][0] = djs_lds32(ra);
        kf[kk][1] = djs_lds32(rb);
        kf[kk][2] = djs_lds32(ra + 8);
        kf[kk][3] = djs_lds32(rb + 8);
      }
      float acc[CW / 8][4];
      const int wb = 48 - 16 * warp;
#pragma unroll
      for (int nt = 0; nt < CW / 8; ++nt) {
        acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < KS; ++kk) {
          const djs_u16* pr = PQw + (wb + nt * 8 + g) * DPS + 16 * kk + 2 * t4;
          djs_mma_16816(acc[nt], kf[kk][0], kf[kk][1], kf[kk][2], kf[kk][3], djs_lds32(pr), djs_lds32(pr + 8), tag);
        }
      }
      float* P = P2C + warp * 16 * CWS;
#pragma unroll
      for (int nt = 0; nt < CW / 8; ++nt) {
        const int col = nt * 8 + 2 * t4;
        P[g * CWS + col] = acc[nt][0];
        P[g * CWS + col + 1] = acc[nt][1];
        P[(g + 8) * CWS + col] = acc[nt][2];
        P[(g + 8) * CWS + col + 1] = acc[nt][3];
      }
    }
    if (c2p || p2c) __syncthreads();

    /* Scores, masks, online softmax. Thread rows: ia (e = 0, 1) and ia + 8 (e = 2, 3). */
    const int ia = 16 * warp + g;
    float tmA = -djs_inf(), tmB = -djs_inf();
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt) {
#pragma unroll
      for (int e = 0; e < 4; ++e) {
        const int il = e < 2 ? ia : ia + 8;
        const int jl = nt * 8 + 2 * t4 + (e & 1);
        const float kflag = keyOk[jl];
        const bool rm = e < 2 ? maskA : maskB;
        float val;
        if (kflag < 0.0f) val = -djs_inf();
        else if (rm) val = 0.0f;
        else if (kflag == 0.0f) val = -djs_inf();
        else {
          float x = s[nt][e];
          if (c2p) x += C2P[warp * 16 * CWS + (il - 16 * warp) * CWS + (il - jl + 63 - 16 * warp)];
          if (p2c) {
            const int u = jl >> 4;
            x += P2C[u * 16 * CWS + (jl & 15) * CWS + (il - jl + 15 + 16 * u)];
          }
          val = x * scaleLog2;
        }
        s[nt][e] = val;
        if (e < 2) tmA = fmaxf(tmA, val);
        else tmB = fmaxf(tmB, val);
      }
    }
    tmA = fmaxf(tmA, __shfl_xor_sync(0xffffffffu, tmA, 1));
    tmA = fmaxf(tmA, __shfl_xor_sync(0xffffffffu, tmA, 2));
    tmB = fmaxf(tmB, __shfl_xor_sync(0xffffffffu, tmB, 1));
    tmB = fmaxf(tmB, __shfl_xor_sync(0xffffffffu, tmB, 2));
    const float mnA = fmaxf(mA, tmA), mnB = fmaxf(mB, tmB);
    const float refA = mnA == -djs_inf() ? 0.0f : mnA, refB = mnB == -djs_inf() ? 0.0f : mnB;
    const float corrA = exp2f(mA - refA), corrB = exp2f(mB - refB);
    float sumA = 0.0f, sumB = 0.0f;
#pragma unroll
    for (int nt = 0; nt < BC / 8; ++nt) {
      s[nt][0] = exp2f(s[nt][0] - refA);
      s[nt][1] = exp2f(s[nt][1] - refA);
      s[nt][2] = exp2f(s[nt][2] - refB);
      s[nt][3] = exp2f(s[nt][3] - refB);
      sumA += s[nt][0] + s[nt][1];
      sumB += s[nt][2] + s[nt][3];
    }
    sumA += __shfl_xor_sync(0xffffffffu, sumA, 1);
    sumA += __shfl_xor_sync(0xffffffffu, sumA, 2);
    sumB += __shfl_xor_sync(0xffffffffu, sumB, 1);
    sumB += __shfl_xor_sync(0xffffffffu, sumB, 2);
    lA = lA * corrA + sumA;
    lB = lB * corrB + sumB;
    mA = mnA;
    mB = mnB;
#pragma unroll
    for (int dn = 0; dn < DN; ++dn) {
      o[dn][0] *= corrA;
      o[dn][1] *= corrA;
      o[dn][2] *= corrB;
      o[dn][3] *= corrB;
    }
    /* O += P V: the S accumulators are already in the A-operand layout (two n-tiles per k-step). */
#pragma unroll
    for (int kk = 0; kk < BC / 16; ++kk) {
      const djs_u32 a0 = djs_pack2(djs_bits(s[2 * kk][0], tag), djs_bits(s[2 * kk][1], tag));
      const djs_u32 a1 = djs_pack2(djs_bits(s[2 * kk][2], tag), djs_bits(s[2 * kk][3], tag));
      const djs_u32 a2 = djs_pack2(djs_bits(s[2 * kk + 1][0], tag), djs_bits(s[2 * kk + 1][1], tag));
      const djs_u32 a3 = djs_pack2(djs_bits(s[2 * kk + 1][2], tag), djs_bits(s[2 * kk + 1][3], tag));
#pragma unroll
      for (int dn = 0; dn < DN; ++dn) {
        const djs_u16* vr = Vt + (dn * 8 + g) * VTS + 16 * kk + 2 * t4;
        djs_mma_16816(o[dn], a0, a1, a2, a3, djs_lds32(vr), djs_lds32(vr + 8), tag);
      }
    }
  }
  const float invA = 1.0f / lA, invB = 1.0f / lB;
#pragma unroll
  for (int dn = 0; dn < DN; ++dn) {
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int row = e < 2 ? qa : qb;
      const int col = dn * 8 + 2 * t4 + (e & 1);
      if (row < n && col < headDim) djs_st(out, (djs_i64)(base + row) * ld + hoff + col, o[dn][e] * (e < 2 ? invA : invB));
    }
  }
}

#define DJS_ATTN_ARGS(T) const T* q, const T* k, const T* v, const T* pk, const T* pq, const int* relIdx, int relCenter, \
  int relLen, const void* mask, int maskKind, T* out, const int* offsets, const int* tiles, int ld, int headDim, int flags, float scaleLog2
#define DJS_ATTN_PASS q, k, v, pk, pq, relIdx, relCenter, relLen, mask, maskKind, out, offsets, tiles, ld, headDim, flags, scaleLog2

#define DJS_ATTN_SCALAR(SUF, T, DP) \
  DJS_KERNEL void __launch_bounds__(128) djs_attn_scalar_##SUF##_d##DP(DJS_ATTN_ARGS(T)) { djs_attn_scalar_impl<T, DP>(DJS_ATTN_PASS); }
#define DJS_ATTN_MMA(SUF, T, DP) \
  DJS_KERNEL void __launch_bounds__(128) djs_attn_mma_##SUF##_d##DP(DJS_ATTN_ARGS(T)) { djs_attn_mma_impl<T, DP>(DJS_ATTN_PASS); }

DJS_ATTN_SCALAR(f32, float, 16)
DJS_ATTN_SCALAR(f32, float, 32)
DJS_ATTN_SCALAR(f32, float, 64)
DJS_ATTN_SCALAR(f32, float, 128)
DJS_ATTN_SCALAR(f16, h16, 16)
DJS_ATTN_SCALAR(f16, h16, 32)
DJS_ATTN_SCALAR(f16, h16, 64)
DJS_ATTN_SCALAR(f16, h16, 128)
DJS_ATTN_SCALAR(bf16, b16, 16)
DJS_ATTN_SCALAR(bf16, b16, 32)
DJS_ATTN_SCALAR(bf16, b16, 64)
DJS_ATTN_SCALAR(bf16, b16, 128)
DJS_ATTN_MMA(f16, h16, 16)
DJS_ATTN_MMA(f16, h16, 32)
DJS_ATTN_MMA(f16, h16, 64)
DJS_ATTN_MMA(f16, h16, 128)
DJS_ATTN_MMA(bf16, b16, 16)
DJS_ATTN_MMA(bf16, b16, 32)
DJS_ATTN_MMA(bf16, b16, 64)
DJS_ATTN_MMA(bf16, b16, 128)
`;
