/*
 * Packed SGEMM: B (the weight) is packed once at load into NR-wide panels [K][NR]; A is read in place. Loops, outer
 * to inner: row blocks of MC (A block in L2), K blocks of ≤ KC (one B panel block in L1), panels, MR-row tiles; an
 * MR × NR register tile accumulates in vectors. The epilogue (bias, exact GELU) is applied to the registers of the
 * last K block, before the only store of the finished tile.
 */
#include "gemm.h"
#include "pool.h"
#include <stdlib.h>
#if DJ_ISA == DJ_WASM || DJ_ISA == DJ_WASM_RELAXED
#define DJ_PACK_A 1 /* see ukernel_packed */
#endif

/* K block. WASM: 512 (a [512][8] B panel, 16 KiB, and a [512][4] A tile stay in L1; measured 4–5% faster than 256
   per CPU-second at M = 128 and 1024); the native ISAs' wider panels keep 256. */
#ifndef KC
#ifdef DJ_PACK_A
#define KC 512
#else
#define KC 256
#endif
#endif
#ifndef KU
#define KU 1
#endif

void KFN(dj_pack_b)(const float* w, int n, int k, float* out) {
  int panels = (n + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    float* dst = out + (long)p * k * NR;
    int cols = n - p * NR < NR ? n - p * NR : NR;
    for (int kk = 0; kk < k; kk++) {
      for (int c = 0; c < cols; c++) dst[kk * NR + c] = w[(long)(p * NR + c) * k + kk];
      for (int c = cols; c < NR; c++) dst[kk * NR + c] = 0;
    }
  }
}

void KFN(dj_pack_b_rows)(const float* b, long ldb, int k, int n, float* out) {
  int panels = (n + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    float* dst = out + (long)p * k * NR;
    int cols = n - p * NR < NR ? n - p * NR : NR;
    for (int kk = 0; kk < k; kk++) {
      const float* src = b + kk * ldb + p * NR;
      for (int c = 0; c < cols; c++) dst[kk * NR + c] = src[c];
      for (int c = cols; c < NR; c++) dst[kk * NR + c] = 0;
    }
  }
}

void KFN(dj_pack_bt_strided)(const float* b, long ldb, int n, int k, float* out) {
  int panels = (n + NR - 1) / NR;
  for (int p = 0; p < panels; p++) {
    float* dst = out + (long)p * k * NR;
    int cols = n - p * NR < NR ? n - p * NR : NR;
    for (int c = 0; c < cols; c++) {
      const float* src = b + (long)(p * NR + c) * ldb;
      for (int kk = 0; kk < k; kk++) dst[kk * NR + c] = src[kk];
    }
    for (int c = cols; c < NR; c++)
      for (int kk = 0; kk < k; kk++) dst[kk * NR + c] = 0;
  }
}

/* The epilogue of an R × NR tile (both micro-kernels): scale, add the old C (K blocks after the first), bias and
   exact GELU on the registers, then the only store. */
static inline __attribute__((always_inline)) void tile_store(const int R, const vf* c0, const vf* c1, float* t, long ldt,
                                                             float alpha, int first, const float* bias, int act) {
  vf bias0 = splat(0), bias1 = splat(0);
  if (bias) bias0 = ldv(bias), bias1 = ldv(bias + VL);
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) {
    float* row = t + r * ldt;
    vf x0 = c0[r] * alpha, x1 = c1[r] * alpha;
    if (!first) x0 += ldv(row), x1 += ldv(row + VL);
    if (bias) x0 += bias0, x1 += bias1;
    if (act == DJ_ACT_GELU) x0 = v_gelu(x0), x1 = v_gelu(x1);
    stv(row, x0);
    stv(row + VL, x1);
  }
}

/*
 * The micro-kernel: an R × NR tile of C (R ≤ MR rows, a compile-time constant after inlining) accumulates in
 * R·2 vectors over kc steps. A is read in place (row stride lda; one broadcast per row and step, as MLAS does) —
 * packing A would cost each thread a scalar pass over the whole of A per call. B is one packed [kc][NR] panel.
 * On the last K block the epilogue (bias, exact GELU) runs on the registers before the only store.
 */
