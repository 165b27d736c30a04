/*
 * Quantized GEMMs: the int8 dot-product GEMM with dynamic per-row activation quantization, and the
 * dequantize-in-GEMM for int4 (and int8 with float activations). See qgemm.h for the numerics.
 *
 * int8 micro-kernel: MR rows × NR columns of int32 accumulators (2 vectors per row, like the SGEMM's tile). Per
 * k-pair: the B panel's 2·NR int8 codes are sign-extended to int16, each A row's pair of int16 codes is broadcast as
 * one int32, and a widening dot (pmaddwd / i32x4.dot_i16x8_s) adds a[2p]·w[2p] + a[2p+1]·w[2p+1] into each int32
 * lane. |a|, |w| ≤ 127 so every product and sum is exact (K up to 133,000 before int32 could overflow). A u8×s8
 * pmaddubsw would do twice the pairs per instruction but saturates its int16 sums (255·127·2 > 32767); VNNI /
 * AVX-512-VNNI (vpdpwssd) would fuse the add — not compiled here: this project's machines have neither to test it.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include "qgemm.h"
#include "pool.h"
#if DJ_ISA == DJ_AVX512 || DJ_ISA == DJ_AVX2 || (DJ_ISA == DJ_BASE && defined(__SSE2__))
#include <immintrin.h>
#endif

/* 2·VL int16 / int8 lanes: one vi's worth of k-pairs. */
typedef int16_t vs16 __attribute__((vector_size(VL * 4)));
typedef int8_t vs8 __attribute__((vector_size(VL * 2)));

/* lane i = a[2i]·b[2i] + a[2i+1]·b[2i+1] in int32 (exact). */
static inline vi madd16(vs16 a, vs16 b) {
#if DJ_ISA == DJ_AVX512
  return (vi)_mm512_madd_epi16((__m512i)a, (__m512i)b);
#elif DJ_ISA == DJ_AVX2
  return (vi)_mm256_madd_epi16((__m256i)a, (__m256i)b);
#elif DJ_ISA == DJ_BASE && defined(__SSE2__)
  return (vi)_mm_madd_epi16((__m128i)a, (__m128i)b);
#elif DJ_ISA == DJ_WASM || DJ_ISA == DJ_WASM_RELAXED
  /* relaxed SIMD's i8x16 dot needs one 7-bit operand (not exact for ±127 codes): the exact i16 dot is used */
  return (vi)__builtin_wasm_dot_s_i32x4_i16x8(a, b);
#else
  vi r;
  for (int i = 0; i < VL; i++) r[i] = (int32_t)a[2 * i] * b[2 * i] + (int32_t)a[2 * i + 1] * b[2 * i + 1];
  return r;
#endif
}

static inline vs16 ld_s8(const int8_t* p) {
  vs8 v;
  memcpy(&v, p, sizeof v);
  return __builtin_convertvector(v, vs16);
}

#define KP(k) (((k) + 1) / 2)
/* Rows per cache block of packed A: MC rows of K int16 stay in L2 while every panel of the thread passes. */
#define QMC (8 * MR)

static inline long panels_of(int n) { return (n + NR - 1) / NR; }

long KFN(dj_qpacked_bytes)(int n, int k) { return panels_of(n) * NR * 4 + panels_of(n) * NR * 2L * KP(k); }

void KFN(dj_qpack_i8)(const int8_t* codes, const float* scb, int n, int k, uint8_t* out) {
  long panels = panels_of(n);
  float* sw = (float*)out;
  int8_t* w = (int8_t*)(out + panels * NR * 4);
  const int kp = KP(k);
  for (long j = 0; j < panels * NR; j++) sw[j] = j < n ? scb[j] * (1.0f / 127.0f) : 0.0f;
  for (long p = 0; p < panels; p++) {
    int8_t* dst = w + p * NR * 2L * kp;
    for (int q = 0; q < kp; q++)
      for (int c = 0; c < NR; c++) {
        long row = p * NR + c;
        for (int h = 0; h < 2; h++) {
          int kk = 2 * q + h;
          dst[(long)q * 2 * NR + 2 * c + h] = row < n && kk < k ? codes[row * k + kk] : 0;
        }
      }
  }
}

