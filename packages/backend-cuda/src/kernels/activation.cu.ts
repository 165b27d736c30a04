/** Elementwise activations (codes in `ACT_CODES`), f32 math; `in` may equal `out` (in place after a GEMM). */
export const ACTIVATION_SOURCE = String.raw`
template <typename T>
DJS_DEV void djs_act_impl(const T* in, T* out, int n, int act) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) djs_st(out, i, djs_act(djs_ld(in, i), act));
}
#define DJS_ACT(SUF, T) \
  DJS_KERNEL void djs_act_##SUF(const T* in, T* out, int n, int act) { djs_act_impl<T>(in, out, n, act); }
DJS_ACT(f32, float)
DJS_ACT(f16, h16)
DJS_ACT(bf16, b16)
`;
