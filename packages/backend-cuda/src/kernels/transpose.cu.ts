/** Permuted contiguous copy: `g.dims` the output dims, `g.s0` the input stride of each output dim. */
export const TRANSPOSE_SOURCE = String.raw`
template <typename W>
DJS_DEV void djs_permute_impl(const W* __restrict__ x, W* __restrict__ out, int n, DjsGeom g) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    int rem = i, o = 0;
    for (int d = g.rank - 1; d >= 0; --d) {
      int c = rem % g.dims[d];
      rem /= g.dims[d];
      o += c * g.s0[d];
    }
    out[i] = x[o];
  }
}
DJS_KERNEL void djs_permute_b4(const djs_u32* x, djs_u32* out, int n, DjsGeom g) { djs_permute_impl<djs_u32>(x, out, n, g); }
DJS_KERNEL void djs_permute_b2(const djs_u16* x, djs_u16* out, int n, DjsGeom g) { djs_permute_impl<djs_u16>(x, out, n, g); }
`;
