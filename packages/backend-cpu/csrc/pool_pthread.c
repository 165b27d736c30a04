/*
 * The native thread pool: (threads − 1) pthreads that spin briefly for the next job (a cold wake-up costs tens of
 * µs, more than a small GEMM) and then sleep on a condition variable, so an idle pool uses no CPU. The caller runs
 * tasks too; tasks are claimed from an atomic counter. Workers are detached and never keep the process alive.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "pool.h"

#define MAX_THREADS 256
#define SPIN 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static atomic_uint gen;
static atomic_int next_task, busy;
static dj_task_fn job_fn;
static void* job_ctx;
static int job_n;
static int n_threads = 1, n_workers = 0; /* workers started so far */
static int want_workers = 0;              /* workers taking part in jobs */

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void run_tasks(void) {
  int t;
  while ((t = atomic_fetch_add(&next_task, 1)) < job_n) job_fn(job_ctx, t);
}

static unsigned start_gen[MAX_THREADS];

static void* worker(void* arg) {
  int id = (int)(long)arg;
  /* the generation when this worker was created (the job that started it comes after), not when it first runs */
  unsigned seen = start_gen[id];
  for (;;) {
    for (int i = 0; i < SPIN && atomic_load(&gen) == seen; i++) relax();
    if (atomic_load(&gen) == seen) {
      pthread_mutex_lock(&mu);
      while (atomic_load(&gen) == seen) pthread_cond_wait(&cv, &mu);
      pthread_mutex_unlock(&mu);
    }
    seen = atomic_load(&gen);
    if (id < want_workers) {
      run_tasks();
      atomic_fetch_sub(&busy, 1);
    }
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
  job_fn = fn;
  job_ctx = ctx;
  job_n = n;
  want_workers = workers;
  atomic_store(&next_task, 0);
  /* every started worker wakes for a generation; only ids < want_workers work and report */
  atomic_store(&busy, workers);
  pthread_mutex_lock(&mu);
  atomic_fetch_add(&gen, 1);
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  run_tasks();
  for (int i = 0; atomic_load(&busy) > 0; i++) {
    if (i < SPIN) relax();
    else sched_yield();
  }
}
