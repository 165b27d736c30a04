/* Residual add + LayerNorm (torch semantics: biased variance, eps inside the sqrt) and the exact GELU, by rows. */
#include <math.h> /* sqrtf */
#include "gemm.h"
#include "pool.h"

static void ln_row(const float* x, const float* res, const float* g, const float* bt, int d, float eps, float* out) {
  const float* src = x;
  vf acc = splat(0);
  int j;
  if (res) {
    /* the sum is rounded to f32 first, as an unfused add would */
    for (j = 0; j + VL <= d; j += VL) {
      vf s = ldv(x + j) + ldv(res + j);
      stv(out + j, s);
      acc += s;
    }
    for (; j < d; j++) out[j] = x[j] + res[j];
    src = out;
  } else {
    for (j = 0; j + VL <= d; j += VL) acc += ldv(x + j);
  }
  float sum = hsum(acc);
  for (j = d - d % VL; j < d; j++) sum += src[j];
  const float mean = sum / d;
  vf var = splat(0);
  for (j = 0; j + VL <= d; j += VL) {
    vf c = ldv(src + j) - mean;
    var = VFMA(c, c, var);
  }
  float v = hsum(var);
  for (; j < d; j++) v += (src[j] - mean) * (src[j] - mean);
  const float inv = 1.0f / sqrtf(v / d + eps);
  for (j = 0; j + VL <= d; j += VL) stv(out + j, (ldv(src + j) - mean) * inv * ldv(g + j) + ldv(bt + j));
  for (; j < d; j++) out[j] = (src[j] - mean) * inv * g[j] + bt[j];
}

typedef struct {
  const float *x, *res, *g, *b;
  int rows, d, chunks;
  float eps;
  float* out;
} ln_job;

static void ln_task(void* ctx, int t) {
  ln_job* j = ctx;
  long r0 = (long)j->rows * t / j->chunks, r1 = (long)j->rows * (t + 1) / j->chunks;
  for (long r = r0; r < r1; r++)
    ln_row(j->x + r * j->d, j->res ? j->res + r * j->d : 0, j->g, j->b, j->d, j->eps, j->out + r * j->d);
}

void KFN(dj_layer_norm)(const float* x, const float* res, const float* gamma, const float* beta, int rows, int d,
                        float eps, float* out) {
  int chunks = dj_threads();
  /* memory-bound and short: below ~1M floats a second thread's wake-up costs more than it saves */
  if ((long)rows * d < (1L << 20) || rows < chunks) chunks = 1;
  ln_job j = {x, res, gamma, beta, rows, d, chunks, eps, out};
  if (chunks == 1) ln_task(&j, 0);
  else dj_parallel_for(chunks, ln_task, &j);
}

void KFN(dj_gelu)(float* x, long n) {
  long i = 0;
  for (; i + VL <= n; i += VL) stv(x + i, v_gelu(ldv(x + i)));
  if (i < n) {
    float t[VL] = {0};
    for (long q = i; q < n; q++) t[q - i] = x[q];
    stv(t, v_gelu(ldv(t)));
    for (long q = i; q < n; q++) x[q] = t[q - i];
  }
}
