/*
 * Packed SGEMM, BLIS-style: B (the weight) is packed once at load into NR-wide panels [K][NR]; A is packed per
 * (KC × MR) block into a small stack buffer; an MR × NR register tile accumulates in vectors. K is blocked by KC so
 * one B block stays in L2 while every row block streams past it. The epilogue (bias, exact GELU) runs once per
 * tile row range after the last K block, while C is still in cache.
 */
#include "gemm.h"
#include "pool.h"

#define KC 256

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

/* ap: [kc][MR] packed rows; bp: [kc][NR]; the tile goes to t (ldt) — overwritten (first) or accumulated. */
static inline void ukernel(int kc, const float* ap, const float* bp, float* t, long ldt, float alpha, int first) {
  vf c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = splat(0);
  for (int kk = 0; kk < kc; kk++) {
    vf b0 = ldv(bp + kk * NR), b1 = ldv(bp + kk * NR + VL);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      vf a = splat(ap[kk * MR + r]);
      c0[r] = VFMA(a, b0, c0[r]);
      c1[r] = VFMA(a, b1, c1[r]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) {
    float* row = t + r * ldt;
    if (first) {
      stv(row, c0[r] * alpha);
      stv(row + VL, c1[r] * alpha);
    } else {
      stv(row, ldv(row) + c0[r] * alpha);
      stv(row + VL, ldv(row + VL) + c1[r] * alpha);
    }
  }
}

static void pack_a(const float* a, long lda, int rows, int kc, float* ap) {
  for (int r = 0; r < rows; r++) {
    const float* src = a + r * lda;
    for (int kk = 0; kk < kc; kk++) ap[kk * MR + r] = src[kk];
  }
  for (int r = rows; r < MR; r++)
    for (int kk = 0; kk < kc; kk++) ap[kk * MR + r] = 0;
}

static void epilogue(float* c, long ldc, int m, int c0, int c1, const float* bias, int act) {
  for (int i = 0; i < m; i++) {
    float* row = c + i * ldc;
    int j = c0;
    for (; j + VL <= c1; j += VL) {
      vf x = ldv(row + j);
      if (bias) x += ldv(bias + j);
      if (act == DJ_ACT_GELU) x = v_gelu(x);
      stv(row + j, x);
    }
    if (j < c1) {
      float tmp[VL] = {0}, bt[VL] = {0};
      for (int q = j; q < c1; q++) tmp[q - j] = row[q], bt[q - j] = bias ? bias[q] : 0;
      vf x = ldv(tmp) + ldv(bt);
      if (act == DJ_ACT_GELU) x = v_gelu(x);
      stv(tmp, x);
      for (int q = j; q < c1; q++) row[q] = tmp[q - j];
    }
  }
}

void KFN(dj_gemm_panels)(int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc,
                          float alpha, const float* bias, int act, int p0, int p1) {
  float ap[KC * MR];
  float tile[MR * NR];
  for (int k0 = 0; k0 < k; k0 += KC) {
    int kc = k - k0 < KC ? k - k0 : KC;
    int first = k0 == 0;
    for (int i0 = 0; i0 < m; i0 += MR) {
      int rows = m - i0 < MR ? m - i0 : MR;
      pack_a(a + i0 * lda + k0, lda, rows, kc, ap);
      for (int p = p0; p < p1; p++) {
        const float* bpk = bp + (long)p * k * NR + (long)k0 * NR;
        int j0 = p * NR;
        int cols = n - j0 < NR ? n - j0 : NR;
        float* dst = c + i0 * ldc + j0;
        if (rows == MR && cols == NR) {
          ukernel(kc, ap, bpk, dst, ldc, alpha, first);
        } else {
          if (!first)
            for (int r = 0; r < rows; r++)
              for (int q = 0; q < cols; q++) tile[r * NR + q] = dst[r * ldc + q];
          ukernel(kc, ap, bpk, tile, NR, alpha, first);
          for (int r = 0; r < rows; r++)
            for (int q = 0; q < cols; q++) dst[r * ldc + q] = tile[r * NR + q];
        }
      }
    }
  }
  if (k == 0)
    for (int i = 0; i < m; i++)
      for (int j = p0 * NR; j < n && j < p1 * NR; j++) c[i * ldc + j] = 0;
  if (bias || act) {
    int c1 = p1 * NR < n ? p1 * NR : n;
    epilogue(c, ldc, m, p0 * NR, c1, bias, act);
  }
}

typedef struct {
  int m, n, k, chunks, panels;
  const float* a;
  long lda;
  const float* bp;
  float* c;
  long ldc;
  float alpha;
  const float* bias;
  int act;
} gemm_job;

static void gemm_task(void* ctx, int t) {
  gemm_job* j = ctx;
  int p0 = (int)((long)j->panels * t / j->chunks), p1 = (int)((long)j->panels * (t + 1) / j->chunks);
  if (p0 < p1) KFN(dj_gemm_panels)(j->m, j->n, j->k, j->a, j->lda, j->bp, j->c, j->ldc, j->alpha, j->bias, j->act, p0, p1);
}

void KFN(dj_gemm)(int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc, float alpha,
                  const float* bias, int act) {
  int panels = (n + NR - 1) / NR;
  int threads = dj_threads();
  /* a few chunks per thread: tasks are claimed dynamically, so a thread that starts late (preempted on a busy
     machine) leaves its share to the others instead of holding up the whole product */
  int chunks = threads > 1 ? 3 * threads : 1;
  if (chunks > panels) chunks = panels;
  if (chunks < 1) chunks = 1;
  gemm_job j = {m, n, k, chunks, panels, a, lda, bp, c, ldc, alpha, bias, act};
  if (chunks == 1 || (long)m * n * k < 32768) {
    KFN(dj_gemm_panels)(m, n, k, a, lda, bp, c, ldc, alpha, bias, act, 0, panels);
    return;
  }
  dj_parallel_for(chunks, gemm_task, &j);
}