static inline __attribute__((always_inline)) void ukernel(const int R, int kc, const float* a, long lda, const float* bp,
                                                          float* t, long ldt, float alpha, int first, const float* bias,
                                                          int act) {
  vf c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) c0[r] = c1[r] = splat(0);
  const float* ar[MR];
#pragma GCC unroll 16
  for (int r = 0; r < R; r++) ar[r] = a + r * lda;
  /* unrolled: constant offsets fold into the loads (wasm's offset immediates, x86 displacements), and the loop's
     own overhead — V8 adds a stack/interrupt check per iteration — is paid once per KU steps */
#pragma clang loop unroll_count(KU)
  for (int kk = 0; kk < kc; kk++) {
    vf b0 = ldv(bp + kk * NR), b1 = ldv(bp + kk * NR + VL);
#pragma GCC unroll 16
    for (int r = 0; r < R; r++) {
      vf av = splat(ar[r][kk]);
      c0[r] = VFMA(av, b0, c0[r]);
      c1[r] = VFMA(av, b1, c1[r]);
    }
  }
  tile_store(R, c0, c1, t, ldt, alpha, first, bias, act);
}

/* One R × NR tile by row count (so each R gets its own fully unrolled copy). */
static void tile_rows(int R, int kc, const float* a, long lda, const float* bp, float* t, long ldt, float alpha,
                      int first, const float* bias, int act) {
  switch (R) {
#if MR >= 8
    case 8: ukernel(8, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
#endif
#if MR >= 7
    case 7: ukernel(7, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
#endif
#if MR >= 6
    case 6: ukernel(6, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
#endif
#if MR >= 5
    case 5: ukernel(5, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
#endif
    case 4: ukernel(4, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
    case 3: ukernel(3, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
    case 2: ukernel(2, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
    default: ukernel(1, kc, a, lda, bp, t, ldt, alpha, first, bias, act); break;
  }
}

#if MR > 8
static void tile_rows_big(int R, int kc, const float* a, long lda, const float* bp, float* t, long ldt, float alpha,
                          int first, const float* bias, int act) {
  if (R == MR) ukernel(MR, kc, a, lda, bp, t, ldt, alpha, first, bias, act);
  else
    for (int r = 0; r < R; r += 8) {
      int rr = R - r < 8 ? R - r : 8;
      tile_rows(rr, kc, a + r * lda, lda, bp, t + r * ldt, ldt, alpha, first, bias, act);
    }
}
#define TILE tile_rows_big
#else
#define TILE tile_rows
#endif

#if DJ_ISA == DJ_WASM || DJ_ISA == DJ_WASM_RELAXED
/*
 * WASM: A packed once per call as [kk][MR] per tile, so the micro-kernel reads it through one pointer with constant
 * offsets (load32_splat offset=4r). Reading four row pointers in place costs V8 an address computation per row
 * and step (wasm addresses are 32-bit and do not fold into x86 addressing modes), which bounds the loop.
 */
_Static_assert(128 % MR == 0, "row blocks must hold whole tiles");
static inline __attribute__((always_inline)) void ukernel_packed(int kc, const float* ap, const float* bp, float* t,
                                                                 long ldt, float alpha, int first, const float* bias,
                                                                 int act) {
  vf c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = splat(0);
  for (int kk = 0; kk < kc; kk++) {
    vf b0 = ldv(bp + kk * NR), b1 = ldv(bp + kk * NR + VL);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      vf av = splat(ap[kk * MR + r]);
      c0[r] = VFMA(av, b0, c0[r]);
      c1[r] = VFMA(av, b1, c1[r]);
    }
  }
  tile_store(MR, c0, c1, t, ldt, alpha, first, bias, act);
}
static void tile_packed(int kc, const float* ap, const float* bp, float* t, long ldt, float alpha, int first,
                        const float* bias, int act) {
  ukernel_packed(kc, ap, bp, t, ldt, alpha, first, bias, act);
}
#endif

/* K block size: ≤ KC floats of a B panel (KC·NR·4 bytes) stay in L1 while a row block streams past; equal blocks. */
static inline int k_block(int k) {
  if (k <= 0) return 1;
  int nb = (k + KC - 1) / KC;
  int kc = (k + nb - 1) / nb;
  return kc < 1 ? 1 : kc;
}

/* Rows per L2 block of A: MC × KC floats (≈ 128 KiB) are reused across every panel of the task. */
#ifndef MC
#define MC 128
#endif

/* ap: A packed by tiles ([k][MR] per MR rows, from row 0 of this block) or NULL (A read in place). */
static void gemm_block(int m, int n, int k, const float* a, long lda, const float* ap, const float* bp, float* c,
                       long ldc, float alpha, const float* bias, int act, int p0, int p1) {
  float tile[MR * NR];
  float btile[NR];
  const int kcb = k_block(k);
  if (k == 0) { /* C = act(bias) */
    for (int i = 0; i < m; i++)
      for (int j = p0 * NR; j < n && j < p1 * NR; j++) {
        float x = bias ? bias[j] : 0;
        c[i * ldc + j] = act == DJ_ACT_GELU ? v_gelu(splat(x))[0] : x;
      }
    return;
  }
  for (int i0 = 0; i0 < m; i0 += MC) {
    const int mc = m - i0 < MC ? m - i0 : MC;
    for (int k0 = 0; k0 < k; k0 += kcb) {
      const int kc = k - k0 < kcb ? k - k0 : kcb;
      const int first = k0 == 0, last = k0 + kc >= k;
      for (int p = p0; p < p1; p++) {
        const float* bpk = bp + (long)p * k * NR + (long)k0 * NR;
        const int j0 = p * NR;
        const int cols = n - j0 < NR ? n - j0 : NR;
        const float* bt = last && bias ? bias + j0 : 0;
        const int ac = last ? act : 0;
        if (cols < NR && bt) {
          for (int q = 0; q < NR; q++) btile[q] = q < cols ? bt[q] : 0;
          bt = btile;
        }
        for (int ir = 0; ir < mc; ir += MR) {
          const int rows = mc - ir < MR ? mc - ir : MR;
          const float* ai = a + (long)(i0 + ir) * lda + k0;
          float* dst = c + (long)(i0 + ir) * ldc + j0;
          if (cols == NR) {
#ifdef DJ_PACK_A
            if (ap && rows == MR) {
              tile_packed(kc, ap + (long)(i0 + ir) * k + (long)k0 * MR, bpk, dst, ldc, alpha, first, bt, ac);
              continue;
            }
#endif
            TILE(rows, kc, ai, lda, bpk, dst, ldc, alpha, first, bt, ac);
          } else { /* a partial panel: through a full-width tile */
            if (!first)
              for (int r = 0; r < rows; r++)
                for (int q = 0; q < cols; q++) tile[r * NR + q] = dst[r * ldc + q];
            TILE(rows, kc, ai, lda, bpk, tile, NR, alpha, first, bt, ac);
            for (int r = 0; r < rows; r++)
              for (int q = 0; q < cols; q++) dst[r * ldc + q] = tile[r * NR + q];
          }
        }
      }
    }
  }
}

void KFN(dj_gemm_panels)(int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc,
                          float alpha, const float* bias, int act, int p0, int p1) {
  gemm_block(m, n, k, a, lda, 0, bp, c, ldc, alpha, bias, act, p0, p1);
}

/*
 * One parallel region for several GEMMs of the same A (a layer's Q/K/V projections): tasks are (row block, chunk
 * of the panels of all the weights laid end to end), so a chunk may span two weights. Each output tile is computed
 * exactly as a separate dj_gemm computes it (same K blocks, same micro-kernel), so the results are bit-identical.
 */
typedef struct {
  int m, k, count, nchunks, panels, rows_per;
  const float* a;
  long lda;
  const float* ap; /* A packed by tiles (WASM) or NULL */
  const dj_gemm_out* outs;
  float alpha;
  int act;
} gemm_job;

static void gemm_task(void* ctx, int t) {
  gemm_job* j = ctx;
  const int mb = t / j->nchunks, nb = t % j->nchunks;
  const int r0 = mb * j->rows_per, r1 = r0 + j->rows_per < j->m ? r0 + j->rows_per : j->m;
  const int g0 = (int)((long)j->panels * nb / j->nchunks), g1 = (int)((long)j->panels * (nb + 1) / j->nchunks);
  if (r0 >= r1) return;
  for (int w = 0, off = 0; w < j->count && off < g1; w++) {
    const dj_gemm_out* o = &j->outs[w];
    const int pw = (o->n + NR - 1) / NR;
    const int p0 = g0 - off > 0 ? g0 - off : 0, p1 = g1 - off < pw ? g1 - off : pw;
    if (p0 < p1)
      gemm_block(r1 - r0, o->n, j->k, j->a + (long)r0 * j->lda, j->lda, j->ap ? j->ap + (long)r0 * j->k : 0, o->bp,
                 o->c + (long)r0 * o->ldc, o->ldc, j->alpha, o->bias, j->act, p0, p1);
    off += pw;
  }
}

#ifdef DJ_PACK_A
/* A [m, k] → tiles of MR rows as [k][MR]; whole tiles only (the last partial tile reads A in place). NULL: no tiles,
   or out of memory (then every tile reads A in place). */
static float* pack_a(const float* a, long lda, int m, int k) {
  const int tiles = m / MR;
  float* ap = tiles && k > 0 ? malloc(sizeof(float) * (size_t)tiles * MR * k) : 0;
  if (!ap) return 0;
  for (int tile = 0; tile < tiles; tile++) {
    const float* src = a + (long)tile * MR * lda;
    float* dst = ap + (long)tile * MR * k;
    for (int kk = 0; kk < k; kk++)
      for (int r = 0; r < MR; r++) dst[kk * MR + r] = src[r * lda + kk];
  }
  return ap;
}
#endif

/*
 * Threads split the outputs into a grid of row blocks × panel chunks, claimed dynamically. The task count is a
 * multiple of the thread count (equal shares when the threads run at equal speed) and a few per thread, so a thread
 * that starts late (preempted on a busy machine) leaves part of its share to the others. WASM packs A once, by the
 * caller, before the region (sharing the pack among the threads inside the region measured ~5% slower: the
 * packed tiles then sit in the other core's cache, and tiles not yet packed are read in place).
 */
void KFN(dj_gemm_multi)(int m, int k, const float* a, long lda, const dj_gemm_out* outs, int count, float alpha,
                        int act) {
  int panels = 0;
  long long flops = 0; /* 64-bit: wasm32's long is 32 bits, and a long sequence's product overflows it */
  for (int w = 0; w < count; w++) panels += (outs[w].n + NR - 1) / NR, flops += (long long)m * outs[w].n * k;
  if (m <= 0 || panels == 0) return;
  const int threads = dj_threads();
  float* ap = 0;
#ifdef DJ_PACK_A
  ap = pack_a(a, lda, m, k);
#endif
  if (threads <= 1 || flops < 65536) {
    for (int w = 0; w < count; w++)
      gemm_block(m, outs[w].n, k, a, lda, ap, outs[w].bp, outs[w].c, outs[w].ldc, alpha, outs[w].bias, act, 0,
                 (outs[w].n + NR - 1) / NR);
    free(ap);
    return;
  }
  int mblocks = (m + MC - 1) / MC;
  const int want = 4 * threads;
  int nchunks = (want + mblocks - 1) / mblocks;
  if (nchunks > panels) nchunks = panels;
  while (nchunks < panels && (mblocks * nchunks) % threads) nchunks++;
  /* rows per block: a multiple of MR so only the last block has a short tile */
  int rows_per = (m + mblocks - 1) / mblocks;
  rows_per = (rows_per + MR - 1) / MR * MR;
  mblocks = (m + rows_per - 1) / rows_per;
  gemm_job j = {m, k, count, nchunks, panels, rows_per, a, lda, ap, outs, alpha, act};
  dj_parallel_for(mblocks * nchunks, gemm_task, &j);
  free(ap);
}

void KFN(dj_gemm)(int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc, float alpha,
                  const float* bias, int act) {
  const dj_gemm_out o = {n, bp, bias, c, ldc};
  KFN(dj_gemm_multi)(m, k, a, lda, &o, 1, alpha, act);
}
