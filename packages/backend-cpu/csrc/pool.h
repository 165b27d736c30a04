/* A small fork-join thread pool: the caller plus (threads − 1) workers run task indices [0, n) of one job. */
#ifndef DJ_POOL_H
#define DJ_POOL_H
typedef void (*dj_task_fn)(void* ctx, int task);
void dj_parallel_for(int n, dj_task_fn fn, void* ctx);
/* Sets the number of threads (≥ 1) for later jobs. */
void dj_set_threads(int n);
int dj_threads(void);
#endif
