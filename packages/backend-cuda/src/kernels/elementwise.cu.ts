/**
 * Elementwise `add` / `mul` with numpy broadcasting.
 *
 * `djs_binary_*`: general case, `g.dims` the output dims, `g.s0` / `g.s1` the element strides of a / b for each
 * output dim (0 where that operand broadcasts). `djs_binary_flat_*`: the shapes that need no index arithmetic,
 * `mode` 0 same size, 1 b repeats with period `period` (a bias row), 2 a repeats with period `period`.
 * `op` 0 add, 1 mul. Math in f32, one rounding to the storage type (as torch does for half tensors).
 */
export const ELEMENTWISE_SOURCE = String.raw`
template <typename T>
DJS_DEV void djs_binary_impl(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, int n, int op, DjsGeom g) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    int rem = i, oa = 0, ob = 0;
    for (int d = g.rank - 1; d >= 0; --d) {
      int c = rem % g.dims[d];
      rem /= g.dims[d];
      oa += c * g.s0[d];
      ob += c * g.s1[d];
    }
    float x = djs_ld(a, oa), y = djs_ld(b, ob);
    djs_st(out, i, op == 0 ? x + y : x * y);
  }
}

template <typename T>
DJS_DEV void djs_binary_flat_impl(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, int n, int op, int mode, int period) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    float x = djs_ld(a, mode == 2 ? i % period : i);
    float y = djs_ld(b, mode == 1 ? i % period : i);
    djs_st(out, i, op == 0 ? x + y : x * y);
  }
}

#define DJS_BINARY(SUF, T) \
  DJS_KERNEL void djs_binary_##SUF(const T* a, const T* b, T* out, int n, int op, DjsGeom g) { djs_binary_impl<T>(a, b, out, n, op, g); } \
  DJS_KERNEL void djs_binary_flat_##SUF(const T* a, const T* b, T* out, int n, int op, int mode, int period) { djs_binary_flat_impl<T>(a, b, out, n, op, mode, period); }
DJS_BINARY(f32, float)
DJS_BINARY(f16, h16)
DJS_BINARY(bf16, b16)
`;
