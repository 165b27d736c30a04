/**
 * numpy `take_along_axis`: `g.dims` the output dims, `g.s0` x's strides per output dim (0 where x broadcasts; the
 * axis entry unused), `g.s1` idx's strides (0 where idx broadcasts), `g.axis`, `g.s2[0]` x's stride along the
 * axis and `g.s2[1]` x's size along it (indices are clamped into it).
 */
export const TAKE_SOURCE = String.raw`
template <typename W>
DJS_DEV void djs_take_impl(const W* __restrict__ x, const int* __restrict__ idx, W* __restrict__ out, int n, DjsGeom g) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    int rem = i, ox = 0, oi = 0;
    for (int d = g.rank - 1; d >= 0; --d) {
      int c = rem % g.dims[d];
      rem /= g.dims[d];
      if (d != g.axis) ox += c * g.s0[d];
      oi += c * g.s1[d];
    }
    int v = idx[oi];
    v = v < 0 ? 0 : (v >= g.s2[1] ? g.s2[1] - 1 : v);
    out[i] = x[ox + v * g.s2[0]];
  }
}
DJS_KERNEL void djs_take_b4(const djs_u32* x, const int* idx, djs_u32* out, int n, DjsGeom g) { djs_take_impl<djs_u32>(x, idx, out, n, g); }
DJS_KERNEL void djs_take_b2(const djs_u16* x, const int* idx, djs_u16* out, int n, DjsGeom g) { djs_take_impl<djs_u16>(x, idx, out, n, g); }
`;
