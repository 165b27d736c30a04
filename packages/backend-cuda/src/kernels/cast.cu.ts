/** dtype conversions between f32, f16 and bf16 storage (round to nearest even). */
export const CAST_SOURCE = String.raw`
template <typename S, typename D>
DJS_DEV void djs_cast_impl(const S* __restrict__ in, D* __restrict__ out, int n) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) djs_st(out, i, djs_ld(in, i));
}
#define DJS_CAST(SS, S, DS, D) \
  DJS_KERNEL void djs_cast_##SS##_##DS(const S* in, D* out, int n) { djs_cast_impl<S, D>(in, out, n); }
DJS_CAST(f32, float, f16, h16)
DJS_CAST(f32, float, bf16, b16)
DJS_CAST(f16, h16, f32, float)
DJS_CAST(bf16, b16, f32, float)
DJS_CAST(f16, h16, bf16, b16)
DJS_CAST(bf16, b16, f16, h16)
`;
