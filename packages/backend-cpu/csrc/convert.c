/*
 * Bulk float32 <-> IEEE half conversion for the loader (fp32 checkpoint -> fp16 weights, per chunk) and for the
 * f16 ops that widen/round their operands. F16C (vcvtps2ph / vcvtph2ps: round-to-nearest-even, subnormals, inf,
 * NaN exactly as IEEE) when the CPU has it, chosen at run time; otherwise a scalar loop with the same rounding as
 * core's f32BitsToF16Bits. Compiled once (not per ISA): the F16C functions carry their own target attribute.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

static uint16_t f32_to_f16_scalar(uint32_t x) {
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    int shift = 14 - e;
    uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)e << 10) | (mant >> 13), rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++;
  return (uint16_t)(sign | half);
}

static float f16_to_f32_scalar(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
  if (exp == 0x1f) bits = sign | 0x7f800000 | (mant << 13);
  else if (exp) bits = sign | ((exp + 112) << 23) | (mant << 13);
  else if (!mant) bits = sign;
  else { /* subnormal: normalise */
    int e = -1;
    do { mant <<= 1; e++; } while (!(mant & 0x400));
    bits = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3ff) << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

#if defined(__x86_64__)
__attribute__((target("avx,f16c"))) static void f32_to_f16_f16c(const float* src, uint16_t* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128((__m128i*)(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++) {
    uint32_t b;
    memcpy(&b, src + i, 4);
    dst[i] = f32_to_f16_scalar(b);
  }
}

__attribute__((target("avx,f16c"))) static void f16_to_f32_f16c(const uint16_t* src, float* dst, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i*)(src + i))));
  for (; i < n; i++) dst[i] = f16_to_f32_scalar(src[i]);
}

static int has_f16c(void) {
  static int cached = -1;
  if (cached < 0) {
    __builtin_cpu_init();
    cached = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
  }
  return cached;
}
#endif

void dj_f32_to_f16(const float* src, uint16_t* dst, size_t n) {
#if defined(__x86_64__)
  if (has_f16c()) {
    f32_to_f16_f16c(src, dst, n);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++) {
    uint32_t b;
    memcpy(&b, src + i, 4);
    dst[i] = f32_to_f16_scalar(b);
  }
}

void dj_f16_to_f32(const uint16_t* src, float* dst, size_t n) {
#if defined(__x86_64__)
  if (has_f16c()) {
    f16_to_f32_f16c(src, dst, n);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++) dst[i] = f16_to_f32_scalar(src[i]);
}