/*
 * Quantizes rows [r0, r1) of A (a multiple of MR apart, r0 a multiple of MR) into packed blocks [kp][MR] of
 * int16 pairs (as int32), and their scales sa = amax/127. Every row is quantized on its own: its codes do not
 * depend on the other rows of the batch.
 */
static void quantize_rows(const float* a, long lda, int m, int k, int r0, int r1, int32_t* ap, float* sa) {
  const int kp = KP(k);
  /* a chunk of one row's codes (an even count, so chunks hold whole k-pairs), read back as int32 pairs */
  enum { CH = 1024 };
  int16_t q[CH];
  for (int r = r0; r < r1; r++) {
    int32_t* blk = ap + (long)(r / MR) * kp * MR + r % MR;
    if (r >= m) {
      for (int p = 0; p < kp; p++) blk[p * MR] = 0;
      continue;
    }
    const float* x = a + (long)r * lda;
    vf vmx = splat(0);
    int j = 0;
    for (; j + VL <= k; j += VL) vmx = vmax(vmx, (vf)((vi)ldv(x + j) & 0x7fffffff));
    float amax = hmax(vmx);
    for (; j < k; j++) {
      float v = __builtin_fabsf(x[j]);
      amax = v > amax ? v : amax;
    }
    sa[r] = amax / 127.0f;
    const float inv = amax > 0 ? 127.0f / amax : 0.0f;
    for (int c0 = 0; c0 < k; c0 += CH) {
      int n = k - c0 < CH ? k - c0 : CH;
      /* round half to even (rintf in the default rounding mode; a plain product first, no fused add), clamped to
         ±127 (|x·inv| ≤ 127 up to one rounding); vectorised by the compiler */
      for (int i = 0; i < n; i++) {
        float v = __builtin_rintf(x[c0 + i] * inv);
        q[i] = (int16_t)(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
      }
      if (n & 1) q[n++] = 0; /* the last pair of an odd K */
      int32_t* dst = blk + (long)(c0 / 2) * MR;
      for (int p = 0; p < n / 2; p++) {
        int32_t w;
        memcpy(&w, q + 2 * p, 4); /* little-endian: q[2p] in the low half, as the kernel's pmaddwd pairs expect */
        dst[p * MR] = w;
      }
    }
  }
}

static inline vi splat_i(int32_t x) {
  vi v;
  for (int i = 0; i < VL; i++) v[i] = x;
  return v;
}

/* One MR × NR tile over the whole K, then the epilogue into c (rows × cols of it are real). */
static inline void qtile(int kp, const int32_t* ap, const int8_t* bp, const float* sa, const float* sw, float* c,
                         long ldc, int rows, int cols, const float* bias, int act) {
  vi c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++) c0[r] = c1[r] = splat_i(0);
  for (int p = 0; p < kp; p++) {
    vs16 b0 = ld_s8(bp + (long)p * 2 * NR), b1 = ld_s8(bp + (long)p * 2 * NR + NR);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      vs16 a = (vs16)splat_i(ap[p * MR + r]);
      c0[r] += madd16(a, b0);
      c1[r] += madd16(a, b1);
    }
  }
  vf s0 = ldv(sw), s1 = ldv(sw + VL);
  vf b0 = splat(0), b1 = splat(0);
  if (bias) {
    float bt[NR] = {0};
    for (int q = 0; q < cols; q++) bt[q] = bias[q];
    b0 = ldv(bt), b1 = ldv(bt + VL);
  }
  for (int r = 0; r < rows; r++) {
    vf y0 = __builtin_convertvector(c0[r], vf) * (s0 * sa[r]) + b0;
    vf y1 = __builtin_convertvector(c1[r], vf) * (s1 * sa[r]) + b1;
    if (act == DJ_ACT_GELU) y0 = v_gelu(y0), y1 = v_gelu(y1);
    float* row = c + r * ldc;
    if (cols == NR) {
      stv(row, y0);
      stv(row + VL, y1);
    } else {
      float t[NR];
      stv(t, y0);
      stv(t + VL, y1);
      for (int q = 0; q < cols; q++) row[q] = t[q];
    }
  }
}

