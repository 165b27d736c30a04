/**
 * Embedding gather: rows of `table` `[V, D]` at i32 `ids` `[N]` → `[N, D]`. Pure data movement, so one kernel per
 * element width (`b4`: f32 / i32, `b2`: f16 / bf16). Ids are validated by core; they are clamped here anyway so a
 * bad id can never read outside the table.
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
`;
