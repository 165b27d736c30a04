/*
 * Quantized GEMMs (qgemm.c), compiled once per ISA like gemm.c.
 *
 *  - int8 × int8 → int32 (`q8`): the weight's int8 codes are packed once into NR-wide panels of k-pairs
 *    ([ceil(K/2)][NR][2] int8, preceded by the NR-padded per-row float scales `SCB/127`); each call quantizes the
 *    activations per row (symmetric, `q = rne(x · f32(127/amax))`, |q| ≤ 127) and multiplies pairs of
 *    sign-extended int16 with a widening dot (x86 pmaddwd, wasm i32x4.dot_i16x8_s): exact int32 sums, no
 *    saturation. Epilogue: `y = f32(acc) · f32(sa · sw) + bias`, then GELU.
 *  - dequantize-in-GEMM (int4 codebook+block scale, and int8 with float activations): panels of the packed weight
 *    are decoded straight into the float GEMM's panel layout, a few at a time per thread, and multiplied by the
 *    packed SGEMM. No float copy of the whole weight ever exists.
 */
#ifndef DJ_QGEMM_H
#define DJ_QGEMM_H
#include "gemm.h"

/* Bytes of a packed int8 weight [n, k] for this ISA's NR. */
long KFN(dj_qpacked_bytes)(int n, int k);
/* codes [n*k] int8 row-major, scb [n] (row absmax; the weight is code · scb / 127) → out [qpacked_bytes]. */
void KFN(dj_qpack_i8)(const int8_t* codes, const float* scb, int n, int k, uint8_t* out);
/* c[m, n] = act(dynamic-int8(a[m, k]) · Wᵀ + bias). Returns 0, or -1 when scratch memory could not be allocated. */
int KFN(dj_qgemm_i8)(int m, int n, int k, const float* a, long lda, const uint8_t* packed, float* c, long ldc,
                     const float* bias, int act);
/*
 * c[m, n] = act(a · dequant(W)ᵀ + bias) for a weight in its storage layout: layout 0 = int4 (codes of the flattened
 * weight, even element in the high nibble, `table[code] · scales[e / block]`), 1 = int8 (`f32(f32(code · scales[n])
 * · 1/127)`, bnb's int8_vectorwise_dequant). Returns 0, or -1 when scratch memory could not be allocated.
 */
int KFN(dj_dqgemm)(int m, int n, int k, const float* a, long lda, const uint8_t* data, const float* scales,
                   const float* table, int layout, int block, float* c, long ldc, const float* bias, int act);
#endif
