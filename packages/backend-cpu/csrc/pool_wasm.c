/*
 * The WebAssembly thread pool: workers are Web Workers / worker_threads that instantiate this module on the same
 * shared memory (each with its own stack, set by JS) and call dj_worker_main(id), which never returns: it spins
 * briefly for the next job, then sleeps in memory.atomic.wait32 — no CPU while idle. The caller (the JS thread
 * that called a kernel) runs tasks too; in a browser's main thread it cannot wait, so it spins until the workers
 * are done (jobs are short). Same protocol as pool_pthread.c.
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

#define SPIN 20000
#define MAX_THREADS 64

static atomic_int gen;
static atomic_int next_task, busy;
static dj_task_fn job_fn;
static void* job_ctx;
static int job_n;
static int n_threads = 1;
static atomic_int n_workers; /* workers running dj_worker_main */
static int want_workers;
static int start_gen[MAX_THREADS];

static void run_tasks(void) {
  int t;
  while ((t = atomic_fetch_add(&next_task, 1)) < job_n) job_fn(job_ctx, t);
}

/* Called by JS before it starts worker `id`: the generation it has seen. */
void dj_worker_prepare(int id) {
  if (id >= 0 && id < MAX_THREADS) start_gen[id] = atomic_load(&gen);
}

void dj_worker_main(int id) {
  int seen = start_gen[id];
  atomic_fetch_add(&n_workers, 1);
  for (;;) {
    for (int i = 0; i < SPIN && atomic_load(&gen) == seen; i++) {
    }
    while (atomic_load(&gen) == seen) __builtin_wasm_memory_atomic_wait32((int*)&gen, seen, -1);
    seen = atomic_load(&gen);
    if (id < want_workers) {
      run_tasks();
      atomic_fetch_sub(&busy, 1);
    }
  }
}

void dj_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  n_threads = n;
}

int dj_threads(void) { return n_threads; }

void dj_parallel_for(int n, dj_task_fn fn, void* ctx) {
  int workers = n_threads - 1;
  int running = atomic_load(&n_workers);
  if (workers > running) workers = running; /* workers still starting up are not waited for */
  if (workers > n - 1) workers = n - 1;
  if (workers <= 0) {
    for (int t = 0; t < n; t++) fn(ctx, t);
    return;
  }
  job_fn = fn;
  job_ctx = ctx;
  job_n = n;
  want_workers = workers;
  atomic_store(&next_task, 0);
  atomic_store(&busy, workers);
  atomic_fetch_add(&gen, 1);
  __builtin_wasm_memory_atomic_notify((int*)&gen, -1);
  run_tasks();
  while (atomic_load(&busy) > 0) {
  }
}
#endif
