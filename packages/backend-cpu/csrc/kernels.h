/*
 * The kernel set: one table of function pointers per instruction set (gemm.c, attention.c, norm.c compiled once
 * per ISA fill one each). Adding a kernel: write it in a new .c file using simd.h and KFN(), add its pointer here
 * and to kernel_set.c, and bind it in addon.c (Node) / the WASM export list in build script.
 */
#ifndef DJ_KERNELS_H
#define DJ_KERNELS_H
#include <stdint.h>

enum { DJ_ACT_NONE = 0, DJ_ACT_GELU = 1 };

/* One sequence-parallel attention call; pointers are f32 unless said otherwise. */
typedef struct {
  const float *q, *k, *v;        /* [tokens, H*d] */
  const float *pos_key, *pos_query; /* [2S, H*d] or NULL (c2p / p2c off) */
  const int32_t* rel_index;      /* [rel_len], idx(i, j) = rel_index[centre + i - j], or NULL */
  int rel_len;
  const float* mask;             /* padded layouts: 0/1 per token at [b * mask_stride + i]; NULL: all ones */
  int mask_stride;
  const int32_t *seq_start, *seq_len; /* [B] token offset and length of each sequence */
  int batch, max_len, heads, head_dim;
  float inv_scale, lowest;
  float* context;                /* [tokens, H*d] */
  float* probs;                  /* [B, H, L, L] or NULL */
} dj_attention_args;

/* One output of a multi-GEMM: C[M, n] (row stride ldc) = act(alpha · A · Wᵀ + bias), W pre-packed in bp. */
typedef struct {
  int n;
  const float* bp;
  const float* bias; /* [n] or NULL */
  float* c;
  long ldc;
} dj_gemm_out;

typedef struct {
  const char* name;
  int nr; /* packed-panel width: pack_b output is ceil(N / nr) panels of [K][nr] */
  /* W [N, K] (torch Linear weight) → panels. */
  void (*pack_b)(const float* w, int n, int k, float* out);
  /* C[M,N] = act(alpha · A[M,K]·B + bias); B pre-packed; threads over N panels. */
  void (*gemm)(int m, int n, int k, const float* a, long lda, const float* bp, float* c, long ldc, float alpha,
               const float* bias, int act);
  /* Several GEMMs of one A in one parallel region; each output bit-identical to its own gemm call. */
  void (*gemm_multi)(int m, int k, const float* a, long lda, const dj_gemm_out* outs, int count, float alpha, int act);
  /* out = LayerNorm(x (+ res)) over rows of d. */
  void (*layer_norm)(const float* x, const float* res, const float* gamma, const float* beta, int rows, int d,
                     float eps, float* out);
  void (*gelu)(float* x, long n);
  void (*attention)(const dj_attention_args* a);
  /* Quantized Linear (qgemm.h): int8 weight packing + int8×int8 GEMM, and dequantize-in-GEMM. */
  long (*qpacked_bytes)(int n, int k);
  void (*qpack_i8)(const int8_t* codes, const float* scb, int n, int k, uint8_t* out);
  int (*qgemm_i8)(int m, int n, int k, const float* a, long lda, const uint8_t* packed, float* c, long ldc,
                  const float* bias, int act);
  int (*dqgemm)(int m, int n, int k, const float* a, long lda, const uint8_t* data, const float* scales,
                const float* table, int layout, int block, float* c, long ldc, const float* bias, int act);
} dj_kernel_set;

/* The best set this CPU runs (chosen once). */
const dj_kernel_set* dj_kernels(void);
#endif
