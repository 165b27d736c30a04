/*
 * Node-API binding of the native kernel set. Every buffer is a typed array that JS owns (zero-copy); each function
 * checks that the arrays are long enough for the sizes given, so a wrong call throws a RangeError instead of
 * touching memory it does not own. Shape rules live in core/TS; these checks only guard memory.
 */
#include <node_api.h>
#include <stdlib.h>
#include "kernels.h"
#include "pool.h"

const dj_kernel_set* dj_kernels_named(const char* name);
void dj_force_kernels(const dj_kernel_set* k);

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "deberta-js native: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_range(napi_env env, const char* msg) {
  napi_throw_range_error(env, NULL, msg);
  return NULL;
}

/* A Float32Array/Int32Array argument (or null/undefined when optional). Returns 0 on a type error (thrown). */
static int get_array(napi_env env, napi_value v, napi_typedarray_type want, void** data, size_t* len, int optional) {
  napi_valuetype t;
  *data = NULL;
  *len = 0;
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (optional && (t == napi_null || t == napi_undefined)) return 1;
  bool is;
  napi_is_typedarray(env, v, &is);
  if (!is) {
    napi_throw_type_error(env, NULL, "deberta-js native: expected a typed array");
    return 0;
  }
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  napi_get_typedarray_info(env, v, &type, len, data, &ab, &off);
  if (type != want) {
    napi_throw_type_error(env, NULL, want == napi_float32_array ? "deberta-js native: expected a Float32Array"
                                     : want == napi_uint8_array ? "deberta-js native: expected a Uint8Array"
                                     : want == napi_uint16_array ? "deberta-js native: expected a Uint16Array"
                                                                 : "deberta-js native: expected an Int32Array");
    return 0;
  }
  return 1;
}

static double num(napi_env env, napi_value v) {
  double d = 0;
  napi_get_value_double(env, v, &d);
  return d;
}

#define ARGS(n)                                                  \
  size_t argc = n;                                               \
  napi_value argv[n];                                            \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));   \
  if (argc < n) {                                                \
    napi_throw_type_error(env, NULL, "deberta-js native: too few arguments"); \
    return NULL;                                                 \
  }

#define F32(i, name, opt)                                                        \
  float* name;                                                                   \
  size_t name##_len;                                                             \
  if (!get_array(env, argv[i], napi_float32_array, (void**)&name, &name##_len, opt)) return NULL;

static napi_value js_info(napi_env env, napi_callback_info info) {
  const dj_kernel_set* k = dj_kernels();
  napi_value o, s, t, nr;
  CHECK(napi_create_object(env, &o));
  CHECK(napi_create_string_utf8(env, k->name, NAPI_AUTO_LENGTH, &s));
  CHECK(napi_create_int32(env, dj_threads(), &t));
  CHECK(napi_create_int32(env, k->nr, &nr));
  CHECK(napi_set_named_property(env, o, "isa", s));
  CHECK(napi_set_named_property(env, o, "threads", t));
  CHECK(napi_set_named_property(env, o, "nr", nr));
  return o;
}

/* setIsa(name) → true when this CPU runs that set (it is then used), false otherwise. */
static napi_value js_set_isa(napi_env env, napi_callback_info info) {
  ARGS(1);
  char name[32];
  size_t n;
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n));
  const dj_kernel_set* k = dj_kernels_named(name);
  if (k) dj_force_kernels(k);
  napi_value r;
  CHECK(napi_get_boolean(env, k != NULL, &r));
  return r;
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  ARGS(1);
  dj_set_threads((int)num(env, argv[0]));
  return NULL;
}

static long packed_len(int n, int k) {
  int nr = dj_kernels()->nr;
  return (long)((n + nr - 1) / nr) * nr * k;
}

static napi_value js_packed_length(napi_env env, napi_callback_info info) {
  ARGS(2);
  napi_value r;
  CHECK(napi_create_double(env, (double)packed_len((int)num(env, argv[0]), (int)num(env, argv[1])), &r));
  return r;
}

/* packB(w [n*k], n, k, out [packedLength(n, k)]) */
static napi_value js_pack_b(napi_env env, napi_callback_info info) {
  ARGS(4);
  F32(0, w, 0);
  int n = (int)num(env, argv[1]), k = (int)num(env, argv[2]);
  F32(3, out, 0);
  if (n < 0 || k < 0 || w_len < (size_t)n * k || out_len < (size_t)packed_len(n, k)) return throw_range(env, "packB: arrays too short");
  dj_kernels()->pack_b(w, n, k, out);
  return NULL;
}

