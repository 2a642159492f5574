/*
 * A float32 matrix product whose every output is one chain of fused multiply-adds over k in order
 * (c = fma(a_0, b_0, 0), then fma(a_1, b_1, c), ...). The bits therefore depend on nothing but the inputs: not on
 * the blocking, the vector width (AVX-512, AVX2+FMA or the portable fmaf loop give the same numbers), how the
 * product is cut into parts, or how many threads compute it. OpenBLAS's sgemm gives other last bits at each thread
 * count and kernel choice.
 */
#ifndef NTK_SGEMM_FMA_H
#define NTK_SGEMM_FMA_H

#include <stdbool.h>

/* C = op(A) op(B), row-major, op(A) m×k (A is k×m when ta), op(B) k×n (B is n×k when tb), C m×n with leading
 * dimension ldc; C is overwritten. Single-threaded (the caller cuts the work into parts). */
void ntk_sgemm_fma(bool ta, bool tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                   int ldc);

/* Which micro-kernel this CPU runs: "avx512", "avx2" or "portable" (for info()). */
const char *ntk_sgemm_fma_kernel(void);

/* Whether this CPU has a vector kernel (AVX-512 or AVX2+FMA). Without one the portable loop is slow (fmaf is a
 * library call on x86 without FMA; a scalar loop on ARM), and callers should prefer their BLAS. */
bool ntk_sgemm_fma_vectorized(void);

/* Runs the named micro-kernel ("avx512", "avx2", "portable") from now on, or the CPU's best ("auto" or NULL), for
 * tests of the same-bits promise; false (and no change) when this CPU cannot run it. Process-wide. */
bool ntk_sgemm_fma_use(const char *name);

#endif
