/**
 * Embedding gather: rows of `table` `[V, D]` at i32 `ids` `[N]` → `[N, D]`. Pure data movement, so one kernel per
 * element width (`b4`: f32 / i32, `b2`: f16 / bf16). Ids are validated by core; they are clamped here anyway so a
 * bad id can never read outside the table. `djs_gather_int8_*`: the same for an int8 row-wise table, dequantized.
 */
export const GATHER_SOURCE = String.raw`
template <typename W>
DJS_DEV void djs_gather_impl(const W* __restrict__ table, const int* __restrict__ ids, W* __restrict__ out, int n, int D, int V) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    int row = i / D, c = i - row * D;
    int id = ids[row];
    id = id < 0 ? 0 : (id >= V ? V - 1 : id);
    out[i] = table[(djs_i64)id * D + c];
  }
}
DJS_KERNEL void djs_gather_b4(const djs_u32* table, const int* ids, djs_u32* out, int n, int D, int V) { djs_gather_impl<djs_u32>(table, ids, out, n, D, V); }
DJS_KERNEL void djs_gather_b2(const djs_u16* table, const int* ids, djs_u16* out, int n, int D, int V) { djs_gather_impl<djs_u16>(table, ids, out, n, D, V); }

// int8 row-wise table (quantize_embeddings) kept packed in u32 words, byte e = element e (little-endian): each
// gathered value is (code * scales[id]) * (1/127) in float, dequantizeRows' order, then stored in the output dtype.
template <typename T>
DJS_DEV void djs_gather_int8_impl(const djs_u32* __restrict__ w, const float* __restrict__ scales, const int* __restrict__ ids, T* __restrict__ out, int n, int D, int V) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    int row = i / D, c = i - row * D;
    int id = ids[row];
    id = id < 0 ? 0 : (id >= V ? V - 1 : id);
    djs_i64 e = (djs_i64)id * D + c;
    int code = (int)(signed char)((w[e >> 2] >> ((e & 3) * 8)) & 0xffu);
    djs_st(out, i, ((float)code * scales[id]) * 7.874015718698502e-3f);
  }
}
DJS_KERNEL void djs_gather_int8_f32(const djs_u32* w, const float* scales, const int* ids, float* out, int n, int D, int V) { djs_gather_int8_impl<float>(w, scales, ids, out, n, D, V); }
DJS_KERNEL void djs_gather_int8_f16(const djs_u32* w, const float* scales, const int* ids, h16* out, int n, int D, int V) { djs_gather_int8_impl<h16>(w, scales, ids, out, n, D, V); }
DJS_KERNEL void djs_gather_int8_bf16(const djs_u32* w, const float* scales, const int* ids, b16* out, int n, int D, int V) { djs_gather_int8_impl<b16>(w, scales, ids, out, n, D, V); }
`;