typedef struct {
  int m, n, k, chunks, panels, qchunks;
  const float* a;
  long lda;
  const uint8_t* packed;
  int32_t* ap;
  float* sa;
  float* c;
  long ldc;
  const float* bias;
  int act;
  atomic_int qdone; /* quantization tasks finished */
} qgemm_job;

static void quant_task(void* ctx, int t) {
  qgemm_job* j = ctx;
  int blocks = (j->m + MR - 1) / MR;
  int b0 = (int)((long)blocks * t / j->qchunks), b1 = (int)((long)blocks * (t + 1) / j->qchunks);
  quantize_rows(j->a, j->lda, j->m, j->k, b0 * MR, b1 * MR, j->ap, j->sa);
}

static void gemm_part(qgemm_job* j, int t);

/*
 * One fork-join per call: tasks [0, qchunks) quantize row blocks of A, the rest are panel chunks of the product.
 * The pool hands tasks out in increasing order, so by the time a product task starts every quantization task has
 * been claimed by a running thread; the product tasks wait (spin) for them to finish.
 */
static void qgemm_task(void* ctx, int t) {
  qgemm_job* j = ctx;
  if (t < j->qchunks) {
    quant_task(j, t);
    atomic_fetch_add_explicit(&j->qdone, 1, memory_order_release);
    return;
  }
  while (atomic_load_explicit(&j->qdone, memory_order_acquire) < j->qchunks) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
  gemm_part(j, t - j->qchunks);
}

static void gemm_part(qgemm_job* j, int t) {
  int p0 = (int)((long)j->panels * t / j->chunks), p1 = (int)((long)j->panels * (t + 1) / j->chunks);
  const int kp = KP(j->k);
  const float* sw = (const float*)j->packed;
  const int8_t* w = (const int8_t*)(j->packed + (long)j->panels * NR * 4);
  for (int i0 = 0; i0 < j->m; i0 += QMC) {
    int i1 = i0 + QMC < j->m ? i0 + QMC : j->m;
    for (int p = p0; p < p1; p++) {
      int j0 = p * NR;
      int cols = j->n - j0 < NR ? j->n - j0 : NR;
      const int8_t* bp = w + (long)p * NR * 2 * kp;
      for (int r = i0; r < i1; r += MR) {
        int rows = i1 - r < MR ? i1 - r : MR;
        qtile(kp, j->ap + (long)(r / MR) * kp * MR, bp, j->sa + r, sw + j0, j->c + (long)r * j->ldc + j0, j->ldc, rows,
              cols, j->bias ? j->bias + j0 : 0, j->act);
      }
    }
  }
}

int KFN(dj_qgemm_i8)(int m, int n, int k, const float* a, long lda, const uint8_t* packed, float* c, long ldc,
                     const float* bias, int act) {
  if (m <= 0 || n <= 0) return 0;
  const int kp = KP(k);
  int blocks = (m + MR - 1) / MR;
  int32_t* ap = malloc(sizeof(int32_t) * (size_t)blocks * MR * (kp > 0 ? kp : 1) + sizeof(float) * (size_t)blocks * MR);
  if (!ap) return -1;
  float* sa = (float*)(ap + (size_t)blocks * MR * kp);
  int panels = (int)panels_of(n);
  int threads = dj_threads();
  int chunks = threads > 1 ? 3 * threads : 1;
  if (chunks > panels) chunks = panels;
  int qchunks = threads > 1 ? 4 * threads : 1;
  if (qchunks > blocks) qchunks = blocks;
  qgemm_job j = {m, n, k, chunks, panels, qchunks, a, lda, packed, ap, sa, c, ldc, bias, act};
  atomic_init(&j.qdone, 0);
  if (threads <= 1 || (long long)m * n * k < 32768) {
    j.qchunks = 1;
    quant_task(&j, 0);
    j.chunks = 1;
    gemm_part(&j, 0);
  } else {
    dj_parallel_for(qchunks + chunks, qgemm_task, &j);
  }
  free(ap);
  return 0;
}

/* ---- dequantize-in-GEMM ---- */

/* Panels decoded per task step: about 512 KiB of floats (L2-resident), at least one. Each step re-packs A for its
   SGEMM call, so fewer, larger steps keep that cost small next to the product. */
