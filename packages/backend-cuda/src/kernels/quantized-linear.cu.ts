/**
 * Quantized Linear, dequantize-in-GEMM: `y = act(x · dequant(W)ᵀ + bias)` with W kept packed in 32-bit words
 * (core's layouts, `quant/quantized-weight.ts`). A 16×16 block computes a 16×16 tile of y; each K step stages a
 * 16×16 tile of x (blocks of 256 threads, 1-D) and a dequantized 16×16 tile of W in shared memory (each weight value is dequantized once per
 * block and reused for 16 token rows).
 *  - int4: element e = n·K + k has its code in byte e >> 1, the even element in the HIGH nibble (bitsandbytes);
 *    `W = table[code] · scales[e / blockSize]` (blocks straddle rows).
 *  - int8: byte e is a signed code; `W = (code · scales[n]) · (1/127)`, bnb's int8_vectorwise_dequant order.
 */
export const QLINEAR_TILE = 16;

export const QLINEAR_SOURCE = String.raw`
#define DJS_QT 16
DJS_DEV float djs_wq4(const djs_u32* __restrict__ w, const float* __restrict__ scales, const float* __restrict__ table, djs_i64 e, int bs) {
  djs_u32 byte = (w[e >> 3] >> (((e >> 1) & 3) * 8)) & 0xffu;
  djs_u32 code = (e & 1) ? (byte & 15u) : (byte >> 4);
  return table[code] * scales[e / bs];
}
DJS_DEV float djs_wq8(const djs_u32* __restrict__ w, const float* __restrict__ scales, djs_i64 e, int n) {
  int code = (int)(signed char)((w[e >> 2] >> ((e & 3) * 8)) & 0xffu);
  return ((float)code * scales[n]) * 7.874015718698502e-3f;
}
template <typename T, bool INT4>
DJS_DEV void djs_qlinear_impl(const T* __restrict__ x, const djs_u32* __restrict__ w, const float* __restrict__ scales,
                              const float* __restrict__ table, const T* __restrict__ bias, T* __restrict__ y,
                              int M, int N, int K, int bs, int act) {
  DJS_SHARED float xs[DJS_QT][DJS_QT + 1];
  DJS_SHARED float ws[DJS_QT][DJS_QT + 1];
  const int tx = threadIdx.x % DJS_QT, ty = threadIdx.x / DJS_QT; /* 1-D blocks of 256 threads */
  const int m = blockIdx.y * DJS_QT + ty;
  const int n = blockIdx.x * DJS_QT + tx;
  const int nw = blockIdx.x * DJS_QT + ty; /* the weight row this thread stages */
  float acc = 0.f;
  for (int k0 = 0; k0 < K; k0 += DJS_QT) {
    const int k = k0 + tx;
    xs[ty][tx] = (m < M && k < K) ? djs_ld(x, (djs_i64)m * K + k) : 0.f;
    float wv = 0.f;
    if (nw < N && k < K) {
      const djs_i64 e = (djs_i64)nw * K + k;
      wv = INT4 ? djs_wq4(w, scales, table, e, bs) : djs_wq8(w, scales, e, nw);
    }
    ws[ty][tx] = wv;
    __syncthreads();
    for (int kk = 0; kk < DJS_QT; kk++) acc += xs[ty][kk] * ws[tx][kk];
    __syncthreads();
  }
  if (m < M && n < N) {
    float v = acc;
    if (bias) v += djs_ld(bias, n);
    djs_st(y, (djs_i64)m * N + n, djs_act(v, act));
  }
}
#define DJS_QLINEAR(SUF, T) \
  DJS_KERNEL void djs_qlinear_int4_##SUF(const T* x, const djs_u32* w, const float* scales, const float* table, const T* bias, T* y, int M, int N, int K, int bs, int act) { djs_qlinear_impl<T, true>(x, w, scales, table, bias, y, M, N, K, bs, act); } \
  DJS_KERNEL void djs_qlinear_int8_##SUF(const T* x, const djs_u32* w, const float* scales, const float* table, const T* bias, T* y, int M, int N, int K, int bs, int act) { djs_qlinear_impl<T, false>(x, w, scales, table, bias, y, M, N, K, bs, act); }
DJS_QLINEAR(f32, float)
DJS_QLINEAR(f16, h16)
DJS_QLINEAR(bf16, b16)
`;
