/*
 * The native thread pool: (threads − 1) pthreads that spin briefly for the next job (a cold wake-up costs tens of
 * µs, more than a small GEMM) and then sleep on a condition variable, so an idle pool uses no CPU. Workers are
 * detached and never keep the process alive.
 *
 * The caller waits for tasks, never for workers: on a loaded machine a worker may be descheduled for a whole time
 * slice, and a job must not wait for a thread that has not even woken up. So tasks are claimed in ascending order
 * (some kernels rely on it: qgemm's first tasks quantize A, later ones wait for them) from one 64-bit word
 * `claim` = (n << 32) | next task, by compare-and-swap, by the caller and by any worker that woke for a job; the
 * caller runs what nobody else claimed and returns once the count of finished tasks reaches n. Why this is
 * race-free for a worker that wakes late (after the job returned, or during a later job):
 *  - it claims only by CAS from the word's current value, so whatever it wins is an unclaimed task of the job
 *    published at that moment — even if it read the word during an earlier job (same n and next: that ABA case
 *    claims a real task of the current job, not a stale one);
 *  - the CAS (acquire) reads from the caller's release store of that word, made after it wrote job_fn/job_ctx and
 *    reset `done`, and the job cannot return before the task is counted (release on `done`, acquire in the caller):
 *    so the worker reads job_fn/job_ctx of the job it claimed from, and the next job's writes come after;
 *  - it touches no job state before its claim succeeds, and `done` counts only claimed tasks, so no increment from
 *    an earlier job can land in a later one's count.
 * `gen` only wakes sleepers; memory order on it is for speed (a woken worker reads this job's word, not the last).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include "pool_job.h"

#define MAX_THREADS 256
#define SPIN 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_uint gen;        /* wake-up word: the last published job's generation */
static atomic_int active;      /* workers with id < active take part (a hint; any value is safe) */
static dj_job job;
static int n_threads = 1, n_workers = 0; /* workers started so far */
static unsigned start_gen[MAX_THREADS];

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void* worker(void* arg) {
  int id = (int)(long)arg;
  /* the generation when this worker was created (the job that started it comes after), not when it first runs */
  unsigned seen = start_gen[id];
  for (;;) {
    for (int i = 0; i < SPIN && atomic_load_explicit(&gen, memory_order_relaxed) == seen; i++) relax();
    if (atomic_load_explicit(&gen, memory_order_relaxed) == seen) {
      pthread_mutex_lock(&mu);
      while (atomic_load_explicit(&gen, memory_order_relaxed) == seen) pthread_cond_wait(&cv, &mu);
      pthread_mutex_unlock(&mu);
    }
    seen = atomic_load_explicit(&gen, memory_order_acquire); /* so the claim word read next is this job's or later */
    if (id < atomic_load_explicit(&active, memory_order_relaxed)) dj_job_run(&job);
  }
  return 0;
}

void dj_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  n_threads = n;
}

int dj_threads(void) { return n_threads; }

void dj_parallel_for(int n, dj_task_fn fn, void* ctx) {
  int workers = n_threads - 1;
  if (workers > n - 1) workers = n - 1;
  if (workers <= 0) {
    for (int t = 0; t < n; t++) fn(ctx, t);
    return;
  }
  while (n_workers < workers) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    start_gen[n_workers] = atomic_load(&gen);
    if (pthread_create(&th, &attr, worker, (void*)(long)n_workers) != 0) {
      pthread_attr_destroy(&attr);
      break;
    }
    pthread_attr_destroy(&attr);
    n_workers++;
  }
  if (workers > n_workers) workers = n_workers;
  const unsigned g = atomic_load_explicit(&gen, memory_order_relaxed) + 1;
  atomic_store_explicit(&active, workers, memory_order_relaxed);
  /* safe: the last job returned only after all its claimed tasks finished, and no task of it is claimable */
  dj_job_publish(&job, n, fn, ctx);
  pthread_mutex_lock(&mu);
  atomic_store_explicit(&gen, g, memory_order_release);
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  dj_job_run(&job);
  /* every task is claimed; wait only for those other threads are running */
  for (int i = 0; !dj_job_finished(&job, n); i++) {
    if (i < SPIN) relax();
    else sched_yield();
  }
}
