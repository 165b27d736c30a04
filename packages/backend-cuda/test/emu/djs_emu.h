// CPU emulation of the CUDA features the deberta-js kernels use, for a host C++ compiler (g++ -include djs_emu.h).
//
// Every CUDA thread of a block runs as a fiber (ucontext); __syncthreads, __syncwarp and the warp shuffles are
// barriers between fibers, so kernels run unchanged — races on shared memory aside, which a sequential scheduler
// cannot show. Blocks run one after another; static __shared__ variables are therefore plain statics.
// Tensor-core mma.sync is emulated from the PTX ISA fragment layouts (m16n8k16, f16/bf16 → f32).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#define DJS_EMU 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)
#define __shared__ static
#define DJS_DEV static inline
#define DJS_KERNEL extern "C"
#define DJS_SHARED static
#define DJS_DYN_SMEM(name) unsigned char* name = djs_emu_dyn_smem()

struct uint3 { unsigned x, y, z; };
struct dim3 { unsigned x, y, z; };
extern uint3 threadIdx, blockIdx;
extern dim3 blockDim, gridDim;

unsigned char* djs_emu_dyn_smem();
void djs_emu_sync_block();
int djs_emu_sync_block_or(int p);
void djs_emu_sync_warp();
uint64_t djs_emu_warp_exchange(uint64_t v, int srcLane);
void djs_emu_mma(float* c, uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0, uint32_t b1, int bf16);
float djs_emu_h2f(unsigned short h);
unsigned short djs_emu_f2h(float f);

inline void __syncthreads() { djs_emu_sync_block(); }
inline int __syncthreads_or(int p) { return djs_emu_sync_block_or(p); }
inline void __syncwarp(unsigned = 0xffffffffu) { djs_emu_sync_warp(); }

inline int djs_emu_lane() { return (int)(threadIdx.x & 31u); }
template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int laneMask) {
  static_assert(sizeof(T) <= 8, "shuffle of a type wider than 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  uint64_t r = djs_emu_warp_exchange(bits, djs_emu_lane() ^ laneMask);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}
template <typename T>
inline T __shfl_sync(unsigned, T v, int srcLane) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  uint64_t r = djs_emu_warp_exchange(bits, srcLane & 31);
  T out;
  std::memcpy(&out, &r, sizeof(T));
  return out;
}

inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline float __uint_as_float(unsigned u) { float f; std::memcpy(&f, &u, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline unsigned __float_as_uint(float f) { unsigned u; std::memcpy(&u, &f, 4); return u; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
template <typename T> inline T __ldg(const T* p) { return *p; }