static inline int panel_group(int k) {
  int g = 131072 / (k * NR > 0 ? k * NR : 1);
  return g < 1 ? 1 : g > 32 ? 32 : g;
}

/* Rows [j0, j0 + cols) of the weight, decoded into one float panel [k][NR] (zero columns past cols). */
static void decode_panel(const uint8_t* data, const float* scales, const float* table, int layout, int block, int k,
                         int j0, int cols, float* dst) {
  for (int c = 0; c < cols; c++) {
    long row = j0 + c;
    if (layout == 1) {
      const int8_t* codes = (const int8_t*)data + row * k;
      const float s = scales[row];
      for (int kk = 0; kk < k; kk++) {
        float v = (float)codes[kk] * s; /* rounded to f32 before the second product, as bnb does */
        dst[(long)kk * NR + c] = v * 7.874015718698502e-3f;
      }
    } else {
      /* Walk the row block by block with the table pre-multiplied by the block's scale (the same f32 product
         table[code] · scale per element); a byte never straddles a block (blocks start at even elements). */
      long e = row * k, end = e + k;
      float* d = dst + c;
      float st[16];
      while (e < end) {
        long b = e / block, stop = (b + 1) * block < end ? (b + 1) * block : end;
        const float s = scales[b];
        for (int q = 0; q < 16; q++) st[q] = table[q] * s;
        if (e & 1) { /* an odd start: the low nibble of its byte */
          *d = st[data[e >> 1] & 15];
          d += NR, e++;
        }
        for (; e + 1 < stop; e += 2, d += 2 * NR) {
          uint8_t byte = data[e >> 1];
          d[0] = st[byte >> 4];
          d[NR] = st[byte & 15];
        }
        if (e < stop) { /* an odd end: the high nibble */
          *d = st[data[e >> 1] >> 4];
          d += NR, e++;
        }
      }
    }
  }
  for (int c = cols; c < NR; c++)
    for (int kk = 0; kk < k; kk++) dst[(long)kk * NR + c] = 0;
}

typedef struct {
  int m, n, k, chunks, panels, group, failed;
  const float* a;
  long lda;
  const uint8_t* data;
  const float *scales, *table;
  int layout, block;
  float* c;
  long ldc;
  const float* bias;
  int act;
} dq_job;

static void dq_task(void* ctx, int t) {
  dq_job* j = ctx;
  int p0 = (int)((long)j->panels * t / j->chunks), p1 = (int)((long)j->panels * (t + 1) / j->chunks);
  if (p0 >= p1) return;
  float* buf = malloc(sizeof(float) * (size_t)j->group * NR * (j->k > 0 ? j->k : 1));
  if (!buf) {
    j->failed = 1;
    return;
  }
  for (int p = p0; p < p1; p += j->group) {
    int g = p1 - p < j->group ? p1 - p : j->group;
    int j0 = p * NR;
    for (int q = 0; q < g; q++) {
      int jj = j0 + q * NR;
      int cols = j->n - jj < NR ? j->n - jj : NR;
      decode_panel(j->data, j->scales, j->table, j->layout, j->block, j->k, jj, cols, buf + (long)q * j->k * NR);
    }
    KFN(dj_gemm_panels)(j->m, j->n - j0, j->k, j->a, j->lda, buf, j->c + j0, j->ldc, 1.0f, j->bias ? j->bias + j0 : 0,
                        j->act, 0, g);
  }
  free(buf);
}

int KFN(dj_dqgemm)(int m, int n, int k, const float* a, long lda, const uint8_t* data, const float* scales,
                   const float* table, int layout, int block, float* c, long ldc, const float* bias, int act) {
  if (m <= 0 || n <= 0) return 0;
  int panels = (int)panels_of(n);
  int threads = dj_threads();
  int chunks = threads > 1 ? 3 * threads : 1;
  if (chunks > panels) chunks = panels;
  dq_job j = {m, n, k, chunks, panels, panel_group(k), 0, a, lda, data, scales, table, layout, block, c, ldc, bias, act};
  if (chunks <= 1 || (long long)m * n * k < 32768) {
    j.chunks = 1;
    dq_task(&j, 0);
  } else {
    dj_parallel_for(chunks, dq_task, &j);
  }
  return j.failed ? -1 : 0;
}