/* gemm(m, n, k, a, bp, c, bias|null, act, alpha): c[m,n] = act(alpha·a[m,k]·Wᵀ + bias), contiguous rows. */
static napi_value js_gemm(napi_env env, napi_callback_info info) {
  ARGS(9);
  int m = (int)num(env, argv[0]), n = (int)num(env, argv[1]), k = (int)num(env, argv[2]);
  F32(3, a, 0);
  F32(4, bp, 0);
  F32(5, c, 0);
  F32(6, bias, 1);
  int act = (int)num(env, argv[7]);
  float alpha = (float)num(env, argv[8]);
  if (m < 0 || n < 0 || k < 0 || a_len < (size_t)m * k || bp_len < (size_t)packed_len(n, k) || c_len < (size_t)m * n ||
      (bias && bias_len < (size_t)n))
    return throw_range(env, "gemm: arrays too short");
  dj_kernels()->gemm(m, n, k, a, k, bp, c, n, alpha, bias, act);
  return NULL;
}

#define MAX_MULTI 16
/* gemmMulti(m, k, a, ns Int32Array, bps[], cs[], biases[] (null entries), act): cs[i][m,ns[i]] = act(a·Wᵢᵀ + biasᵢ). */
static napi_value js_gemm_multi(napi_env env, napi_callback_info info) {
  ARGS(8);
  int m = (int)num(env, argv[0]), k = (int)num(env, argv[1]);
  F32(2, a, 0);
  int32_t* ns;
  size_t count;
  if (!get_array(env, argv[3], napi_int32_array, (void**)&ns, &count, 0)) return NULL;
  if (m < 0 || k < 0 || a_len < (size_t)m * k || count < 1 || count > MAX_MULTI) return throw_range(env, "gemmMulti: bad sizes");
  dj_gemm_out outs[MAX_MULTI];
  for (uint32_t i = 0; i < count; i++) {
    napi_value e[3];
    void* p[3];
    size_t len[3];
    for (int f = 0; f < 3; f++) {
      CHECK(napi_get_element(env, argv[4 + f], i, &e[f]));
      if (!get_array(env, e[f], napi_float32_array, &p[f], &len[f], f == 2)) return NULL;
    }
    int n = ns[i];
    if (n < 0 || len[0] < (size_t)packed_len(n, k) || len[1] < (size_t)m * n || (p[2] && len[2] < (size_t)n))
      return throw_range(env, "gemmMulti: arrays too short");
    outs[i] = (dj_gemm_out){n, p[0], p[2], p[1], n};
  }
  dj_kernels()->gemm_multi(m, k, a, k, outs, (int)count, 1, (int)num(env, argv[7]));
  return NULL;
}

/* layerNorm(x, res|null, gamma, beta, rows, d, eps, out) */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  ARGS(8);
  F32(0, x, 0);
  F32(1, res, 1);
  F32(2, g, 0);
  F32(3, b, 0);
  int rows = (int)num(env, argv[4]), d = (int)num(env, argv[5]);
  float eps = (float)num(env, argv[6]);
  F32(7, out, 0);
  size_t n = (size_t)rows * d;
  if (rows < 0 || d <= 0 || x_len < n || out_len < n || (res && res_len < n) || g_len < (size_t)d || b_len < (size_t)d)
    return throw_range(env, "layerNorm: arrays too short");
  dj_kernels()->layer_norm(x, res, g, b, rows, d, eps, out);
  return NULL;
}

static napi_value js_gelu(napi_env env, napi_callback_info info) {
  ARGS(1);
  F32(0, x, 0);
  dj_kernels()->gelu(x, (long)x_len);
  return NULL;
}

/*
 * attention(q, k, v, posKey|null, posQuery|null, relIndex|null, mask|null, maskStride, seqStart, seqLen,
 *           maxLen, heads, headDim, invScale, lowest, context, probs|null)
 */
