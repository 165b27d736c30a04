/*
 * The WebAssembly thread pool: workers are Web Workers / worker_threads that instantiate this module on the same
 * shared memory (each with its own stack, set by JS) and call dj_worker_main(id), which never returns: it spins
 * briefly for the next job, then sleeps in memory.atomic.wait32 — no CPU while idle. The caller (the JS thread
 * that called a kernel) runs tasks too and then waits only for the tasks other threads claimed, never for a worker
 * that has not woken up; in a browser's main thread it cannot wait, so it spins (jobs are short). Same protocol as
 * pool_pthread.c: tasks are claimed in order by CAS on one 64-bit word (n, next).
 *
 * Built without atomics (the single-thread modules, for pages that are not crossOriginIsolated and so have no
 * shared memory) it is just a loop: one thread, no workers.
 */
#include "pool.h"

#ifndef __wasm_atomics__
void dj_worker_prepare(int id) { (void)id; }
void dj_worker_main(int id) { (void)id; }
void dj_set_threads(int n) { (void)n; }
int dj_threads(void) { return 1; }
void dj_parallel_for(int n, dj_task_fn fn, void* ctx) {
  for (int t = 0; t < n; t++) fn(ctx, t);
}
#else
#include <stdatomic.h>
#include <stdint.h>
#include "pool_job.h"

#define SPIN 20000
#define MAX_THREADS 64

static atomic_int gen;         /* wake-up word (memory.atomic.wait32/notify): the last published job's generation */
static atomic_int active;      /* workers with id < active take part (a hint; any value is safe) */
static dj_job job;
static int n_threads = 1;
static atomic_int n_workers; /* workers running dj_worker_main */
static int start_gen[MAX_THREADS];

/* Called by JS before it starts worker `id`: the generation it has seen. */
void dj_worker_prepare(int id) {
  if (id >= 0 && id < MAX_THREADS) start_gen[id] = atomic_load(&gen);
}

void dj_worker_main(int id) {
  int seen = start_gen[id];
  atomic_fetch_add(&n_workers, 1);
  for (;;) {
    for (int i = 0; i < SPIN && atomic_load_explicit(&gen, memory_order_relaxed) == seen; i++) {
    }
    while (atomic_load_explicit(&gen, memory_order_relaxed) == seen) __builtin_wasm_memory_atomic_wait32((int*)&gen, seen, -1);
    seen = atomic_load_explicit(&gen, memory_order_acquire);
    if (id < atomic_load_explicit(&active, memory_order_relaxed)) dj_job_run(&job);
  }
}

void dj_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  n_threads = n;
}

int dj_threads(void) { return n_threads; }

/* Waits only for claimed tasks, never for a worker (one still starting up or descheduled is simply not waited for).
 * The caller may be a browser's main thread, which cannot wait, so it spins; jobs are short. */
void dj_parallel_for(int n, dj_task_fn fn, void* ctx) {
  int workers = n_threads - 1;
  if (workers > n - 1) workers = n - 1;
  if (workers <= 0 || atomic_load_explicit(&n_workers, memory_order_relaxed) == 0) {
    for (int t = 0; t < n; t++) fn(ctx, t);
    return;
  }
  const int g = (int)((unsigned)atomic_load_explicit(&gen, memory_order_relaxed) + 1u); /* wraps, no signed overflow */
  atomic_store_explicit(&active, workers, memory_order_relaxed);
  dj_job_publish(&job, n, fn, ctx);
  atomic_store_explicit(&gen, g, memory_order_release);
  __builtin_wasm_memory_atomic_notify((int*)&gen, -1);
  dj_job_run(&job);
  while (!dj_job_finished(&job, n)) {
  }
}
#endif
