/**
 * The common head of every kernel module: storage types, conversions, warp reductions, activations and the
 * `DjsGeom` struct that carries shapes and strides by value.
 *
 * Written for NVRTC with no headers at all (no cuda_fp16.h: half and bfloat16 are plain 16-bit words converted with
 * PTX `cvt` or integer arithmetic), so compiling needs nothing but libnvrtc. The same text compiles with `nvcc` (the
 * CI syntax check) and, with `-DDJS_EMU` and the emulator header force-included, with a host C++ compiler (the
 * CPU tests run every kernel through that emulator).
 */
export const PRELUDE = String.raw`
#ifndef DJS_EMU
#define DJS_DEV static __device__ __forceinline__
#define DJS_KERNEL extern "C" __global__
#define DJS_DYN_SMEM(name) alignas(16) extern __shared__ unsigned char name[]
#define DJS_SHARED __shared__
#endif

typedef unsigned short djs_u16;
typedef unsigned int djs_u32;
typedef long long djs_i64;

/* Storage types: IEEE half and bfloat16 as raw bits. */
struct h16 { djs_u16 x; };
struct b16 { djs_u16 x; };

#define DJS_FLT_MAX 3.402823466e+38f

/* Shapes and strides by value (rank <= 6). Each kernel documents what s0/s1/s2 hold. */
struct DjsGeom {
  int rank;
  int axis;
  int dims[6];
  int s0[6];
  int s1[6];
  int s2[6];
};

DJS_DEV float djs_inf() { return __int_as_float(0x7f800000); }

DJS_DEV float djs_h2f(djs_u16 h) {
#ifdef DJS_EMU
  return djs_emu_h2f(h);
#else
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
#endif
}

DJS_DEV djs_u16 djs_f2h(float f) {
#ifdef DJS_EMU
  return djs_emu_f2h(f);
#else
  djs_u16 h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#endif
}

DJS_DEV float djs_bf2f(djs_u16 b) { return __uint_as_float(((djs_u32)b) << 16); }

/* float -> bfloat16, round to nearest even (torch's .to(torch.bfloat16)); NaN stays NaN. */
DJS_DEV djs_u16 djs_f2bf(float f) {
  djs_u32 u = __float_as_uint(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (djs_u16)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (djs_u16)(u >> 16);
}

DJS_DEV float djs_ld(const float* p, djs_i64 i) { return p[i]; }
DJS_DEV float djs_ld(const h16* p, djs_i64 i) { return djs_h2f(p[i].x); }
DJS_DEV float djs_ld(const b16* p, djs_i64 i) { return djs_bf2f(p[i].x); }
DJS_DEV void djs_st(float* p, djs_i64 i, float v) { p[i] = v; }
DJS_DEV void djs_st(h16* p, djs_i64 i, float v) { p[i].x = djs_f2h(v); }
DJS_DEV void djs_st(b16* p, djs_i64 i, float v) { p[i].x = djs_f2bf(v); }

/* 16-bit words for the tensor-core paths. */
DJS_DEV djs_u16 djs_bits(float v, const h16*) { return djs_f2h(v); }
DJS_DEV djs_u16 djs_bits(float v, const b16*) { return djs_f2bf(v); }
DJS_DEV djs_u32 djs_pack2(djs_u16 lo, djs_u16 hi) { return (djs_u32)lo | ((djs_u32)hi << 16); }

/* Masks and other "any dtype" inputs: 0 none (all ones), 1 f32, 2 f16, 3 bf16, 4 i32, 5 u8. */
DJS_DEV bool djs_mask_on(const void* m, int kind, djs_i64 i) {
  switch (kind) {
    case 1: return ((const float*)m)[i] != 0.0f;
    case 2: return (((const djs_u16*)m)[i] & 0x7fffu) != 0;
    case 3: return (((const djs_u16*)m)[i] & 0x7fffu) != 0;
    case 4: return ((const int*)m)[i] != 0;
    case 5: return ((const unsigned char*)m)[i] != 0;
    default: return true;
  }
}

DJS_DEV float djs_warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

DJS_DEV float djs_warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/* Activation codes (see src/kernels/index.ts ACT_CODES). */
DJS_DEV float djs_act(float x, int act) {
  switch (act) {
    case 1: return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
    case 2: return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    case 3: return 0.5f * x * (1.0f + tanhf(x * 0.7978845608f * (1.0f + 0.044715f * x * x)));
    case 4: return x / (1.0f + expf(-1.702f * x));
    case 5: return x > 0.0f ? x : 0.0f;
    case 6: return tanhf(x);
    case 7: return 1.0f / (1.0f + expf(-x));
    case 8: return x / (1.0f + expf(-x));
    default: return x;
  }
}
`;
