/* Run-time choice of the native kernel set: the widest ISA this CPU (and OS) supports. DEBERTA_JS_ISA=avx512|avx2|
 * base forces one (tests run every set the machine has). */
#include <stdlib.h>
#include <string.h>
#include "kernels.h"

#if defined(__x86_64__)
extern const dj_kernel_set dj_set_avx512, dj_set_avx2, dj_set_base;
#else
extern const dj_kernel_set dj_set_base;
#endif

static const dj_kernel_set* chosen;

const dj_kernel_set* dj_kernels_named(const char* name) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (!strcmp(name, "avx512"))
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                   __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                   __builtin_cpu_supports("fma")
               ? &dj_set_avx512
               : 0;
  if (!strcmp(name, "avx2"))
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &dj_set_avx2 : 0;
#endif
  if (!strcmp(name, "base")) return &dj_set_base;
  return 0;
}

const dj_kernel_set* dj_kernels(void) {
  if (chosen) return chosen;
  const char* force = getenv("DEBERTA_JS_ISA");
  if (force && *force) chosen = dj_kernels_named(force);
  if (!chosen) chosen = dj_kernels_named("avx512");
  if (!chosen) chosen = dj_kernels_named("avx2");
  if (!chosen) chosen = dj_kernels_named("base");
  return chosen;
}

void dj_force_kernels(const dj_kernel_set* k) { chosen = k; }
