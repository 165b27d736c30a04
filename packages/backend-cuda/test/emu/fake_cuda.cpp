// A stand-in for libcuda.so.1 + libnvrtc + libcublasLt, built on the emulator, so the real CudaDevice — its koffi
// bindings, cuLaunchKernel argument arrays, dynamic-shared-memory opt-in, pinned staging, event polling, NVRTC
// cache and the cuBLASLt descriptors and layouts — runs end to end on a machine without a GPU.
//
// The cuBLASLt part interprets the descriptors as the cuBLASLt documentation defines them (transposes, epilogue,
// bias pointer from the matmul descriptor; rows, cols, ld, batch count and stride from each layout; m, n, k
// derived from those) and rejects inconsistent ones, so it checks the backend's parameter choices independently.
// "NVRTC" returns the module name as its "CUBIN"; cuModuleGetFunction looks kernels up in the emulator build.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

extern "C" {
int djs_emu_find(const char* name);
int djs_emu_launch(int kernel, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned smem, void** params);
const char* djs_emu_last_error();
void* djs_emu_alloc(size_t bytes);
void djs_emu_free(void* p);
struct DjsEmuGemm {
  int transa, transb, m, n, k, batch;
  long long lda, ldb, ldc, strideA, strideB, strideC;
  unsigned long long A, B, C, bias;
  float alpha, beta;
  int dtype;
  int epilogue;
};
int djs_emu_gemm(const DjsEmuGemm* g);
}

namespace {
std::map<uintptr_t, int> g_smem_optin;  // function handle -> configured dynamic shared memory
int g_queries = 0;
std::string g_last;
}

