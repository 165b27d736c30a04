/**
 * torch LayerNorm over the last dim (biased variance), optionally of `x + residual` (the sum kept in f32, never
 * rounded to the storage type). One warp per row, exact two-pass statistics in f32, IEEE sqrt and division.
 */
export const LAYERNORM_SOURCE = String.raw`
template <typename T>
DJS_DEV void djs_layernorm_impl(const T* __restrict__ x, const T* __restrict__ res, const T* __restrict__ gamma,
                                const T* __restrict__ beta, T* __restrict__ out, int rows, int D, float eps) {
  const int warpsPerBlock = blockDim.x >> 5;
  const int row = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;  /* uniform per warp: no block barrier below */
  const djs_i64 base = (djs_i64)row * D;
  float s = 0.0f;
  for (int c = lane; c < D; c += 32) s += djs_ld(x, base + c) + (res ? djs_ld(res, base + c) : 0.0f);
  const float mean = djs_warp_sum(s) / (float)D;
  float q = 0.0f;
  for (int c = lane; c < D; c += 32) {
    float d = djs_ld(x, base + c) + (res ? djs_ld(res, base + c) : 0.0f) - mean;
    q += d * d;
  }
  const float var = djs_warp_sum(q) / (float)D;
  const float rstd = 1.0f / sqrtf(var + eps);
  for (int c = lane; c < D; c += 32) {
    float v = djs_ld(x, base + c) + (res ? djs_ld(res, base + c) : 0.0f);
    djs_st(out, base + c, (v - mean) * rstd * djs_ld(gamma, c) + djs_ld(beta, c));
  }
}
#define DJS_LN(SUF, T) \
  DJS_KERNEL void djs_layernorm_##SUF(const T* x, const T* res, const T* gamma, const T* beta, T* out, int rows, int D, float eps) { \
    djs_layernorm_impl<T>(x, res, gamma, beta, out, rows, D, eps); }
DJS_LN(f32, float)
DJS_LN(f16, h16)
DJS_LN(bf16, b16)
`;
