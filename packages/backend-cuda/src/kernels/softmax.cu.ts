/**
 * Softmax over the last dim of `x` (`g.dims`, rank `g.rank`), one warp per row, f32 math. With a mask (`maskKind`
 * as in `djs_mask_on`, `g.s0` its element strides per x dim, 0 where it broadcasts), masked entries become
 * `lowest` (the dtype's lowest finite value) first — HF's `masked_fill(finfo.min)`, so a fully masked row is uniform.
 */
export const SOFTMAX_SOURCE = String.raw`
template <typename T>
DJS_DEV void djs_softmax_impl(const T* __restrict__ x, const void* __restrict__ mask, int maskKind, T* __restrict__ out,
                              int rows, int n, DjsGeom g, float lowest) {
  const int warpsPerBlock = blockDim.x >> 5;
  const int row = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5);
  const int lane = threadIdx.x & 31;
  if (row >= rows) return;
  djs_i64 moff = 0;
  {
    int rem = row;
    for (int d = g.rank - 2; d >= 0; --d) {
      int c = rem % g.dims[d];
      rem /= g.dims[d];
      moff += (djs_i64)c * g.s0[d];
    }
  }
  const int mlast = g.rank > 0 ? g.s0[g.rank - 1] : 0;
  const djs_i64 base = (djs_i64)row * n;
  float m = -djs_inf();
  for (int j = lane; j < n; j += 32) {
    float v = (maskKind == 0 || djs_mask_on(mask, maskKind, moff + (djs_i64)j * mlast)) ? djs_ld(x, base + j) : lowest;
    m = fmaxf(m, v);
  }
  m = djs_warp_max(m);
  float s = 0.0f;
  for (int j = lane; j < n; j += 32) {
    float v = (maskKind == 0 || djs_mask_on(mask, maskKind, moff + (djs_i64)j * mlast)) ? djs_ld(x, base + j) : lowest;
    s += expf(v - m);
  }
  s = djs_warp_sum(s);
  for (int j = lane; j < n; j += 32) {
    float v = (maskKind == 0 || djs_mask_on(mask, maskKind, moff + (djs_i64)j * mlast)) ? djs_ld(x, base + j) : lowest;
    djs_st(out, base + j, expf(v - m) / s);
  }
}
#define DJS_SOFTMAX(SUF, T) \
  DJS_KERNEL void djs_softmax_##SUF(const T* x, const void* mask, int maskKind, T* out, int rows, int n, DjsGeom g, float lowest) { \
    djs_softmax_impl<T>(x, mask, maskKind, out, rows, n, g, lowest); }
DJS_SOFTMAX(f32, float)
DJS_SOFTMAX(f16, h16)
DJS_SOFTMAX(bf16, b16)
`;