extern "C" {

// ── driver ────────────────────────────────────────────────────────────────────────────────────────────────────
int cuInit(unsigned) { return 0; }
int cuDriverGetVersion(int* v) { *v = 13000; return 0; }
int cuDeviceGetCount(int* n) { *n = 1; return 0; }
int cuDeviceGet(int* d, int ordinal) { if (ordinal != 0) return 101; *d = 0; return 0; }
int cuDeviceGetName(char* name, int len, int) { std::snprintf(name, len, "Fake H100 (deberta-js emulator)"); return 0; }
int cuDeviceGetAttribute(int* v, int attr, int) {
  switch (attr) {
    case 16: *v = 2; break;
    case 75: *v = 9; break;
    case 76: *v = 0; break;
    case 97: *v = 232448; break;
    default: *v = 0;
  }
  return 0;
}
int cuDeviceTotalMem_v2(size_t* b, int) { *b = size_t(1) << 30; return 0; }
int cuDevicePrimaryCtxRetain(void** ctx, int) { *ctx = (void*)0xc0c0; return 0; }
int cuDevicePrimaryCtxRelease_v2(int) { return 0; }
int cuCtxSetCurrent(void* ctx) { return ctx == (void*)0xc0c0 ? 0 : 201; }
int cuMemAlloc_v2(uint64_t* p, size_t bytes) { *p = (uint64_t)djs_emu_alloc(bytes); return *p ? 0 : 2; }
int cuMemFree_v2(uint64_t p) { djs_emu_free((void*)p); return 0; }
int cuMemAllocHost_v2(void** p, size_t bytes) { *p = std::malloc(bytes); return *p ? 0 : 2; }
int cuMemFreeHost(void* p) { std::free(p); return 0; }
int cuMemGetInfo_v2(size_t* f, size_t* t) { *f = size_t(1) << 29; *t = size_t(1) << 30; return 0; }
int cuMemcpyHtoDAsync_v2(uint64_t dst, const void* src, size_t n, void*) { std::memcpy((void*)dst, src, n); return 0; }
int cuMemcpyDtoHAsync_v2(void* dst, uint64_t src, size_t n, void*) { std::memcpy(dst, (const void*)src, n); return 0; }
int cuMemcpyDtoDAsync_v2(uint64_t dst, uint64_t src, size_t n, void*) { std::memmove((void*)dst, (const void*)src, n); return 0; }
int cuStreamCreate(void** s, unsigned flags) { *s = (void*)(uintptr_t)(0x5000 + flags); return 0; }
int cuStreamDestroy_v2(void*) { return 0; }
int cuStreamSynchronize(void*) { return 0; }
int cuEventCreate(void** e, unsigned) { *e = std::malloc(8); return 0; }
int cuEventRecord(void*, void*) { return 0; }
// Every other query says "not ready", so the backend's polling path runs.
int cuEventQuery(void*) { return (g_queries++ % 2) ? 0 : 600; }
int cuEventSynchronize(void*) { return 0; }
int cuEventDestroy_v2(void* e) { std::free(e); return 0; }
int cuModuleLoadData(void** mod, const void* image) {
  const char* s = (const char*)image;
  if (std::strncmp(s, "DJSFAKE:", 8) != 0) return 200;  // CUDA_ERROR_INVALID_IMAGE
  *mod = (void*)strdup(s + 8);
  return 0;
}
int cuModuleUnload(void* mod) { std::free(mod); return 0; }
int cuModuleGetFunction(void** fn, void*, const char* name) {
  int k = djs_emu_find(name);
  if (k < 0) return 500;  // CUDA_ERROR_NOT_FOUND
  *fn = (void*)(uintptr_t)(k + 1);
  return 0;
}
int cuFuncSetAttribute(void* fn, int attr, int value) {
  if (attr != 8) return 1;
  if (value > 232448) return 1;
  g_smem_optin[(uintptr_t)fn] = value;
  return 0;
}
int cuLaunchKernel(void* f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned smem, void*, void** params, void** extra) {
  if (extra) return 1;
  int limit = g_smem_optin.count((uintptr_t)f) ? g_smem_optin[(uintptr_t)f] : 48 * 1024;
  if ((int)smem > limit) {
    g_last = "dynamic shared memory above the limit set with cuFuncSetAttribute";
    return 1;  // CUDA_ERROR_INVALID_VALUE, as the real driver answers
  }
  if (djs_emu_launch((int)(uintptr_t)f - 1, gx, gy, gz, bx, by, bz, smem, params) != 0) {
    g_last = djs_emu_last_error();
    std::fprintf(stderr, "fake cuLaunchKernel: %s\n", g_last.c_str());
    return 719;  // CUDA_ERROR_LAUNCH_FAILED
  }
  return 0;
}
int cuGetErrorName(int e, const char** s) {
  switch (e) {
    case 1: *s = "CUDA_ERROR_INVALID_VALUE"; break;
    case 2: *s = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case 200: *s = "CUDA_ERROR_INVALID_IMAGE"; break;
    case 500: *s = "CUDA_ERROR_NOT_FOUND"; break;
    case 600: *s = "CUDA_ERROR_NOT_READY"; break;
    case 719: *s = "CUDA_ERROR_LAUNCH_FAILED"; break;
    default: *s = "CUDA_ERROR_UNKNOWN";
  }
  return 0;
}
int cuGetErrorString(int e, const char** s) {
  *s = e == 719 || e == 1 ? g_last.c_str() : "fake driver error";
  return 0;
}

// ── NVRTC ─────────────────────────────────────────────────────────────────────────────────────────────────────
struct FakeProg {
  std::string name, image;
  bool compiled = false;
};
int nvrtcVersion(int* major, int* minor) { *major = 99; *minor = 0; return 0; }
int nvrtcGetNumSupportedArchs(int* n) { *n = 3; return 0; }
int nvrtcGetSupportedArchs(int* a) { a[0] = 80; a[1] = 89; a[2] = 90; return 0; }
int nvrtcCreateProgram(void** prog, const char* src, const char* name, int numHeaders, void*, void*) {
  if (!src || numHeaders != 0) return 4;  // NVRTC_ERROR_INVALID_INPUT
  auto* p = new FakeProg();
  p->name = name;
  *prog = p;
  return 0;
}
int nvrtcCompileProgram(void* prog, int n, const char** opts) {
  auto* p = (FakeProg*)prog;
  bool arch = false;
  for (int i = 0; i < n; i++) arch |= std::strncmp(opts[i], "--gpu-architecture=sm_90", 24) == 0;
  if (!arch) return 5;  // NVRTC_ERROR_INVALID_OPTION
  std::string base = p->name.substr(0, p->name.rfind(".cu"));
  p->image = "DJSFAKE:" + base;
  p->image.push_back('\0');
  p->compiled = true;
  return 0;
}
int nvrtcGetProgramLogSize(void*, size_t* n) { *n = 1; return 0; }
int nvrtcGetProgramLog(void*, char* log) { log[0] = 0; return 0; }
int nvrtcGetCUBINSize(void* prog, size_t* n) { *n = ((FakeProg*)prog)->image.size(); return ((FakeProg*)prog)->compiled ? 0 : 6; }
int nvrtcGetCUBIN(void* prog, char* out) { auto* p = (FakeProg*)prog; std::memcpy(out, p->image.data(), p->image.size()); return 0; }
int nvrtcGetPTXSize(void* prog, size_t* n) { return nvrtcGetCUBINSize(prog, n); }
int nvrtcGetPTX(void* prog, char* out) { return nvrtcGetCUBIN(prog, out); }
int nvrtcDestroyProgram(void** prog) { delete (FakeProg*)*prog; *prog = nullptr; return 0; }
const char* nvrtcGetErrorString(int) { return "fake NVRTC error"; }

// ── cuBLASLt ──────────────────────────────────────────────────────────────────────────────────────────────────
struct FakeDesc {
  int compute, scale, transa = 0, transb = 0;
  unsigned epilogue = 1;
  uint64_t bias = 0;
};
struct FakeLayout {
  int type;
  uint64_t rows, cols;
  int64_t ld;
  int batch = 1;
  int64_t stride = 0;
};
struct FakePref {
  uint64_t workspace = 0;
};
size_t cublasLtGetVersion() { return 130000; }
int cublasLtCreate(void** h) { *h = std::malloc(8); return 0; }
int cublasLtDestroy(void* h) { std::free(h); return 0; }
int cublasLtMatmulDescCreate(void** d, int compute, int scale) {
  if (compute != 68 && compute != 77) return 15;
  if (scale != 0) return 15;
  auto* x = new FakeDesc();
  x->compute = compute;
  x->scale = scale;
  *d = x;
  return 0;
}
int cublasLtMatmulDescDestroy(void* d) { delete (FakeDesc*)d; return 0; }
int cublasLtMatmulDescSetAttribute(void* d, int attr, const void* buf, size_t size) {
  auto* x = (FakeDesc*)d;
  switch (attr) {
    case 3: if (size != 4) return 7; std::memcpy(&x->transa, buf, 4); return 0;
    case 4: if (size != 4) return 7; std::memcpy(&x->transb, buf, 4); return 0;
    case 7: if (size != 4) return 7; std::memcpy(&x->epilogue, buf, 4); return 0;
    case 8: if (size != 8) return 7; std::memcpy(&x->bias, buf, 8); return 0;
    default: return 7;
  }
}
int cublasLtMatrixLayoutCreate(void** l, int type, uint64_t rows, uint64_t cols, int64_t ld) {
  if (type != 0 && type != 2 && type != 14) return 15;
  if (ld < (int64_t)rows) return 7;  // column-major: ld >= rows
  auto* x = new FakeLayout();
  x->type = type;
  x->rows = rows;
  x->cols = cols;
  x->ld = ld;
  *l = x;
  return 0;
}
int cublasLtMatrixLayoutDestroy(void* l) { delete (FakeLayout*)l; return 0; }
int cublasLtMatrixLayoutSetAttribute(void* l, int attr, const void* buf, size_t size) {
  auto* x = (FakeLayout*)l;
  if (attr == 5 && size == 4) { std::memcpy(&x->batch, buf, 4); return 0; }
  if (attr == 6 && size == 8) { std::memcpy(&x->stride, buf, 8); return 0; }
  return 7;
}
int cublasLtMatmulPreferenceCreate(void** p) { *p = new FakePref(); return 0; }
int cublasLtMatmulPreferenceDestroy(void* p) { delete (FakePref*)p; return 0; }
int cublasLtMatmulPreferenceSetAttribute(void* p, int attr, const void* buf, size_t size) {
  if (attr == 1 && size == 8) { std::memcpy(&((FakePref*)p)->workspace, buf, 8); return 0; }
  if (attr >= 5 && attr <= 8 && size == 4) {
    unsigned a;
    std::memcpy(&a, buf, 4);
    return (a && (a & (a - 1)) == 0 && a <= 256) ? 0 : 7;  // a power of two
  }
  return 7;
}

// m, n, k from the layouts as the cuBLASLt documentation defines them; -1 when they disagree.
static int shape(const FakeDesc* d, const FakeLayout* a, const FakeLayout* b, const FakeLayout* c, int* m, int* n, int* k) {
  *m = (int)c->rows;
  *n = (int)c->cols;
  int am = d->transa ? (int)a->cols : (int)a->rows, ak = d->transa ? (int)a->rows : (int)a->cols;
  int bk = d->transb ? (int)b->cols : (int)b->rows, bn = d->transb ? (int)b->rows : (int)b->cols;
  if (am != *m || bn != *n || ak != bk) return -1;
  if (a->type != b->type || a->type != c->type) return -1;
  if (a->batch != c->batch || b->batch != c->batch) return -1;
  *k = ak;
  return 0;
}
int cublasLtMatmulAlgoGetHeuristic(void*, void* desc, void* A, void* B, void* C, void* D, void*, int requested, void* results, int* returned) {
  int m, n, k;
  if (C != D) return 7;
  if (requested < 1 || shape((FakeDesc*)desc, (FakeLayout*)A, (FakeLayout*)B, (FakeLayout*)C, &m, &n, &k) != 0) return 7;
  std::memset(results, 0, 96);
  *returned = 1;
  return 0;
}
int cublasLtMatmul(void*, void* desc, const void* alpha, uint64_t A, void* Adesc, uint64_t B, void* Bdesc, const void* beta, uint64_t C, void* Cdesc,
                   uint64_t D, void* Ddesc, const void* algo, uint64_t, size_t, void*) {
  auto* d = (FakeDesc*)desc;
  auto* a = (FakeLayout*)Adesc;
  auto* b = (FakeLayout*)Bdesc;
  auto* c = (FakeLayout*)Cdesc;
  int m, n, k;
  if (!algo || C != D || Cdesc != Ddesc || shape(d, a, b, c, &m, &n, &k) != 0) return 7;
  bool hasBias = d->epilogue == 4 || d->epilogue == 6 || d->epilogue == 36;
  if (hasBias && !d->bias) return 7;
  DjsEmuGemm g{};
  g.transa = d->transa;
  g.transb = d->transb;
  g.m = m;
  g.n = n;
  g.k = k;
  g.batch = c->batch;
  g.lda = a->ld;
  g.ldb = b->ld;
  g.ldc = c->ld;
  g.strideA = a->stride;
  g.strideB = b->stride;
  g.strideC = c->stride;
  g.A = A;
  g.B = B;
  g.C = C;
  g.bias = hasBias ? d->bias : 0;
  std::memcpy(&g.alpha, alpha, 4);
  std::memcpy(&g.beta, beta, 4);
  g.dtype = c->type == 0 ? 0 : c->type == 2 ? 1 : 2;
  g.epilogue = (int)d->epilogue;
  return djs_emu_gemm(&g) == 0 ? 0 : 13;
}

}  // extern "C"
