/* The wasm32 module holds one kernel set (SIMD128 or relaxed-SIMD: two modules, JS picks), and exports flat
 * C functions for JS (kernel pointers cannot be called from JS). */
#include "kernels.h"
#include "pool.h"

#ifdef DJ_RELAXED
extern const dj_kernel_set dj_set_wasmrelaxed;
const dj_kernel_set* dj_kernels(void) { return &dj_set_wasmrelaxed; }
#else
extern const dj_kernel_set dj_set_wasm;
const dj_kernel_set* dj_kernels(void) { return &dj_set_wasm; }
#endif

int dj_nr(void) { return dj_kernels()->nr; }
void dj_pack_b_w(const float* w, int n, int k, float* out) { dj_kernels()->pack_b(w, n, k, out); }
void dj_gemm_w(int m, int n, int k, const float* a, const float* bp, float* c, const float* bias, int act, float alpha) {
  dj_kernels()->gemm(m, n, k, a, k, bp, c, n, alpha, bias, act);
}
/* outs: `count` dj_gemm_out records JS filled in linear memory (5 × i32 each: n, bp, bias, c, ldc) */
void dj_gemm_multi_w(int m, int k, const float* a, const dj_gemm_out* outs, int count, int act) {
  dj_kernels()->gemm_multi(m, k, a, k, outs, count, 1, act);
}
void dj_layer_norm_w(const float* x, const float* res, const float* g, const float* b, int rows, int d, float eps, float* out) {
  dj_kernels()->layer_norm(x, res, g, b, rows, d, eps, out);
}
void dj_gelu_w(float* x, int n) { dj_kernels()->gelu(x, n); }
/* args: a dj_attention_args JS filled in linear memory (layout: see wasm.ts) */
void dj_attention_w(const dj_attention_args* a) { dj_kernels()->attention(a); }
/* quantized Linear (qgemm.h); the int returns are 0 or -1 (out of memory) */
int dj_qpacked_bytes_w(int n, int k) { return (int)dj_kernels()->qpacked_bytes(n, k); }
void dj_qpack_i8_w(const int8_t* codes, const float* scb, int n, int k, uint8_t* out) { dj_kernels()->qpack_i8(codes, scb, n, k, out); }
int dj_qgemm_i8_w(int m, int n, int k, const float* a, const uint8_t* packed, float* c, const float* bias, int act) {
  return dj_kernels()->qgemm_i8(m, n, k, a, k, packed, c, n, bias, act);
}
int dj_dqgemm_w(int m, int n, int k, const float* a, const uint8_t* data, const float* scales, const float* table, int layout,
                int block, float* c, const float* bias, int act) {
  return dj_kernels()->dqgemm(m, n, k, a, k, data, scales, table, layout, block, c, n, bias, act);
}