static napi_value js_attention(napi_env env, napi_callback_info info) {
  ARGS(17);
  F32(0, q, 0);
  F32(1, k, 0);
  F32(2, v, 0);
  F32(3, pk, 1);
  F32(4, pq, 1);
  int32_t *rel, *ss, *sl;
  size_t rel_len, ss_len, sl_len;
  if (!get_array(env, argv[5], napi_int32_array, (void**)&rel, &rel_len, 1)) return NULL;
  F32(6, mask, 1);
  int mask_stride = (int)num(env, argv[7]);
  if (!get_array(env, argv[8], napi_int32_array, (void**)&ss, &ss_len, 0)) return NULL;
  if (!get_array(env, argv[9], napi_int32_array, (void**)&sl, &sl_len, 0)) return NULL;
  int L = (int)num(env, argv[10]), H = (int)num(env, argv[11]), d = (int)num(env, argv[12]);
  float inv = (float)num(env, argv[13]), lowest = (float)num(env, argv[14]);
  F32(15, ctx, 0);
  F32(16, probs, 1);
  int B = (int)ss_len;
  size_t HD = (size_t)H * d;
  if (sl_len != ss_len || H <= 0 || d <= 0 || L < 0) return throw_range(env, "attention: bad sizes");
  size_t tokens = q_len / (HD ? HD : 1);
  for (int b = 0; b < B; b++) {
    if (ss[b] < 0 || sl[b] < 0 || sl[b] > L || (size_t)ss[b] + sl[b] > tokens) return throw_range(env, "attention: sequence outside the token rows");
    if (mask && (size_t)b * mask_stride + sl[b] > mask_len) return throw_range(env, "attention: mask too short");
    if (rel && 2 * (size_t)sl[b] - 1 > rel_len && sl[b] > 0) return throw_range(env, "attention: relIndex too short");
  }
  if (k_len < tokens * HD || v_len < tokens * HD || ctx_len < tokens * HD) return throw_range(env, "attention: q/k/v/context differ in size");
  if (probs && probs_len < (size_t)B * H * L * L) return throw_range(env, "attention: probs too short");
  if (rel) {
    int rows_pk = pk ? (int)(pk_len / HD) : 0, rows_pq = pq ? (int)(pq_len / HD) : 0;
    for (size_t i = 0; i < rel_len; i++) {
      if (rel[i] < 0 || (pk && rel[i] >= rows_pk) || (pq && rel[i] >= rows_pq)) return throw_range(env, "attention: relIndex entry outside the position rows");
    }
  }
  dj_attention_args a = {q, k, v, rel ? pk : NULL, rel ? pq : NULL, rel, (int)rel_len, mask, mask_stride, ss, sl, B, L, H,
                         d, inv, lowest, ctx, probs};
  dj_kernels()->attention(&a);
  return NULL;
}

void dj_f32_to_f16(const float* src, uint16_t* dst, size_t n);
void dj_f16_to_f32(const uint16_t* src, float* dst, size_t n);

