/*
 * The little C runtime the wasm32 build needs (no libc): memcpy/memset for the compiler (this file is compiled
 * with -fno-builtin so the loops stay loops), and a thread-safe allocator on the shared linear memory. Sizes are
 * rounded up to a size class (64-byte steps up to 256 B, then four classes per power of two: at most 25% slack) and
 * freed blocks go on their class's list — a forward pass asks for the same sizes every time, and inputs of varying
 * length share classes instead of each keeping blocks of its own exact size; anything new grows the memory. JS uses
 * it too (dj_malloc/dj_free): the CPU backend's tensors when the memory is shared, else the operands it copies in,
 * and the packed weights.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>

void* memcpy(void* restrict d, const void* restrict s, size_t n) {
  unsigned char* dp = d;
  const unsigned char* sp = s;
  if ((((uintptr_t)dp | (uintptr_t)sp) & 3) == 0)
    for (; n >= 4; n -= 4, dp += 4, sp += 4) *(uint32_t*)dp = *(const uint32_t*)sp;
  while (n--) *dp++ = *sp++;
  return d;
}

void* memset(void* d, int c, size_t n) {
  unsigned char* dp = d;
  while (n--) *dp++ = (unsigned char)c;
  return d;
}

typedef struct block {
  size_t size; /* usable bytes */
  struct block* next;
  size_t pad[14]; /* 64-byte header keeps user pointers 64-byte aligned */
} block;

static atomic_flag lock = ATOMIC_FLAG_INIT;
#define CLASSES 100 /* 4 classes up to 256 B, then 4 per power of two up to 2^32 */
static block* free_lists[CLASSES];
static uintptr_t heap_top, heap_end;
static size_t in_use; /* bytes of live blocks (headers excluded): the leak tests' counter */
extern unsigned char __heap_base;

static void acquire(void) {
  while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
  }
}
static void release(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

/* n's size class; *size: its bytes (a multiple of 64, ≥ n). n ≤ 3 GiB. */
static unsigned size_class(size_t n, size_t* size) {
  if (n <= 256) {
    *size = n ? (n + 63) & ~(size_t)63 : 64;
    return (unsigned)(*size / 64 - 1);
  }
  unsigned e = 31 - (unsigned)__builtin_clz((unsigned)(n - 1)); /* 2^e < n ≤ 2^(e+1), e ≥ 8 */
  size_t q = (size_t)1 << (e - 2);                               /* a quarter of 2^e */
  *size = (n + q - 1) & ~(q - 1);                                /* 1.25, 1.5, 1.75 or 2 × 2^e */
  return 4 + (e - 8) * 4 + (unsigned)(*size >> (e - 2)) - 5;
}

void* malloc(size_t n) {
  if (n > (size_t)3 << 30) return 0; /* beyond any wasm32 memory; keeps the rounding below from wrapping */
  size_t size;
  unsigned c = size_class(n, &size);
  acquire();
  block* b = free_lists[c];
  if (b) {
    free_lists[c] = b->next;
    in_use += size;
    release();
    return b + 1;
  }
  if (!heap_top) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  if (!heap_end) heap_end = __builtin_wasm_memory_size(0) * 65536;
  uintptr_t need = heap_top + sizeof(block) + size;
  if (need < heap_top) { /* wrapped: past 4 GiB */
    release();
    return 0;
  }
  if (need > heap_end) {
    size_t pages = (need - heap_end + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) {
      release();
      return 0;
    }
    heap_end = __builtin_wasm_memory_size(0) * 65536;
  }
  b = (block*)heap_top;
  b->size = size;
  heap_top = need;
  in_use += size;
  release();
  return b + 1;
}

void free(void* p) {
  if (!p) return;
  block* b = (block*)p - 1;
  acquire();
  size_t size;
  unsigned c = size_class(b->size, &size);
  in_use -= b->size;
  b->next = free_lists[c];
  free_lists[c] = b;
  release();
}

void* dj_malloc(size_t n) { return malloc(n); }
void dj_free(void* p) { free(p); }
size_t dj_heap_in_use(void) { return in_use; }
