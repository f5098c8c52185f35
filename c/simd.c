/*
 * simd.c -- one copy of the element-wise kernels (simd_kernels.h) per instruction set, and the choice among
 * them. Each agent holds a pointer to its set (no global state); nm_agent_new gives it the widest one the CPU
 * and OS support. Every set computes the same bits (see simd_kernels.h), so the choice changes speed only:
 * at 3 x 64 the activation alone went from 59 to 22 ns a pass with AVX-512.
 *
 * The wide copies need GCC or clang on x86-64 (target attributes and __builtin_cpu_supports, which also checks
 * that the OS saves the wide registers). Other compilers and CPUs get the plain build, which the compiler
 * vectorises for the baseline of the target (SSE2 on x86-64).
 */
#include <string.h>
#include "nm_internal.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define NM_X86_DISPATCH 1
#else
#define NM_X86_DISPATCH 0
#endif
#if NM_X86_DISPATCH
#include <immintrin.h>   /* the AVX2 set's narrow first layer (simd_kernels.h) */
#endif

#define NM_KERNEL(name) generic_##name
#define NM_KERNEL_ATTR
#define NM_KERNEL_NAME "generic"
#define NM_KERNEL_FLOATS 4
#define NM_KERNEL_WIDE 0
#include "simd_kernels.h"
#undef NM_KERNEL
#undef NM_KERNEL_ATTR
#undef NM_KERNEL_NAME
#undef NM_KERNEL_WIDE
#undef NM_KERNEL_FLOATS

#if NM_X86_DISPATCH
#define NM_KERNEL(name) avx2_##name
#define NM_KERNEL_ATTR __attribute__((target("avx2")))
#define NM_KERNEL_NAME "avx2"
#define NM_KERNEL_FLOATS 8
#define NM_KERNEL_WIDE 1
#include "simd_kernels.h"
#undef NM_KERNEL
#undef NM_KERNEL_ATTR
#undef NM_KERNEL_NAME
#undef NM_KERNEL_WIDE
#undef NM_KERNEL_FLOATS

#define NM_KERNEL(name) avx512_##name
#define NM_KERNEL_ATTR __attribute__((target("avx512f")))
#define NM_KERNEL_NAME "avx512"
#define NM_KERNEL_FLOATS 16
#define NM_KERNEL_WIDE 1
#include "simd_kernels.h"
#undef NM_KERNEL
#undef NM_KERNEL_ATTR
#undef NM_KERNEL_NAME
#undef NM_KERNEL_WIDE
#undef NM_KERNEL_FLOATS
#endif

static int supported(const nm_kernels *k)
{
    if (k == &generic_table) return 1;
#if NM_X86_DISPATCH
    __builtin_cpu_init();
    if (k == &avx2_table) return __builtin_cpu_supports("avx2");
    if (k == &avx512_table) return __builtin_cpu_supports("avx512f");
#endif
    return 0;
}

static const nm_kernels *const all_sets[] = {
#if NM_X86_DISPATCH
    &avx512_table, &avx2_table,
#endif
    &generic_table
};

const nm_kernels *nm_kernels_find(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof all_sets / sizeof all_sets[0]; i++) {
        const nm_kernels *k = all_sets[i];
        if (name && strcmp(name, k->name) != 0) continue;   /* not the set asked for */
        if (supported(k)) return k;                          /* widest first; generic always runs */
        if (name) return NULL;                               /* asked for, but this CPU cannot run it */
    }
    return NULL;                                             /* no set of that name */
}

const nm_kernels *nm_kernels_blas(const nm_kernels *k)
{
#if NM_X86_DISPATCH
    if (k == &avx512_table) return &avx512_table_blas;
    if (k == &avx2_table) return &avx2_table_blas;
#endif
    return k == &generic_table ? &generic_table_blas : k;
}
