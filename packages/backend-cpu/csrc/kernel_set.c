/* This ISA's kernel table (compiled once per ISA like the kernel files). */
#include "qgemm.h"

void KFN(dj_layer_norm)(const float*, const float*, const float*, const float*, int, int, float, float*);
void KFN(dj_gelu)(float*, long);
void KFN(dj_attention)(const dj_attention_args*);

#define DJ_STR2(x) #x
#define DJ_STR(x) DJ_STR2(x)

const dj_kernel_set KFN(dj_set) = {
    .name = &DJ_STR(ISA_SUFFIX)[1],
    .nr = NR,
    .pack_b = KFN(dj_pack_b),
    .gemm = KFN(dj_gemm),
    .gemm_multi = KFN(dj_gemm_multi),
    .layer_norm = KFN(dj_layer_norm),
    .gelu = KFN(dj_gelu),
    .attention = KFN(dj_attention),
    .qpacked_bytes = KFN(dj_qpacked_bytes),
    .qpack_i8 = KFN(dj_qpack_i8),
    .qgemm_i8 = KFN(dj_qgemm_i8),
    .dqgemm = KFN(dj_dqgemm),
};
