/* GEMM pieces shared by the kernel files of one ISA (see gemm.c). */
#ifndef DJ_GEMM_H
#define DJ_GEMM_H
#include "kernels.h"
#include "simd.h"
/* W [N, K] rows → panels. */
void KFN(dj_pack_b)(const float* w, int n, int k, float* out);
/* B [K, N] (row stride ldb) → panels. */
void KFN(dj_pack_b_rows)(const float* b, long ldb, int k, int n, float* out);
/* Bᵀ given as N rows of K (row stride ldb) → panels. */
void KFN(dj_pack_bt_strided)(const float* b, long ldb, int n, int k, float* out);
/* One thread, panels [p0, p1). */
void KFN(dj_gemm_panels)(int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc,
                          float alpha, const float* bias, int act, int p0, int p1);
void KFN(dj_gemm)(int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc, float alpha,
                  const float* bias, int act);
void KFN(dj_gemm_multi)(int m, int k, const float* a, long lda, const dj_gemm_out* outs, int count, float alpha,
                        int act);
static inline long dj_packed_floats(int n, int k) { return (long)((n + NR - 1) / NR) * NR * k; }
#endif
