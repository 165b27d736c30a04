/**
 * The v2 ConvLayer's 1-D convolution, as im2col + one GEMM: `out[t, ci*k + tap] = x[t + tap - (k-1)/2, ci]` when
 * that row lies in the same sequence as row t, else 0 (zero padding at each sequence's ends). The GEMM with the
 * torch weight `[Cout, Cin, k]` read as `[Cout, Cin*k]` then gives the convolution.
 *
 * Sequences: `seqLen > 0` for padded layouts (row t is in sequence t / seqLen), else `offsets[0..numSeq]` of a
 * packed layout (binary search).
 */
export const CONV1D_SOURCE = String.raw`
template <typename W>
DJS_DEV void djs_im2col_impl(const W* __restrict__ x, W* __restrict__ out, const int* __restrict__ offsets, int numSeq,
                             int seqLen, int T, int Cin, int k) {
  const int width = Cin * k;
  const int pad = (k - 1) / 2;
  const djs_i64 n = (djs_i64)T * width;
  for (djs_i64 i = (djs_i64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (djs_i64)gridDim.x * blockDim.x) {
    int row = (int)(i / width);
    int col = (int)(i - (djs_i64)row * width);
    int ci = col / k, tap = col - ci * k;
    int start, end;
    if (seqLen > 0) {
      start = (row / seqLen) * seqLen;
      end = start + seqLen;
    } else {
      int lo = 0, hi = numSeq - 1;
      while (lo < hi) {
        int mid = (lo + hi + 1) >> 1;
        if (offsets[mid] <= row) lo = mid; else hi = mid - 1;
      }
      start = offsets[lo];
      end = offsets[lo + 1];
    }
    int src = row + tap - pad;
    W v;
    if (src >= start && src < end) v = x[(djs_i64)src * Cin + ci];
    else v = (W)0;
    out[i] = v;
  }
}
DJS_KERNEL void djs_im2col_b4(const djs_u32* x, djs_u32* out, const int* offsets, int numSeq, int seqLen, int T, int Cin, int k) { djs_im2col_impl<djs_u32>(x, out, offsets, numSeq, seqLen, T, Cin, k); }
DJS_KERNEL void djs_im2col_b2(const djs_u16* x, djs_u16* out, const int* offsets, int numSeq, int seqLen, int T, int Cin, int k) { djs_im2col_impl<djs_u16>(x, out, offsets, numSeq, seqLen, T, Cin, k); }
`;
