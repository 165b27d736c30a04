/*
 * Fused disentangled attention, one task per (sequence, head), query rows in blocks of RB:
 *
 *   S = Q_blk K_hᵀ                                  (packed GEMM)
 *   S[i][j] += q_i · posKey[idx(i,j)]               (c2p: a GEMM of the block against the relative rows it uses,
 *   S[i][j] += k_j · posQuery[idx(i,j)]              p2c: per key block likewise; the score loop picks by idx(i,j))
 *   P = softmax(S / scale, masked as HF: a pair with a padded query or key scores the dtype's lowest value)
 *   ctx_blk = P V_h                                 (packed GEMM, written into the context rows)
 *
 * Memory per task is O(RB·n + n·R), never [B, H, L, L] (probs only when asked). idx(i,j) = rel[centre + i − j] is
 * monotone in i − j, so a sequence of n tokens touches the contiguous rows [rLo, rLo + R), R ≤ min(2n − 1, 2S), and
 * rows i0…i0+rb−1 against all keys (or keys j0…j0+kb−1 against all queries) only the rb + n − 1 (kb + n − 1) of them
 * with i − j in that block's range: the c2p/p2c GEMMs run only over the panels covering that window — about half the
 * work of all R rows, and the same dot products (each element of a panel is computed the same way either way).
 */
#include <stdlib.h>
#include "gemm.h"
#include "pool.h"

#ifndef RB
#define RB 64 /* query rows per block */
#endif
#define KB 64 /* key rows per p2c block */

/* The panels [*p0, *p1) of the packed relative rows (first row rlo) that idx(i, j) reaches for i − j in [dlo, dhi]. */
static void rel_window(const int32_t* rel, int centre, int rlo, int dlo, int dhi, int* p0, int* p1) {
  const int x = rel[centre + dlo], y = rel[centre + dhi]; /* monotone: the window's ends are its extremes */
  const int a = x < y ? x : y, b = x < y ? y : x;
  *p0 = (a - rlo) / NR;
  *p1 = (b - rlo) / NR + 1;
}

static void softmax_row(float* s, const float* keep, int n, int masked_row, int any_masked, float inv, float lowest) {
  vf mx = splat(-3.4028234663852886e38f);
  int j;
  const vf low = splat(lowest);
  /* scale and mask in place */
  for (j = 0; j + VL <= n; j += VL) {
    vf x = ldv(s + j) * inv;
    if (any_masked) {
      vi k = masked_row ? (vi){0} : (ldv(keep + j) != 0);
      x = (vf)(((vi)x & k) | ((vi)low & ~k));
    }
    stv(s + j, x);
    mx = vmax(mx, x);
  }
  float m = hmax(mx);
  for (; j < n; j++) {
    float x = (any_masked && (masked_row || keep[j] == 0)) ? lowest : s[j] * inv;
    s[j] = x;
    if (x > m) m = x;
  }
  vf sum = splat(0);
  const vf vm = splat(m);
  for (j = 0; j + VL <= n; j += VL) {
    vf e = v_exp(ldv(s + j) - vm);
    stv(s + j, e);
    sum += e;
  }
  float tot = hsum(sum);
  if (j < n) {
    float tmp[VL];
    for (int q = 0; q < VL; q++) tmp[q] = j + q < n ? s[j + q] - m : -1e30f;
    vf e = v_exp(ldv(tmp));
    stv(tmp, e);
    for (int q = 0; j + q < n; q++) s[j + q] = tmp[q], tot += tmp[q];
  }
  float r = 1.0f / tot;
  for (j = 0; j + VL <= n; j += VL) stv(s + j, ldv(s + j) * r);
  for (; j < n; j++) s[j] *= r;
}

typedef struct {
  const dj_attention_args* a;
} att_job;

