// The emulator's runtime: fiber scheduler, barriers, warp exchange, mma emulation, memory, and a reference
// implementation of the cuBLASLt matmul the backend issues (column-major, op(A)·op(B), strided batches, epilogues),
// written from the cuBLASLt documentation independently of the backend's row-major mapping so the tests check it.
#include <setjmp.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "djs_emu.h"

uint3 threadIdx, blockIdx;
dim3 blockDim, gridDim;

namespace {

constexpr size_t kStack = 256 * 1024;

// Each fiber starts through makecontext/swapcontext once; every later switch is _setjmp/_longjmp, which unlike
// swapcontext does not save the signal mask (no system call per switch).
struct Fiber {
  ucontext_t ctx;
  jmp_buf jb;
  uint3 tid;
  bool done;
  bool started;
  std::vector<char> stack;
};

std::vector<Fiber> g_fibers;
ucontext_t g_sched;
jmp_buf g_sched_jb;
int g_cur = -1;
void (*g_entry)(void**) = nullptr;
void** g_params = nullptr;
std::string g_error;

int g_live = 0;
long g_progress = 0;
// block barrier
int g_blk_arrived = 0;
long g_blk_gen = 0;
int g_blk_or_acc = 0;
int g_blk_or_result = 0;
// warp barriers
struct Warp {
  int live = 0, arrived = 0;
  long gen = 0;
  uint64_t slot[32];
  uint32_t a[32][4];
  uint32_t b[32][2];
};
std::vector<Warp> g_warps;

std::vector<unsigned char> g_dyn;
size_t g_dyn_size = 0;
constexpr size_t kGuard = 64;

void yield() {
  if (!_setjmp(g_fibers[g_cur].jb)) _longjmp(g_sched_jb, 1);
}

void fiber_main() {
  g_entry(g_params);
  Fiber& f = g_fibers[g_cur];
  f.done = true;
  g_live--;
  g_progress++;
  Warp& w = g_warps[f.tid.x / 32];
  w.live--;
  // An exit can complete a barrier the others wait at (as on hardware, exited threads stop counting).
  if (g_blk_arrived > 0 && g_blk_arrived >= g_live) {
    g_blk_arrived = 0;
    g_blk_or_result = g_blk_or_acc;
    g_blk_or_acc = 0;
    g_blk_gen++;
  }
  if (w.arrived > 0 && w.arrived >= w.live) {
    w.arrived = 0;
    w.gen++;
  }
  _longjmp(g_sched_jb, 1);
}

int sync_block_impl(int p) {
  long gen = g_blk_gen;
  g_blk_or_acc |= p ? 1 : 0;
  g_progress++;
  if (++g_blk_arrived >= g_live) {
    g_blk_arrived = 0;
    g_blk_or_result = g_blk_or_acc;
    g_blk_or_acc = 0;
    g_blk_gen++;
    return g_blk_or_result;
  }
  while (g_blk_gen == gen) yield();
  return g_blk_or_result;
}

void sync_warp_impl() {
  Warp& w = g_warps[threadIdx.x / 32];
  long gen = w.gen;
  g_progress++;
  if (++w.arrived >= w.live) {
    w.arrived = 0;
    w.gen++;
    return;
  }
  while (w.gen == gen) yield();
}

float h2f(unsigned short h) {
  unsigned sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  unsigned bits;
  if (exp == 0) {
    if (mant == 0) bits = sign;
    else {
      float f = std::ldexp((float)mant, -24);
      std::memcpy(&bits, &f, 4);
      bits |= sign;
    }
  } else if (exp == 31) bits = sign | 0x7f800000u | (mant << 13);
  else bits = sign | ((exp + 112) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

unsigned short f2h(float value) {  // round to nearest even, as cvt.rn.f16.f32
  unsigned x;
  std::memcpy(&x, &value, 4);
  unsigned sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xff, mant = x & 0x7fffffu;
  if (exp == 0xff) return (unsigned short)(sign | 0x7c00u | (mant ? 0x200u : 0u));
  int e = (int)exp - 127 + 15;
  if (e >= 0x1f) return (unsigned short)(sign | 0x7c00u);
  if (e <= 0) {
    if (e < -10) return (unsigned short)sign;
    mant |= 0x800000u;
    int shift = 14 - e;
    unsigned half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (unsigned short)(sign | half);
  }
  unsigned half = ((unsigned)e << 10) | (mant >> 13), rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++;
  return (unsigned short)(sign | half);
}

float bf2f(unsigned short b) {
  unsigned u = (unsigned)b << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

unsigned short f2bf(float f) {
  unsigned u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return (unsigned short)(u >> 16);
}

float elem16(uint32_t reg, int hi, int bf16) {
  unsigned short h = (unsigned short)(hi ? reg >> 16 : reg & 0xffffu);
  return bf16 ? bf2f(h) : h2f(h);
}

}  // namespace

unsigned char* djs_emu_dyn_smem() { return g_dyn.data(); }
void djs_emu_sync_block() { sync_block_impl(0); }
int djs_emu_sync_block_or(int p) { return sync_block_impl(p); }
void djs_emu_sync_warp() { sync_warp_impl(); }
float djs_emu_h2f(unsigned short h) { return h2f(h); }
unsigned short djs_emu_f2h(float f) { return f2h(f); }

uint64_t djs_emu_warp_exchange(uint64_t v, int srcLane) {
  Warp& w = g_warps[threadIdx.x / 32];
  w.slot[threadIdx.x & 31] = v;
  sync_warp_impl();
  uint64_t r = w.slot[srcLane & 31];
  sync_warp_impl();
  return r;
}

// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}: fragment layouts from the PTX ISA (groupID = lane >> 2,
// threadID_in_group = lane & 3). A: a0,a1 (row g, k 2t..2t+1), a2,a3 (row g+8), a4,a5 (row g, k 2t+8..),
// a6,a7 (row g+8, k 2t+8..), two 16-bit elements per register, the lower index in the low half.
// B: b0,b1 (k 2t..2t+1, col g), b2,b3 (k 2t+8.., col g). C/D: c0,c1 (row g, col 2t..2t+1), c2,c3 (row g+8).
void djs_emu_mma(float* c, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1, int bf16) {
  Warp& w = g_warps[threadIdx.x / 32];
  const int lane = threadIdx.x & 31;
  w.a[lane][0] = a0;
  w.a[lane][1] = a1;
  w.a[lane][2] = a2;
  w.a[lane][3] = a3;
  w.b[lane][0] = b0;
  w.b[lane][1] = b1;
  sync_warp_impl();
  auto A = [&](int r, int k) {
    int srcLane = (r % 8) * 4 + (k % 8) / 2;
    int reg = (k < 8 ? 0 : 2) + (r < 8 ? 0 : 1);
    return elem16(w.a[srcLane][reg], k & 1, bf16);
  };
  auto B = [&](int k, int col) {
    int srcLane = col * 4 + (k % 8) / 2;
    int reg = k < 8 ? 0 : 1;
    return elem16(w.b[srcLane][reg], k & 1, bf16);
  };
  const int g = lane >> 2, t = lane & 3;
  float d[4];
  for (int e = 0; e < 4; ++e) {
    int r = g + (e >= 2 ? 8 : 0), col = 2 * t + (e & 1);
    double acc = c[e];
    for (int k = 0; k < 16; ++k) acc += (double)A(r, k) * (double)B(k, col);
    d[e] = (float)acc;
  }
  sync_warp_impl();
  for (int e = 0; e < 4; ++e) c[e] = d[e];
}

extern "C" {

typedef void (*djs_trampoline)(void**);
struct DjsKernelEntry {
  const char* name;
  djs_trampoline fn;
};
// Generated per build (emu-build.ts): every kernel with a trampoline that unpacks its kernelParams.
extern const DjsKernelEntry djs_emu_kernels[];
extern const int djs_emu_kernel_count;

const char* djs_emu_last_error() { return g_error.c_str(); }

int djs_emu_find(const char* name) {
  for (int i = 0; i < djs_emu_kernel_count; ++i)
    if (std::strcmp(djs_emu_kernels[i].name, name) == 0) return i;
  return -1;
}

// Runs a kernel to completion. Returns 0, or 1 with djs_emu_last_error() set (deadlock, bad launch, smem overflow).
int djs_emu_launch(int kernel, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned smem, void** params) {
  g_error.clear();
  if (kernel < 0 || kernel >= djs_emu_kernel_count) {
    g_error = "unknown kernel index";
    return 1;
  }
  if (by != 1 || bz != 1 || bx == 0 || bx > 1024 || bx % 32 != 0) {
    g_error = "emulator supports 1-D blocks of a multiple of 32 threads (<= 1024)";
    return 1;
  }
  const int nthreads = (int)bx;
  g_entry = djs_emu_kernels[kernel].fn;
  g_params = params;
  gridDim = {gx, gy, gz};
  blockDim = {bx, by, bz};
  if (g_fibers.size() < (size_t)nthreads) {
    g_fibers.resize(nthreads);
    for (auto& f : g_fibers)
      if (f.stack.empty()) f.stack.resize(kStack);
  }
  g_warps.assign((nthreads + 31) / 32, Warp());
  g_dyn_size = smem;
  g_dyn.assign(smem + kGuard, 0xff);  // NaN / 0xffff poison: unwritten shared memory shows up in results
  for (unsigned z = 0; z < gz; ++z)
    for (unsigned y = 0; y < gy; ++y)
      for (unsigned x = 0; x < gx; ++x) {
        blockIdx = {x, y, z};
        g_live = nthreads;
        g_blk_arrived = 0;
        g_blk_or_acc = 0;
        for (auto& w : g_warps) {
          w.live = 0;
          w.arrived = 0;
        }
        for (int t = 0; t < nthreads; ++t) {
          Fiber& f = g_fibers[t];
          f.tid = {(unsigned)t, 0, 0};
          f.done = false;
          f.started = false;
          g_warps[t / 32].live++;
          getcontext(&f.ctx);
          f.ctx.uc_stack.ss_sp = f.stack.data();
          f.ctx.uc_stack.ss_size = f.stack.size();
          f.ctx.uc_link = nullptr;
          makecontext(&f.ctx, fiber_main, 0);
        }
        while (g_live > 0) {
          long before = g_progress;
          for (int t = 0; t < nthreads; ++t) {
            if (g_fibers[t].done) continue;
            g_cur = t;
            threadIdx = g_fibers[t].tid;
            Fiber& f = g_fibers[t];
            if (!_setjmp(g_sched_jb)) {
              if (!f.started) {
                f.started = true;
                swapcontext(&g_sched, &f.ctx);
              } else {
                _longjmp(f.jb, 1);
              }
            }
          }
          if (g_progress == before && g_live > 0) {
            char buf[200];
            std::snprintf(buf, sizeof buf, "deadlock in block (%u,%u,%u): %d threads wait at barriers that cannot complete", x, y, z, g_live);
            g_error = buf;
            return 1;
          }
        }
        for (size_t i = 0; i < kGuard; ++i)
          if (g_dyn[g_dyn_size + i] != 0xff) {
            g_error = "dynamic shared memory written past the size the launch asked for";
            return 1;
          }
      }
  return 0;
}

void* djs_emu_alloc(size_t bytes) {
  void* p = nullptr;
  if (posix_memalign(&p, 256, bytes ? bytes : 1) != 0) return nullptr;
  std::memset(p, 0xff, bytes);  // poison, as cuMemAlloc returns garbage
  return p;
}
void djs_emu_free(void* p) { std::free(p); }
void djs_emu_copy(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }

// Mirrors the fields of GemmCall (src/gemm-plan.ts) the matmul needs.
struct DjsEmuGemm {
  int transa, transb, m, n, k, batch;
  long long lda, ldb, ldc, strideA, strideB, strideC;
  unsigned long long A, B, C, bias;
  float alpha, beta;
  int dtype;     // 0 f32, 1 f16, 2 bf16
  int epilogue;  // cublasLtEpilogue_t: 1 default, 2 relu, 4 bias, 6 relu+bias, 32 gelu, 36 gelu+bias
};

static float load(const void* p, long long i, int dtype) {
  if (dtype == 0) return ((const float*)p)[i];
  unsigned short h = ((const unsigned short*)p)[i];
  return dtype == 1 ? h2f(h) : bf2f(h);
}
static void store(void* p, long long i, float v, int dtype) {
  if (dtype == 0) ((float*)p)[i] = v;
  else ((unsigned short*)p)[i] = dtype == 1 ? f2h(v) : f2bf(v);
}

int djs_emu_gemm(const DjsEmuGemm* g) {
  const void* A = (const void*)g->A;
  const void* B = (const void*)g->B;
  void* C = (void*)g->C;
  const void* bias = (const void*)g->bias;
  const bool hasBias = g->epilogue == 4 || g->epilogue == 6 || g->epilogue == 36;
  if (hasBias && !bias) return 2;
  for (int b = 0; b < g->batch; ++b) {
    for (int j = 0; j < g->n; ++j)
      for (int i = 0; i < g->m; ++i) {
        double acc = 0;
        for (int p = 0; p < g->k; ++p) {
          long long ia = g->transa ? (long long)p + (long long)i * g->lda : (long long)i + (long long)p * g->lda;
          long long ib = g->transb ? (long long)j + (long long)p * g->ldb : (long long)p + (long long)j * g->ldb;
          acc += (double)load(A, b * g->strideA + ia, g->dtype) * (double)load(B, b * g->strideB + ib, g->dtype);
        }
        long long ic = b * g->strideC + (long long)i + (long long)j * g->ldc;
        float v = g->alpha * (float)acc;
        if (g->beta != 0.0f) v += g->beta * load(C, ic, g->dtype);
        if (hasBias) v += load(bias, i, g->dtype);
        if (g->epilogue == 2 || g->epilogue == 6) v = v > 0 ? v : 0;
        if (g->epilogue == 32 || g->epilogue == 36) v = 0.5f * v * (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
        store(C, ic, v, g->dtype);
      }
  }
  return 0;
}

}  // extern "C"
