/*
 * Portable SIMD for the deberta-js CPU kernels: GCC/Clang vector extensions, so one source compiles to AVX-512,
 * AVX2+FMA, SSE2, WebAssembly SIMD128 and NEON. The build compiles every kernel file once per instruction set with
 * -DDJ_ISA=<n> and the matching -m flags; KFN(name) gives each copy its own symbol (name_avx512, name_wasm, …) so
 * one native binary can hold all of them and pick at run time (dispatch.c).
 *
 * VL: floats per vector. MR × NR: the GEMM micro-tile (NR = 2 vectors), sized so MR·2 accumulators + 2 B vectors +
 * 1 broadcast fit the ISA's register file (32 zmm; 16 ymm/xmm).
 */
#ifndef DJ_SIMD_H
#define DJ_SIMD_H
#include <stdint.h>
#include <string.h>

#define DJ_AVX512 1
#define DJ_AVX2 2
#define DJ_BASE 3
#define DJ_WASM 4
#define DJ_WASM_RELAXED 5

#ifndef DJ_ISA
#define DJ_ISA DJ_BASE
#endif

#if DJ_ISA == DJ_AVX512
#define VL 16
#define MR 12
#define ISA_SUFFIX _avx512
#elif DJ_ISA == DJ_AVX2
#define VL 8
#define MR 6
#define ISA_SUFFIX _avx2
#elif DJ_ISA == DJ_WASM
#define VL 4
#define MR 4 /* V8 maps v128 to 16 xmm registers: 8 accumulators leave room for its own temporaries */
#define ISA_SUFFIX _wasm
#elif DJ_ISA == DJ_WASM_RELAXED
#define VL 4
#define MR 4 /* V8 spills accumulators at MR = 5 or 6 even with FMA (checked with --print-wasm-code) */
#define ISA_SUFFIX _wasmrelaxed
#else
#define VL 4
#define MR 6
#define ISA_SUFFIX _base
#endif
#define NR (2 * VL)

#define DJ_CAT2(a, b) a##b
#define DJ_CAT(a, b) DJ_CAT2(a, b)
#define KFN(name) DJ_CAT(name, ISA_SUFFIX)

typedef float vf __attribute__((vector_size(VL * 4)));
typedef int32_t vi __attribute__((vector_size(VL * 4)));

static inline vf ldv(const float* p) {
  vf v;
  memcpy(&v, p, sizeof v);
  return v;
}
static inline void stv(float* p, vf v) { memcpy(p, &v, sizeof v); }
/* (not `(vf){0} + s`: that is an add, since 0 + (−0) ≠ −0) */
static inline vf splat(float s) {
  vf v;
  for (int i = 0; i < VL; i++) v[i] = s;
  return v;
}

#if DJ_ISA == DJ_WASM_RELAXED
/* relaxed_madd: a fused multiply-add where the engine has one (x86 FMA, arm64), a mul+add elsewhere. */
#define VFMA(a, b, c) ((vf)__builtin_wasm_relaxed_madd_f32x4((a), (b), (c)))
#else
/* a*b + c; contracted to one FMA instruction by -ffp-contract=fast where the ISA has it. */
#define VFMA(a, b, c) ((a) * (b) + (c))
#endif

static inline float hsum(vf v) {
  float s = 0;
  for (int i = 0; i < VL; i++) s += v[i];
  return s;
}
static inline float hmax(vf v) {
  float s = v[0];
  for (int i = 1; i < VL; i++) s = v[i] > s ? v[i] : s;
  return s;
}
static inline vf vmax(vf a, vf b) {
  vi m = a > b;
  return (vf)(((vi)a & m) | ((vi)b & ~m));
}
static inline vf vmin(vf a, vf b) {
  vi m = a < b;
  return (vf)(((vi)a & m) | ((vi)b & ~m));
}

/*
 * exp(x), Cephes' expf scheme: x = n·ln2 + r, |r| ≤ ln2/2, degree-6 polynomial for e^r, 2^n put into the exponent
 * bits. Relative error ≈ 2e-7; x < −87.3 gives exactly 0 (as a masked softmax score must).
 */
static inline vf v_exp(vf x) {
  const vf lo = splat(-87.3f);
  vi under = x < lo;
  x = vmin(vmax(x, lo), splat(88.3f));
  vf fx = x * 1.44269504088896341f;
  /* round to nearest: adding 1.5·2²³ pushes the fraction out of the mantissa */
  vf n = (fx + 12582912.0f) - 12582912.0f;
  vf r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  vf p = splat(1.9875691500E-4f);
  p = VFMA(p, r, splat(1.3981999507E-3f));
  p = VFMA(p, r, splat(8.3334519073E-3f));
  p = VFMA(p, r, splat(4.1665795894E-2f));
  p = VFMA(p, r, splat(1.6666665459E-1f));
  p = VFMA(p, r, splat(5.0000001201E-1f));
  p = VFMA(p * r, r, r) + 1.0f;
  vi e = (__builtin_convertvector(n, vi) + 127) << 23;
  vf y = p * (vf)e;
  return (vf)((vi)y & ~under);
}

/* erf(x), Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), odd-symmetric. */
static inline vf v_erf(vf x) {
  vi sign = (vi)x & (int32_t)0x80000000;
  vf a = (vf)((vi)x & 0x7fffffff);
  vf t = 1.0f / VFMA(a, splat(0.3275911f), splat(1.0f));
  vf p = splat(1.061405429f);
  p = VFMA(p, t, splat(-1.453152027f));
  p = VFMA(p, t, splat(1.421413741f));
  p = VFMA(p, t, splat(-0.284496736f));
  p = VFMA(p, t, splat(0.254829592f));
  p = p * t;
  vf y = 1.0f - p * v_exp(-(a * a));
  return (vf)((vi)y | sign);
}

/* HF's exact GELU: x·Φ(x) = ½x(1 + erf(x/√2)). */
static inline vf v_gelu(vf x) { return 0.5f * x * (1.0f + v_erf(x * 0.70710678118654752f)); }

#endif