static void att_task(void* ctx, int t) {
  const dj_attention_args* a = ((att_job*)ctx)->a;
  const int H = a->heads, d = a->head_dim, HD = H * d;
  const int b = t / H, h = t % H;
  const int start = a->seq_start[b], n = a->seq_len[b];
  if (n <= 0) return;
  const int32_t* rel = a->rel_index;
  const int centre = rel ? (a->rel_len - 1) >> 1 : 0;
  const int c2p = a->pos_key && rel, p2c = a->pos_query && rel;
  int rlo = 0, R = 0;
  if (c2p || p2c) {
    int lo = 0x7fffffff, hi = -0x7fffffff;
    for (int q = centre - (n - 1); q <= centre + (n - 1); q++) {
      if (rel[q] < lo) lo = rel[q];
      if (rel[q] > hi) hi = rel[q];
    }
    rlo = lo;
    R = hi - lo + 1;
  }
  const int rb_max = n < RB ? n : RB;
  long sz_k = dj_packed_floats(n, d), sz_v = dj_packed_floats(d, n), sz_r = dj_packed_floats(R, d);
  long total = sz_k + sz_v + (long)rb_max * n + n /* keep */ + (c2p ? sz_r + (long)rb_max * R : 0) +
               (p2c ? sz_r + (long)n * R : 0);
  float* mem = malloc(sizeof(float) * total);
  if (!mem) return; /* the caller checks a->context was written? no: allocation failure is reported by the binding */
  float *kp = mem, *vp = kp + sz_k, *S = vp + sz_v, *keep = S + (long)rb_max * n, *p = keep + n;
  float *pkp = 0, *rpk = 0, *pqp = 0, *rpq = 0;
  if (c2p) pkp = p, p += sz_r, rpk = p, p += (long)rb_max * R;
  if (p2c) pqp = p, p += sz_r, rpq = p, p += (long)n * R;

  const float* qh = a->q + (long)start * HD + h * d;
  const float* kh = a->k + (long)start * HD + h * d;
  const float* vh = a->v + (long)start * HD + h * d;
  float* ch = a->context + (long)start * HD + h * d;
  int any_masked = 0;
  for (int i = 0; i < n; i++) {
    keep[i] = a->mask ? (a->mask[(long)b * a->mask_stride + i] == 0 ? 0.f : 1.f) : 1.f;
    if (keep[i] == 0) any_masked = 1;
  }
  KFN(dj_pack_bt_strided)(kh, HD, n, d, kp);
  KFN(dj_pack_b_rows)(vh, HD, n, d, vp);
  if (c2p) KFN(dj_pack_bt_strided)(a->pos_key + (long)rlo * HD + h * d, HD, R, d, pkp);
  if (p2c) {
    KFN(dj_pack_bt_strided)(a->pos_query + (long)rlo * HD + h * d, HD, R, d, pqp);
    for (int j0 = 0; j0 < n; j0 += KB) {
      const int kb = n - j0 < KB ? n - j0 : KB;
      int p0, p1;
      rel_window(rel, centre, rlo, -(j0 + kb - 1), n - 1 - j0, &p0, &p1);
      KFN(dj_gemm_panels)(kb, R, d, kh + (long)j0 * HD, HD, pqp, rpq + (long)j0 * R, R, 1.f, 0, 0, p0, p1);
    }
  }
  const int kpanels = (n + NR - 1) / NR, dpanels = (d + NR - 1) / NR;
  for (int i0 = 0; i0 < n; i0 += RB) {
    const int rb = n - i0 < RB ? n - i0 : RB;
    KFN(dj_gemm_panels)(rb, n, d, qh + (long)i0 * HD, HD, kp, S, n, 1.f, 0, 0, 0, kpanels);
    if (c2p) {
      int p0, p1;
      rel_window(rel, centre, rlo, i0 - (n - 1), i0 + rb - 1, &p0, &p1);
      KFN(dj_gemm_panels)(rb, R, d, qh + (long)i0 * HD, HD, pkp, rpk, R, 1.f, 0, 0, p0, p1);
    }
    for (int i = 0; i < rb; i++) {
      float* srow = S + (long)i * n;
      const int32_t* ri = rel + centre + i0 + i; /* idx(i, j) = ri[-j] */
      if (c2p) {
        const float* pr = rpk + (long)i * R - rlo;
        for (int j = 0; j < n; j++) srow[j] += pr[ri[-j]];
      }
      if (p2c) {
        const float* pr = rpq - rlo;
        for (int j = 0; j < n; j++) srow[j] += pr[(long)j * R + ri[-j]];
      }
      softmax_row(srow, keep, n, keep[i0 + i] == 0, any_masked, a->inv_scale, a->lowest);
      if (a->probs) {
        float* dst = a->probs + (((long)b * H + h) * a->max_len + i0 + i) * a->max_len;
        memcpy(dst, srow, sizeof(float) * n);
      }
    }
    KFN(dj_gemm_panels)(rb, d, n, S, n, vp, ch + (long)i0 * HD, HD, 1.f, 0, 0, 0, dpanels);
  }
  free(mem);
}

void KFN(dj_attention)(const dj_attention_args* a) {
  att_job j = {a};
  dj_parallel_for(a->batch * a->heads, att_task, &j);
}
