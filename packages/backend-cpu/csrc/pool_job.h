/*
 * The job protocol both pools share (pool_pthread.c's header says why it is race-free for a worker that wakes late):
 * tasks are claimed in ascending order by CAS on one 64-bit word (count << 32 | next), by the caller and by any
 * woken worker; the caller runs what nobody else claimed and returns once the finished count reaches n. Only the
 * wake-up (condition variable / memory.atomic.wait32) differs between the pools.
 */
#ifndef DJ_POOL_JOB_H
#define DJ_POOL_JOB_H
#include <stdatomic.h>
#include <stdint.h>
#include "pool.h"

typedef struct {
  _Atomic uint64_t claim; /* (task count << 32) | next task to claim */
  atomic_int done;        /* tasks of the current job finished */
  dj_task_fn fn;          /* written only while no task of any job is claimed and unfinished */
  void* ctx;
} dj_job;

/* Publishes a job of n tasks; the previous one has returned, so no task of it is claimable or running. */
static inline void dj_job_publish(dj_job* j, int n, dj_task_fn fn, void* ctx) {
  j->fn = fn;
  j->ctx = ctx;
  atomic_store_explicit(&j->done, 0, memory_order_relaxed);
  /* publishes fn/ctx/done to whoever claims from this word */
  atomic_store_explicit(&j->claim, (uint64_t)(uint32_t)n << 32, memory_order_release);
}

/* Claims and runs tasks of the published job until none is left. */
static inline void dj_job_run(dj_job* j) {
  uint64_t c = atomic_load_explicit(&j->claim, memory_order_relaxed);
  for (;;) {
    const uint32_t next = (uint32_t)c, n = (uint32_t)(c >> 32);
    if (next >= n) return;
    if (!atomic_compare_exchange_weak_explicit(&j->claim, &c, c + 1, memory_order_acquire, memory_order_relaxed))
      continue; /* c now holds the current word */
    j->fn(j->ctx, (int)next);
    atomic_fetch_add_explicit(&j->done, 1, memory_order_release);
    c = atomic_load_explicit(&j->claim, memory_order_relaxed);
  }
}

/* Whether all n tasks have finished (acquire: their writes are visible to the caller). */
static inline int dj_job_finished(dj_job* j, int n) { return atomic_load_explicit(&j->done, memory_order_acquire) >= n; }
#endif
