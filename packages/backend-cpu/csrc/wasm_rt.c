/*
 * The little C runtime the wasm32 build needs (no libc): memcpy/memset for the compiler (this file is compiled
 * with -fno-builtin so the loops stay loops), and a thread-safe allocator on the shared linear memory. Freed blocks
 * go on a list by exact (64-byte rounded) size — a forward pass asks for the same sizes every time — and anything
 * new grows the memory. JS uses it too (dj_malloc/dj_free) for the operands it copies in and the packed weights.
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
static block* free_list;
static uintptr_t heap_top, heap_end;
extern unsigned char __heap_base;

static void acquire(void) {
  while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire)) {
  }
}
static void release(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

void* malloc(size_t n) {
  size_t size = (n + 63) & ~(size_t)63;
  if (size == 0) size = 64;
  acquire();
  block **pp = &free_list, *b;
  for (b = free_list; b; pp = &b->next, b = b->next) {
    if (b->size == size) {
      *pp = b->next;
      release();
      return b + 1;
    }
  }
  if (!heap_top) heap_top = ((uintptr_t)&__heap_base + 63) & ~(uintptr_t)63;
  if (!heap_end) heap_end = __builtin_wasm_memory_size(0) * 65536;
  uintptr_t need = heap_top + sizeof(block) + size;
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
  release();
  return b + 1;
}

void free(void* p) {
  if (!p) return;
  block* b = (block*)p - 1;
  acquire();
  b->next = free_list;
  free_list = b;
  release();
}

void* dj_malloc(size_t n) { return malloc(n); }
void dj_free(void* p) { free(p); }