#define U16(i, name)                                                             \
  uint16_t* name;                                                                \
  size_t name##_len;                                                             \
  if (!get_array(env, argv[i], napi_uint16_array, (void**)&name, &name##_len, 0)) return NULL;

/* f32ToF16(src Float32Array, dst Uint16Array, n) / f16ToF32(src Uint16Array, dst Float32Array, n): convert.c. */
static napi_value js_f32_to_f16(napi_env env, napi_callback_info info) {
  ARGS(3);
  F32(0, s, 0);
  U16(1, d);
  double n = num(env, argv[2]);
  if (!(n >= 0) || n > (double)s_len || n > (double)d_len) return throw_range(env, "f32ToF16: arrays too short");
  dj_f32_to_f16(s, d, (size_t)n);
  return NULL;
}

static napi_value js_f16_to_f32(napi_env env, napi_callback_info info) {
  ARGS(3);
  U16(0, s);
  F32(1, d, 0);
  double n = num(env, argv[2]);
  if (!(n >= 0) || n > (double)s_len || n > (double)d_len) return throw_range(env, "f16ToF32: arrays too short");
  dj_f16_to_f32(s, d, (size_t)n);
  return NULL;
}

/* ---- quantized Linear (qgemm.h): byte operands are Uint8Arrays (views of the weight's storage, zero-copy) ---- */

#define U8(i, name, opt)                                                         \
  uint8_t* name;                                                                 \
  size_t name##_len;                                                             \
  if (!get_array(env, argv[i], napi_uint8_array, (void**)&name, &name##_len, opt)) return NULL;

static napi_value js_qpacked_bytes(napi_env env, napi_callback_info info) {
  ARGS(2);
  int n = (int)num(env, argv[0]), k = (int)num(env, argv[1]);
  napi_value r;
  CHECK(napi_create_double(env, n > 0 && k > 0 ? (double)dj_kernels()->qpacked_bytes(n, k) : 0, &r));
  return r;
}

/* qPackI8(codes u8 [n*k], scb [n], n, k, out u8 [qPackedBytes(n, k)]) */
static napi_value js_qpack_i8(napi_env env, napi_callback_info info) {
  ARGS(5);
  U8(0, codes, 0);
  F32(1, scb, 0);
  int n = (int)num(env, argv[2]), k = (int)num(env, argv[3]);
  U8(4, out, 0);
  if (n <= 0 || k <= 0 || codes_len < (size_t)n * k || scb_len < (size_t)n || out_len < (size_t)dj_kernels()->qpacked_bytes(n, k))
    return throw_range(env, "qPackI8: arrays too short");
  dj_kernels()->qpack_i8((const int8_t*)codes, scb, n, k, out);
  return NULL;
}

/* qgemmI8(m, n, k, a, packed u8, c, bias|null, act) */
static napi_value js_qgemm_i8(napi_env env, napi_callback_info info) {
  ARGS(8);
  int m = (int)num(env, argv[0]), n = (int)num(env, argv[1]), k = (int)num(env, argv[2]);
  F32(3, a, 0);
  U8(4, packed, 0);
  F32(5, c, 0);
  F32(6, bias, 1);
  int act = (int)num(env, argv[7]);
  if (m < 0 || n <= 0 || k <= 0 || a_len < (size_t)m * k || packed_len < (size_t)dj_kernels()->qpacked_bytes(n, k) ||
      c_len < (size_t)m * n || (bias && bias_len < (size_t)n))
    return throw_range(env, "qgemmI8: arrays too short");
  if (dj_kernels()->qgemm_i8(m, n, k, a, k, packed, c, n, bias, act)) return throw_range(env, "qgemmI8: out of memory");
  return NULL;
}

/* dqgemm(m, n, k, a, data u8, scales, table|null, layout 0 int4 | 1 int8, block, c, bias|null, act) */
static napi_value js_dqgemm(napi_env env, napi_callback_info info) {
  ARGS(12);
  int m = (int)num(env, argv[0]), n = (int)num(env, argv[1]), k = (int)num(env, argv[2]);
  F32(3, a, 0);
  U8(4, data, 0);
  F32(5, scales, 0);
  F32(6, table, 1);
  int layout = (int)num(env, argv[7]), block = (int)num(env, argv[8]);
  F32(9, c, 0);
  F32(10, bias, 1);
  int act = (int)num(env, argv[11]);
  size_t elems = (size_t)n * k;
  int bad = m < 0 || n <= 0 || k <= 0 || a_len < (size_t)m * k || c_len < (size_t)m * n || (bias && bias_len < (size_t)n);
  if (layout == 0) bad = bad || block <= 0 || !table || table_len < 16 || data_len < (elems + 1) / 2 || scales_len < (elems + block - 1) / block;
  else if (layout == 1) bad = bad || data_len < elems || scales_len < (size_t)n;
  else bad = 1;
  if (bad) return throw_range(env, "dqgemm: bad layout or arrays too short");
  if (dj_kernels()->dqgemm(m, n, k, a, k, data, scales, table, layout, block, c, n, bias, act)) return throw_range(env, "dqgemm: out of memory");
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"info", 0, js_info, 0, 0, 0, napi_default, 0},
      {"setIsa", 0, js_set_isa, 0, 0, 0, napi_default, 0},
      {"setThreads", 0, js_set_threads, 0, 0, 0, napi_default, 0},
      {"packedLength", 0, js_packed_length, 0, 0, 0, napi_default, 0},
      {"packB", 0, js_pack_b, 0, 0, 0, napi_default, 0},
      {"gemm", 0, js_gemm, 0, 0, 0, napi_default, 0},
      {"gemmMulti", 0, js_gemm_multi, 0, 0, 0, napi_default, 0},
      {"layerNorm", 0, js_layer_norm, 0, 0, 0, napi_default, 0},
      {"gelu", 0, js_gelu, 0, 0, 0, napi_default, 0},
      {"attention", 0, js_attention, 0, 0, 0, napi_default, 0},
      {"qPackedBytes", 0, js_qpacked_bytes, 0, 0, 0, napi_default, 0},
      {"qPackI8", 0, js_qpack_i8, 0, 0, 0, napi_default, 0},
      {"qgemmI8", 0, js_qgemm_i8, 0, 0, 0, napi_default, 0},
      {"dqgemm", 0, js_dqgemm, 0, 0, 0, napi_default, 0},
      {"f32ToF16", 0, js_f32_to_f16, 0, 0, 0, napi_default, 0},
      {"f16ToF32", 0, js_f16_to_f32, 0, 0, 0, napi_default, 0},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
