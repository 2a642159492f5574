/*
 * ntk_linalg: a small N-API addon exposing OpenBLAS (CBLAS) and LAPACKE
 * float64 routines on row-major Float64Array data.
 *
 * Every entry point validates its arguments and throws a JS TypeError on
 * bad input instead of handing garbage to BLAS/LAPACK (which would print
 * "parameter N was incorrect" or crash). The TypeScript layer
 * (src/linalg/native.ts) validates shapes first and produces RangeErrors;
 * the checks here are the last line of defence for direct callers.
 *
 * Exports (all matrices row-major, all results freshly allocated unless noted):
 *   dgemm(a, aRows, aCols, b, bRows, bCols, transA, transB, alpha, beta, c?)
 *       C = alpha * op(A) * op(B) + beta * C.  Without c a zero m×n matrix is
 *       allocated (beta then has no effect); with c it is updated in place and
 *       returned (c must not overlap a or b).
 *   sgemm(a, b, c, batch, m, n, k, transA, transB, strideA, strideB)
 *       float32, in place: for each of `batch` products, C_i = op(A_i) op(B_i) with op(A_i) m×k, op(B_i) k×n,
 *       C_i m×n (C overwritten, not accumulated). a, b, c are Float32Arrays (any view, e.g. into a wasm
 *       heap; their byte offsets are honoured); A_i starts strideA floats after A_{i-1} (0 broadcasts one A
 *       to every product), likewise B_i; C_i are consecutive. c must not overlap a or b. Returns undefined.
 *   sgemm(..., strideB, maxThreads)
 *       The same with at most maxThreads OpenBLAS threads for this call (0: OpenBLAS's count). The count is
 *       process-wide: it is lowered for the call and put back while the call holds count_lock exclusively, so
 *       other threads' BLAS calls wait rather than run on the lowered count.
 *   sgemm(..., maxThreads, parts)
 *       parts = 2: while OpenBLAS has ≥ 2 threads, the work is cut in two halves (of the batch, else of C's rows when
 *       m ≥ n, else of its columns), one computed in the calling thread and one on a helper thread, each on one
 *       OpenBLAS thread (count_lock held exclusively). With one OpenBLAS thread, or parts 0 or 1, one part.
 *       The products run on ntk_sgemm_fma (sgemmFma.h: every output one chain of FMAs over k in order, so the
 *       same bits at any cut, thread count and vector width) unless setSgemmKernel("openblas") chose OpenBLAS.
 *   setSgemmKernel(name) -> the previous name
 *       sgemm's products from now on, process-wide: "auto" (the default: ntk_sgemm_fma on this CPU's widest kernel,
 *       AVX-512 or AVX2+FMA; OpenBLAS on a CPU with neither), "avx512", "avx2", "portable" (ntk_sgemm_fma on that kernel: the same bits, for tests), or
 *       "openblas" (cblas_sgemm: OpenBLAS's own bits, which depend on its thread count and core type). A name this
 *       CPU cannot run throws a RangeError and changes nothing.
 *   dsyrk(a, rows, cols, trans, alpha[, c[, lowerOnly]])
 *       alpha * A * A^T (trans=false, n = rows) or alpha * A^T * A
 *       (trans=true, n = cols) as a FULL symmetric n×n matrix. With c (an n×n Float64Array, e.g. over a
 *       SharedArrayBuffer, not overlapping a) the result is written there and c returned; lowerOnly = true then
 *       writes the lower triangle (j ≤ i) alone and leaves the strict upper one as it was (no mirror pass).
 *   dsyevd(a, n) -> { values, vectors }
 *       Symmetric eigendecomposition (lower triangle of a is read).  values
 *       ascending; column j of the row-major n×n `vectors` is eigenvector j.
 *   dpotrf(a, n) -> L
 *       Lower Cholesky factor (A = L L^T, upper part zero; lower triangle of a
 *       is read).
 *   dposv(a, n, b, nrhs) -> X
 *       Solves A X = B for symmetric positive definite A (dpotrf + dpotrs).
 *   info() -> { config, corename, numThreads, numProcs, parallel, helperJobs, helperWakes, sgemmKernel }
 *       sgemmKernel: what sgemm runs, "avx512", "avx2", "portable" or "openblas".
 *       helperJobs: how many jobs the helper thread (sgemm's parts = 2, twoThreadsHandle) has run a part of;
 *       helperWakes: how many of them were posted while it slept (it polls for 2 ms after a job, then sleeps).
 *   twoThreadsHandle() -> external
 *       The helper thread for ntk_kernels' useTwoThreads (native/src/twoThreads.h): it runs part 1 of a job while
 *       the caller runs part 0, while OpenBLAS has ≥ 2 threads (holding count_lock exclusively meanwhile).
 *   structuredShare(acc, x1, x2, d1, d2, n1, n2, fanIn, width, k, gramScale, gramBias, scale)
 *       In place: acc += scale · (gramScale·X1 X2ᵀ + gramBias) ⊙ Σ_c D1_c D2_cᵀ (a dense layer's share of the
 *       structured empirical NTK; float32 products, float64 sums; x2 = d2 = null: the same points, by ssyrk).
 *   setNumThreads(n) -> previous thread count
 *       openblas_set_num_threads: PROCESS-WIDE (all worker_threads share one OpenBLAS). It waits for
 *       the BLAS calls in flight in other threads (count_lock below), so no call sees the count change.
 *
 * A non positive definite matrix makes dpotrf/dposv throw a RangeError with
 * err.code === "NTK_NOT_POSITIVE_DEFINITE" and err.leadingMinor = k (1-based
 * order of the first leading minor that is not positive definite).
 * A LAPACK failure in dsyevd throws an Error with code "NTK_LAPACK_FAILED".
 *
 * The module is context-aware (NAPI_MODULE_INIT) and holds no global JS
 * state, so it can be loaded in several worker_threads at once.
 */
/* madvise and MADV_HUGEPAGE (hidden by -std=c11 otherwise) */
#define _DEFAULT_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <cblas.h>
#include <lapacke.h>

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>
#include <string.h>

#include "sgemmFma.h"
#include "twoThreads.h"
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

/* OpenBLAS's thread count is process-wide, and sgemm's per-call cap lowers it for one call. So that no call of
 * another thread runs while it is lowered (it would run on fewer threads: other last bits), every BLAS or LAPACK
 * call below holds this lock shared, and a change of the count holds it exclusively. */
static pthread_rwlock_t count_lock = PTHREAD_RWLOCK_INITIALIZER;
#define BLAS_SHARED(stmt)                   \
  do {                                      \
    pthread_rwlock_rdlock(&count_lock);     \
    stmt;                                   \
    pthread_rwlock_unlock(&count_lock);     \
  } while (0)

/* ------------------------------------------------------------------ helpers */

/* Throws a pending JS error if a N-API call failed and none is pending yet. */
static void throw_last_napi_error(napi_env env, const char *fn) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  char msg[256];
  snprintf(msg, sizeof msg, "ntk_linalg.%s: N-API call failed (%s)", fn,
           (info && info->error_message) ? info->error_message : "unknown error");
  napi_throw_error(env, NULL, msg);
}

#define NAPI_CALL(env, fn, call)                                               \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      throw_last_napi_error((env), (fn));                                      \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

/* Like NAPI_CALL but jumps to a cleanup label (for functions owning malloc'd memory). */
#define NAPI_CALL_GOTO(env, fn, call, label)                                   \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      throw_last_napi_error((env), (fn));                                      \
      goto label;                                                              \
    }                                                                          \
  } while (0)

static void throw_type_error(napi_env env, const char *fn, const char *fmt, const char *name) {
  char msg[256];
  char detail[200];
  snprintf(detail, sizeof detail, fmt, name);
  snprintf(msg, sizeof msg, "ntk_linalg.%s: %s", fn, detail);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

/* Reads a typed-array argument of the expected type (`kind` names it in errors); any view: the data pointer from
 * napi_get_typedarray_info already includes the view's byte offset. Returns 0 on success, -1 after throwing. */
static int get_typed(napi_env env, const char *fn, napi_value v, const char *name, napi_typedarray_type want,
                     const char *kind, void **data, size_t *len) {
  char must[64]; /* "%s must be a <kind>", for throw_type_error's one-name format */
  snprintf(must, sizeof must, "%%s must be a %s", kind);
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    throw_type_error(env, fn, must, name);
    return -1;
  }
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  if (napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok) {
    throw_last_napi_error(env, fn);
    return -1;
  }
  if (type != want) {
    throw_type_error(env, fn, must, name);
    return -1;
  }
  if (length > 0 && ptr == NULL) {
    throw_type_error(env, fn, "%s is detached", name);
    return -1;
  }
  *data = ptr;
  *len = length;
  return 0;
}

/* Reads a Float64Array argument. Returns 0 on success, -1 after throwing. */
static int get_f64array(napi_env env, const char *fn, napi_value v, const char *name, double **data, size_t *len) {
  return get_typed(env, fn, v, name, napi_float64_array, "Float64Array", (void **)data, len);
}

/* Reads a Float32Array argument (any view, the wasm heap's included). Returns 0 on success, -1 after throwing. */
static int get_f32array(napi_env env, const char *fn, napi_value v, const char *name, float **data, size_t *len) {
  return get_typed(env, fn, v, name, napi_float32_array, "Float32Array", (void **)data, len);
}

/* Reads a matrix dimension: an integral number in [0, INT_MAX]. */
static int get_dim(napi_env env, const char *fn, napi_value v, const char *name, int *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    throw_type_error(env, fn, "%s must be a number", name);
    return -1;
  }
  double d = 0;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0) || d > (double)INT_MAX || d != floor(d)) {
    throw_type_error(env, fn, "%s must be an integer in [0, 2^31-1]", name);
    return -1;
  }
  *out = (int)d;
  return 0;
}

static int get_double(napi_env env, const char *fn, napi_value v, const char *name, double *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) {
    throw_type_error(env, fn, "%s must be a number", name);
    return -1;
  }
  napi_get_value_double(env, v, out);
  return 0;
}

/* Boolean flag; undefined counts as false. */
static int get_flag(napi_env env, const char *fn, napi_value v, const char *name, bool *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) {
    throw_last_napi_error(env, fn);
    return -1;
  }
  if (t == napi_undefined) {
    *out = false;
    return 0;
  }
  if (t != napi_boolean) {
    throw_type_error(env, fn, "%s must be a boolean", name);
    return -1;
  }
  napi_get_value_bool(env, v, out);
  return 0;
}

/* Checks len == rows * cols without overflow. */
static int check_len(napi_env env, const char *fn, const char *name, size_t len, int rows, int cols) {
  uint64_t want = (uint64_t)rows * (uint64_t)cols;
  if ((uint64_t)len != want) {
    char msg[256];
    snprintf(msg, sizeof msg, "ntk_linalg.%s: %s has %zu entries, expected %d×%d = %llu", fn, name,
             len, rows, cols, (unsigned long long)want);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return -1;
  }
  return 0;
}

/* Fetches min..max arguments into argv (extra ones are ignored; fewer than min is a TypeError). */
static int get_args(napi_env env, napi_callback_info info, const char *fn, size_t min, size_t max,
                    napi_value *argv, size_t *argc_out) {
  size_t argc = max;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_last_napi_error(env, fn);
    return -1;
  }
  if (argc < min) {
    char msg[160];
    snprintf(msg, sizeof msg, "ntk_linalg.%s: expected at least %zu arguments, got %zu", fn, min, argc);
    napi_throw_type_error(env, "ERR_MISSING_ARGS", msg);
    return -1;
  }
  if (argc_out) *argc_out = argc < max ? argc : max;
  return 0;
}

/*
 * Asks Linux for transparent huge pages behind the whole pages of a fresh result of 4 MiB or more, before it is
 * first written (as numpy does for its arrays): faulting in 4 KiB pages one by one was measured at ~0.25 s of system
 * time per 128 MiB on the development VM. Values are unaffected; elsewhere (or on failure) nothing happens.
 */
static void advise_huge_pages(void *ptr, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || bytes < ((size_t)4 << 20)) return;
  const uintptr_t p = (uintptr_t)page;
  const uintptr_t lo = ((uintptr_t)ptr + p - 1) / p * p;
  const uintptr_t hi = ((uintptr_t)ptr + bytes) / p * p;
  if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
  (void)ptr;
  (void)bytes;
#endif
}

/* Allocates a JS Float64Array of n entries (V8 zero-fills it), on huge pages where available (advise_huge_pages). */
static napi_value new_f64array(napi_env env, const char *fn, size_t n, double **data) {
  napi_value ab, ta;
  void *ptr = NULL;
  if (n > SIZE_MAX / sizeof(double)) {
    napi_throw_range_error(env, NULL, "ntk_linalg: result too large");
    return NULL;
  }
  NAPI_CALL(env, fn, napi_create_arraybuffer(env, n * sizeof(double), &ptr, &ab));
  advise_huge_pages(ptr, n * sizeof(double));
  NAPI_CALL(env, fn, napi_create_typedarray(env, napi_float64_array, n, ab, 0, &ta));
  *data = (double *)ptr;
  return ta;
}

static int imax1(int x) { return x > 1 ? x : 1; }

static bool overlaps(const double *p, size_t np, const double *q, size_t nq) {
  if (np == 0 || nq == 0) return false;
  return p < q + nq && q < p + np;
}

/* Copies the lower triangle of row-major n×n `a` into `out` and zeroes the strict upper part. */
static void copy_lower(const double *a, double *out, int n) {
  for (int i = 0; i < n; i++) {
    const double *src = a + (size_t)i * n;
    double *dst = out + (size_t)i * n;
    memcpy(dst, src, (size_t)(i + 1) * sizeof(double));
    if (i + 1 < n) memset(dst + i + 1, 0, (size_t)(n - i - 1) * sizeof(double));
  }
}

static void throw_not_pd(napi_env env, const char *fn, int minor) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: matrix is not positive definite (leading minor %d)", fn, minor);
  napi_value code, text, err, k;
  if (napi_create_string_utf8(env, "NTK_NOT_POSITIVE_DEFINITE", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text) != napi_ok ||
      napi_create_range_error(env, code, text, &err) != napi_ok ||
      napi_create_int32(env, minor, &k) != napi_ok ||
      napi_set_named_property(env, err, "leadingMinor", k) != napi_ok) {
    napi_throw_range_error(env, "NTK_NOT_POSITIVE_DEFINITE", msg);
    return;
  }
  napi_throw(env, err);
}

static void throw_lapack(napi_env env, const char *routine, lapack_int info) {
  char msg[200];
  if (info == LAPACK_WORK_MEMORY_ERROR || info == LAPACK_TRANSPOSE_MEMORY_ERROR) {
    snprintf(msg, sizeof msg, "%s: out of memory", routine);
  } else if (info < 0) {
    snprintf(msg, sizeof msg, "%s: argument %d had an illegal value (NaN or Inf in the input?)", routine,
             (int)-info);
  } else {
    snprintf(msg, sizeof msg, "%s: failed to converge (info = %d)", routine, (int)info);
  }
  napi_throw_error(env, "NTK_LAPACK_FAILED", msg);
}

/* ------------------------------------------------------------------- dgemm */

static napi_value js_dgemm(napi_env env, napi_callback_info info) {
  const char *fn = "dgemm";
  napi_value argv[11];
  size_t argc = 0;
  if (get_args(env, info, fn, 10, 11, argv, &argc)) return NULL;
  double *a, *b, *c = NULL;
  size_t alen, blen, clen = 0;
  int ar, ac, br, bc;
  bool ta, tb;
  double alpha, beta;
  if (get_f64array(env, fn, argv[0], "a", &a, &alen) || get_dim(env, fn, argv[1], "aRows", &ar) ||
      get_dim(env, fn, argv[2], "aCols", &ac) || get_f64array(env, fn, argv[3], "b", &b, &blen) ||
      get_dim(env, fn, argv[4], "bRows", &br) || get_dim(env, fn, argv[5], "bCols", &bc) ||
      get_flag(env, fn, argv[6], "transA", &ta) || get_flag(env, fn, argv[7], "transB", &tb) ||
      get_double(env, fn, argv[8], "alpha", &alpha) || get_double(env, fn, argv[9], "beta", &beta) ||
      check_len(env, fn, "a", alen, ar, ac) || check_len(env, fn, "b", blen, br, bc))
    return NULL;

  int m = ta ? ac : ar, k = ta ? ar : ac;
  int kb = tb ? bc : br, n = tb ? br : bc;
  if (k != kb) {
    char msg[200];
    snprintf(msg, sizeof msg, "ntk_linalg.dgemm: inner dimensions differ: op(A) is %d×%d, op(B) is %d×%d",
             m, k, kb, n);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return NULL;
  }

  napi_value out;
  napi_valuetype ct = napi_undefined;
  if (argc > 10) NAPI_CALL(env, fn, napi_typeof(env, argv[10], &ct));
  if (ct != napi_undefined && ct != napi_null) {
    out = argv[10];
    if (get_f64array(env, fn, out, "c", &c, &clen) || check_len(env, fn, "c", clen, m, n)) return NULL;
    if (overlaps(c, clen, a, alen) || overlaps(c, clen, b, blen)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "ntk_linalg.dgemm: c must not overlap a or b");
      return NULL;
    }
  } else {
    out = new_f64array(env, fn, (size_t)m * (size_t)n, &c);
    if (!out) return NULL;
    beta = 0.0; /* fresh zero matrix */
  }
  if (m == 0 || n == 0) return out;
  if (k == 0) {
    /* op(A) op(B) is the zero matrix: C = beta * C (BLAS semantics: beta = 0 clears NaNs too) */
    size_t total = (size_t)m * (size_t)n;
    if (beta == 0.0) memset(c, 0, total * sizeof(double));
    else if (beta != 1.0) for (size_t i = 0; i < total; i++) c[i] *= beta;
    return out;
  }
  BLAS_SHARED(cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k,
                          alpha, a, imax1(ac), b, imax1(bc), beta, c, imax1(n)));
  return out;
}

/* ------------------------------------------------------------------- sgemm */

/* true: sgemm's products on OpenBLAS (setSgemmKernel("openblas"), or "auto" on a CPU without a vector kernel of
 * ntk_sgemm_fma); false: on ntk_sgemm_fma. Set once per process (sgemm_default_once), not per addon instance, so a
 * worker thread loading the addon does not undo the main thread's choice. */
static atomic_bool sgemm_openblas = false;
static pthread_once_t sgemm_default_once = PTHREAD_ONCE_INIT;
static void sgemm_default(void) { atomic_store(&sgemm_openblas, !ntk_sgemm_fma_vectorized()); }

/* One float32 product on one OpenBLAS thread with explicit leading dimensions (row-major). */
typedef struct {
  bool ta, tb;
  int m, n, k, lda, ldb, ldc;
  const float *a, *b;
  float *c;
  bool openblas; /* on cblas_sgemm rather than ntk_sgemm_fma */
} sgemm_job_t;

static void run_sgemm_job(const sgemm_job_t *j) {
  if (j->m <= 0 || j->n <= 0) return;
  if (!j->openblas)
    ntk_sgemm_fma(j->ta, j->tb, j->m, j->n, j->k, j->a, j->lda, j->b, j->ldb, j->c, j->ldc);
  else
    cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, j->m, j->n, j->k,
                1.0f, j->a, j->lda, j->b, j->ldb, 0.0f, j->c, j->ldc);
}

/* The helper thread: one for the process, started on first use, running part 1 of one job at a time (its callers
 * hold count_lock exclusively). Between jobs it polls for HELPER_SPIN_NS, then sleeps on a condition variable:
 * waking an idle core costs up to a millisecond or two on virtual machines (measured on the 2-core box), more than a
 * product of the training step, and a step posts work every 0.1–1 ms, so a short poll keeps it awake through a
 * step without holding a core when no training runs. */
#define HELPER_SPIN_NS 2000000L
static pthread_mutex_t helper_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t helper_go = PTHREAD_COND_INITIALIZER;
static _Atomic(ntk_part_fn) helper_fn = NULL;
static void *_Atomic helper_ctx = NULL;
static atomic_int helper_posted = 0, helper_finished = 0; /* sequence numbers of the last posted and finished jobs */
static atomic_bool helper_sleeping = false;
static atomic_long helper_jobs = 0; /* jobs whose part 1 the helper ran (info().helperJobs, for tests) */
static atomic_long helper_wakes = 0; /* jobs posted while it slept (info().helperWakes: how often it had to be woken) */
static bool helper_started = false;

static long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long)t.tv_sec * 1000000000L + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void *helper_main(void *arg) {
  (void)arg;
  int seen = 0;
  for (;;) {
    const long until = now_ns() + HELPER_SPIN_NS;
    int spins = 0;
    while (atomic_load(&helper_posted) == seen) {
      cpu_relax();
      if (++spins % 256 == 0 && now_ns() > until) {
        pthread_mutex_lock(&helper_mu);
        atomic_store(&helper_sleeping, true);
        while (atomic_load(&helper_posted) == seen) pthread_cond_wait(&helper_go, &helper_mu);
        atomic_store(&helper_sleeping, false);
        pthread_mutex_unlock(&helper_mu);
      }
    }
    seen = atomic_load(&helper_posted);
    atomic_load(&helper_fn)(atomic_load(&helper_ctx), 1);
    atomic_fetch_add(&helper_jobs, 1);
    atomic_store(&helper_finished, seen);
  }
  return NULL;
}

/* fn(ctx, 0) here and fn(ctx, 1) on the helper at once; false when the helper cannot start (then nothing ran). The
 * caller holds count_lock exclusively. */
static bool helper_run(ntk_part_fn fn, void *ctx) {
  if (!helper_started) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    helper_started = pthread_create(&t, &attr, helper_main, NULL) == 0;
    pthread_attr_destroy(&attr);
    if (!helper_started) return false;
  }
  atomic_store(&helper_fn, fn);
  atomic_store(&helper_ctx, ctx);
  const int seq = atomic_load(&helper_posted) + 1;
  atomic_store(&helper_posted, seq);
  /* seq_cst: either the helper sees the new job before it sleeps, or this sees it asleep and wakes it */
  if (atomic_load(&helper_sleeping)) {
    atomic_fetch_add(&helper_wakes, 1);
    pthread_mutex_lock(&helper_mu);
    pthread_cond_signal(&helper_go);
    pthread_mutex_unlock(&helper_mu);
  }
  fn(ctx, 0);
  while (atomic_load(&helper_finished) != seq) cpu_relax();
  return true;
}

/* For ntk_kernels (twoThreadsHandle): two parts at once while OpenBLAS has ≥ 2 threads, i.e. outside a run pool. */
static bool two_threads_run(ntk_part_fn fn, void *ctx) {
  if (openblas_get_num_threads() < 2) return false;
  pthread_rwlock_wrlock(&count_lock);
  const bool ok = openblas_get_num_threads() >= 2 && helper_run(fn, ctx);
  pthread_rwlock_unlock(&count_lock);
  return ok;
}

static const ntk_two_threads_t two_threads = {NTK_TWO_THREADS_VERSION, two_threads_run};

static napi_value js_two_threads_handle(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  if (napi_create_external(env, (void *)&two_threads, NULL, NULL, &out) != napi_ok) {
    throw_last_napi_error(env, "twoThreadsHandle");
    return NULL;
  }
  return out;
}

/* The halves of one sgemm call, for helper_run: part p runs jobs[first[p] .. first[p + 1]). */
typedef struct {
  const sgemm_job_t *jobs;
  int first[3];
} sgemm_parts_t;

static void run_sgemm_part(void *ctx, int part) {
  const sgemm_parts_t *p = ctx;
  for (int i = p->first[part]; i < p->first[part + 1]; i++) run_sgemm_job(&p->jobs[i]);
}

/* Bytes spanned by `count` blocks of `size` floats spaced `stride` apart (0 when empty). */
static uint64_t span(uint64_t count, uint64_t stride, uint64_t size) {
  return (count == 0 || size == 0) ? 0 : (count - 1) * stride + size;
}

static napi_value js_sgemm(napi_env env, napi_callback_info info) {
  const char *fn = "sgemm";
  napi_value argv[13];
  size_t argc = 0;
  if (get_args(env, info, fn, 11, 13, argv, &argc)) return NULL;
  float *a, *b, *c;
  size_t alen, blen, clen;
  int batch, m, n, k, sa, sb;
  bool ta, tb;
  if (get_f32array(env, fn, argv[0], "a", &a, &alen) || get_f32array(env, fn, argv[1], "b", &b, &blen) ||
      get_f32array(env, fn, argv[2], "c", &c, &clen) || get_dim(env, fn, argv[3], "batch", &batch) ||
      get_dim(env, fn, argv[4], "m", &m) || get_dim(env, fn, argv[5], "n", &n) ||
      get_dim(env, fn, argv[6], "k", &k) || get_flag(env, fn, argv[7], "transA", &ta) ||
      get_flag(env, fn, argv[8], "transB", &tb) || get_dim(env, fn, argv[9], "strideA", &sa) ||
      get_dim(env, fn, argv[10], "strideB", &sb))
    return NULL;
  int maxThreads = 0, parts = 0;
  if (argc > 11 && get_dim(env, fn, argv[11], "maxThreads", &maxThreads)) return NULL;
  if (argc > 12 && get_dim(env, fn, argv[12], "parts", &parts)) return NULL;
  uint64_t mk = (uint64_t)m * k, kn = (uint64_t)k * n, mn = (uint64_t)m * n;
  if (span(batch, sa, mk) > alen || span(batch, sb, kn) > blen || (uint64_t)batch * mn != clen) {
    char msg[256];
    snprintf(msg, sizeof msg,
             "ntk_linalg.sgemm: sizes do not fit: a %zu, b %zu, c %zu entries for %d products of %d×%d by %d×%d",
             alen, blen, clen, batch, m, k, k, n);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return NULL;
  }
  if (parts != 0 && parts != 1 && parts != 2) {
    napi_throw_range_error(env, NULL, "ntk_linalg.sgemm: parts must be 0, 1 or 2");
    return NULL;
  }
  if (clen == 0) return NULL;
  if ((const void *)c < (const void *)(a + alen) && (const void *)a < (const void *)(c + clen) && alen > 0) goto overlap;
  if ((const void *)c < (const void *)(b + blen) && (const void *)b < (const void *)(c + clen) && blen > 0) goto overlap;
  if (k == 0) {
    memset(c, 0, clen * sizeof(float));
    return NULL;
  }
  const int lda = imax1(ta ? m : k), ldb = imax1(tb ? k : n), ldc = imax1(n);
  /* two parts: halves of the batch, or of C's rows (m ≥ n) or columns, each on one OpenBLAS thread, one here and
   * one on the helper thread. OpenBLAS's own threads gained little or lost on these shapes (many rows, 8–64
   * columns: BENCHMARKS.md); the halves give the same bits at any OpenBLAS thread count ≥ 2, other bits than one
   * part. With OpenBLAS on one thread (a run pool's workers) there is no core to spare: one part, as parts = 0. */
  const bool split = parts == 2 && (batch >= 2 || m >= 2 || n >= 2) && openblas_get_num_threads() >= 2;
  /* fewer threads for this call: OpenBLAS's count is process-wide, so it is lowered for the call and put back while
   * this call holds count_lock exclusively (other threads' BLAS calls wait; see count_lock) */
  const bool blas = atomic_load(&sgemm_openblas);
  if (split) maxThreads = 1;
  if (!blas) maxThreads = 0; /* ntk_sgemm_fma never uses OpenBLAS's threads */
  const bool cap = maxThreads > 0 && openblas_get_num_threads() > maxThreads;
  if (cap || split) pthread_rwlock_wrlock(&count_lock);
  else pthread_rwlock_rdlock(&count_lock);
  const int before = openblas_get_num_threads();
  const bool lowered = cap && before > maxThreads;
  if (lowered) openblas_set_num_threads(maxThreads);
  bool done = false;
  if (split) {
    sgemm_job_t *jobs = malloc(sizeof(sgemm_job_t) * (size_t)(batch >= 2 ? batch : 2));
    if (jobs) {
      int nm = 0, nt = 0;
      if (batch >= 2) {
        /* the first half of the products here, the rest there */
        const int h = batch / 2;
        for (int i = 0; i < batch; i++)
          jobs[i] = (sgemm_job_t){ta, tb, m, n, k, lda, ldb, ldc, a + (size_t)i * sa, b + (size_t)i * sb, c + (size_t)i * mn, blas};
        nm = h;
        nt = batch - h;
      } else if (m >= n && m >= 2) {
        const int h = m / 2;
        jobs[0] = (sgemm_job_t){ta, tb, h, n, k, lda, ldb, ldc, a, b, c, blas};
        jobs[1] = (sgemm_job_t){ta, tb, m - h, n, k, lda, ldb, ldc, a + (ta ? (size_t)h : (size_t)h * k), b, c + (size_t)h * n, blas};
        nm = nt = 1;
      } else {
        const int h = n / 2;
        jobs[0] = (sgemm_job_t){ta, tb, m, h, k, lda, ldb, ldc, a, b, c, blas};
        jobs[1] = (sgemm_job_t){ta, tb, m, n - h, k, lda, ldb, ldc, a, b + (tb ? (size_t)h * k : (size_t)h), c + h, blas};
        nm = nt = 1;
      }
      sgemm_parts_t parts2 = {jobs, {0, nm, nm + nt}};
      done = helper_run(run_sgemm_part, &parts2);
      free(jobs);
    }
  }
  if (!done) {
    for (int i = 0; i < batch; i++) {
      const sgemm_job_t job = {ta, tb, m, n, k, lda, ldb, ldc, a + (size_t)i * sa, b + (size_t)i * sb, c + (size_t)i * mn, blas};
      run_sgemm_job(&job);
    }
  }
  if (lowered) openblas_set_num_threads(before);
  pthread_rwlock_unlock(&count_lock);
  return NULL;
overlap:
  napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "ntk_linalg.sgemm: c must not overlap a or b");
  return NULL;
}

static const char *sgemm_kernel_name(void) { return atomic_load(&sgemm_openblas) ? "openblas" : ntk_sgemm_fma_kernel(); }

static napi_value js_set_sgemm_kernel(napi_env env, napi_callback_info info) {
  const char *fn = "setSgemmKernel";
  napi_value argv[1];
  size_t argc = 0;
  if (get_args(env, info, fn, 1, 1, argv, &argc)) return NULL;
  char name[32];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "ntk_linalg.setSgemmKernel: name must be a string");
    return NULL;
  }
  const char *before = sgemm_kernel_name();
  napi_value out;
  NAPI_CALL(env, fn, napi_create_string_utf8(env, before, NAPI_AUTO_LENGTH, &out));
  if (strcmp(name, "openblas") == 0 || (strcmp(name, "auto") == 0 && !ntk_sgemm_fma_vectorized())) {
    ntk_sgemm_fma_use("auto");
    atomic_store(&sgemm_openblas, true);
  } else if (ntk_sgemm_fma_use(name)) {
    atomic_store(&sgemm_openblas, false);
  } else {
    char msg[160];
    snprintf(msg, sizeof msg,
             "ntk_linalg.setSgemmKernel: \"%s\" is not a kernel this CPU runs (auto, avx512, avx2, portable, openblas)", name);
    napi_throw_range_error(env, NULL, msg);
    return NULL;
  }
  return out;
}

/* ------------------------------------------------------------------- dsyrk */

static napi_value js_dsyrk(napi_env env, napi_callback_info info) {
  const char *fn = "dsyrk";
  napi_value argv[7];
  size_t argc = 0;
  if (get_args(env, info, fn, 5, 7, argv, &argc)) return NULL;
  double *a, *c;
  size_t alen, clen = 0;
  int ar, ac;
  bool trans, lowerOnly = false;
  double alpha;
  if (get_f64array(env, fn, argv[0], "a", &a, &alen) || get_dim(env, fn, argv[1], "rows", &ar) ||
      get_dim(env, fn, argv[2], "cols", &ac) || get_flag(env, fn, argv[3], "trans", &trans) ||
      get_double(env, fn, argv[4], "alpha", &alpha) || check_len(env, fn, "a", alen, ar, ac))
    return NULL;
  int n = trans ? ac : ar, k = trans ? ar : ac;
  napi_value out;
  napi_valuetype ct = napi_undefined;
  if (argc > 5) NAPI_CALL(env, fn, napi_typeof(env, argv[5], &ct));
  if (ct != napi_undefined && ct != napi_null) {
    /* caller's output (e.g. over a SharedArrayBuffer): the n×n result is written there */
    out = argv[5];
    if (get_f64array(env, fn, out, "c", &c, &clen) || check_len(env, fn, "c", clen, n, n)) return NULL;
    if (overlaps(c, clen, a, alen)) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "ntk_linalg.dsyrk: c must not overlap a");
      return NULL;
    }
    if (argc > 6 && get_flag(env, fn, argv[6], "lowerOnly", &lowerOnly)) return NULL;
    if (n > 0 && k == 0) {
      /* the zero matrix (a fresh output is already zero) */
      for (int i = 0; i < n; i++) memset(c + (size_t)i * n, 0, (size_t)(lowerOnly ? i + 1 : n) * sizeof(double));
      return out;
    }
  } else {
    out = new_f64array(env, fn, (size_t)n * (size_t)n, &c);
    if (!out) return NULL;
  }
  if (n == 0 || k == 0) return out;
  /* compute the lower triangle, then (unless lowerOnly) mirror it into the upper one */
  BLAS_SHARED(cblas_dsyrk(CblasRowMajor, CblasLower, trans ? CblasTrans : CblasNoTrans, n, k, alpha, a, imax1(ac), 0.0,
                          c, imax1(n)));
  if (lowerOnly) return out;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < i; j++) c[(size_t)j * n + i] = c[(size_t)i * n + j];
  return out;
}

/* ------------------------------------------------------------------ dsyevd */

static napi_value js_dsyevd(napi_env env, napi_callback_info info) {
  const char *fn = "dsyevd";
  napi_value argv[2];
  if (get_args(env, info, fn, 2, 2, argv, NULL)) return NULL;
  double *a, *w, *v;
  size_t alen;
  int n;
  if (get_f64array(env, fn, argv[0], "a", &a, &alen) || get_dim(env, fn, argv[1], "n", &n) ||
      check_len(env, fn, "a", alen, n, n))
    return NULL;
  napi_value values = new_f64array(env, fn, (size_t)n, &w);
  if (!values) return NULL;
  napi_value vectors = new_f64array(env, fn, (size_t)n * (size_t)n, &v);
  if (!vectors) return NULL;
  if (n > 0) {
    memcpy(v, a, (size_t)n * (size_t)n * sizeof(double));
    lapack_int rc;
    BLAS_SHARED(rc = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'V', 'L', n, v, n, w));
    if (rc != 0) {
      throw_lapack(env, "LAPACKE_dsyevd", rc);
      return NULL;
    }
  }
  napi_value result;
  NAPI_CALL(env, fn, napi_create_object(env, &result));
  NAPI_CALL(env, fn, napi_set_named_property(env, result, "values", values));
  NAPI_CALL(env, fn, napi_set_named_property(env, result, "vectors", vectors));
  return result;
}

/* ------------------------------------------------------------------ dpotrf */

static napi_value js_dpotrf(napi_env env, napi_callback_info info) {
  const char *fn = "dpotrf";
  napi_value argv[2];
  if (get_args(env, info, fn, 2, 2, argv, NULL)) return NULL;
  double *a, *l;
  size_t alen;
  int n;
  if (get_f64array(env, fn, argv[0], "a", &a, &alen) || get_dim(env, fn, argv[1], "n", &n) ||
      check_len(env, fn, "a", alen, n, n))
    return NULL;
  napi_value out = new_f64array(env, fn, (size_t)n * (size_t)n, &l);
  if (!out || n == 0) return out;
  copy_lower(a, l, n);
  lapack_int rc;
  BLAS_SHARED(rc = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, l, n));
  if (rc > 0) {
    throw_not_pd(env, "cholesky", (int)rc);
    return NULL;
  }
  if (rc < 0) {
    throw_lapack(env, "LAPACKE_dpotrf", rc);
    return NULL;
  }
  return out;
}

/* ------------------------------------------------------- dposv (potrf+potrs) */

static napi_value js_dposv(napi_env env, napi_callback_info info) {
  const char *fn = "dposv";
  napi_value argv[4];
  napi_value ret = NULL;
  double *factor = NULL;
  if (get_args(env, info, fn, 4, 4, argv, NULL)) return NULL;
  double *a, *b, *x;
  size_t alen, blen;
  int n, nrhs;
  if (get_f64array(env, fn, argv[0], "a", &a, &alen) || get_dim(env, fn, argv[1], "n", &n) ||
      get_f64array(env, fn, argv[2], "b", &b, &blen) || get_dim(env, fn, argv[3], "nrhs", &nrhs) ||
      check_len(env, fn, "a", alen, n, n) || check_len(env, fn, "b", blen, n, nrhs))
    return NULL;
  napi_value out = new_f64array(env, fn, (size_t)n * (size_t)nrhs, &x);
  if (!out) return NULL;
  if (n == 0) return out;

  factor = (double *)malloc((size_t)n * (size_t)n * sizeof(double));
  if (!factor) {
    napi_throw_range_error(env, NULL, "ntk_linalg.dposv: out of memory");
    return NULL;
  }
  copy_lower(a, factor, n);
  lapack_int rc;
  BLAS_SHARED(rc = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', n, factor, n));
  if (rc > 0) {
    throw_not_pd(env, "choleskySolve", (int)rc);
    goto done;
  }
  if (rc < 0) {
    throw_lapack(env, "LAPACKE_dpotrf", rc);
    goto done;
  }
  if (nrhs > 0) {
    memcpy(x, b, (size_t)n * (size_t)nrhs * sizeof(double));
    BLAS_SHARED(rc = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'L', n, nrhs, factor, n, x, nrhs));
    if (rc != 0) {
      throw_lapack(env, "LAPACKE_dpotrs", rc);
      goto done;
    }
  }
  ret = out;
done:
  free(factor);
  return ret;
}

/* -------------------------------------------------------------------- info */

static napi_value js_info(napi_env env, napi_callback_info info) {
  (void)info;
  const char *fn = "info";
  napi_value obj, s, num;
  const char *config = openblas_get_config();
  const char *core = openblas_get_corename();
  int par = openblas_get_parallel();
  const char *parallel = par == 0 ? "sequential" : par == 1 ? "pthreads" : par == 2 ? "openmp" : "unknown";
  NAPI_CALL(env, fn, napi_create_object(env, &obj));
  NAPI_CALL(env, fn, napi_create_string_utf8(env, config ? config : "", NAPI_AUTO_LENGTH, &s));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "config", s));
  NAPI_CALL(env, fn, napi_create_string_utf8(env, core ? core : "", NAPI_AUTO_LENGTH, &s));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "corename", s));
  NAPI_CALL(env, fn, napi_create_string_utf8(env, parallel, NAPI_AUTO_LENGTH, &s));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "parallel", s));
  NAPI_CALL(env, fn, napi_create_int32(env, openblas_get_num_threads(), &num));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "numThreads", num));
  NAPI_CALL(env, fn, napi_create_int32(env, openblas_get_num_procs(), &num));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "numProcs", num));
  NAPI_CALL(env, fn, napi_create_double(env, (double)atomic_load(&helper_jobs), &num));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "helperJobs", num));
  NAPI_CALL(env, fn, napi_create_double(env, (double)atomic_load(&helper_wakes), &num));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "helperWakes", num));
  NAPI_CALL(env, fn, napi_create_string_utf8(env, sgemm_kernel_name(), NAPI_AUTO_LENGTH, &s));
  NAPI_CALL(env, fn, napi_set_named_property(env, obj, "sgemmKernel", s));
  return obj;
}

static napi_value js_set_num_threads(napi_env env, napi_callback_info info) {
  const char *fn = "setNumThreads";
  napi_value argv[1], prev;
  int n;
  if (get_args(env, info, fn, 1, 1, argv, NULL) || get_dim(env, fn, argv[0], "n", &n)) return NULL;
  if (n < 1 || n > 4096) {
    napi_throw_range_error(env, NULL, "ntk_linalg.setNumThreads: n must be in [1, 4096]");
    return NULL;
  }
  pthread_rwlock_wrlock(&count_lock);
  int before = openblas_get_num_threads();
  openblas_set_num_threads(n);
  pthread_rwlock_unlock(&count_lock);
  NAPI_CALL(env, fn, napi_create_int32(env, before, &prev));
  return prev;
}

/* ------------------------------------------------------- structuredShare */
/* One dense layer's share of the structured empirical NTK, fused (src/kernels/sensitivityGram.ts):
 *   acc[i, j] += scale · (gramScale · (X1 X2ᵀ)[i, j] + gramBias) · Σ_c (D1_c D2_cᵀ)[i, j]
 * X1 n1×fanIn and X2 n2×fanIn the layer's inputs, D1 = [k, n1, width] and D2 = [k, n2, width] the sensitivities
 * (D_c the c-th n×width block), acc n1×n2 float64. Both products are float32 BLAS into scratch (Σ_c as k products
 * accumulated with beta = 1, no transposed copy of D); the scaling, the elementwise product and the sum into acc are
 * float64. With X2 and D2 null (the same points) both products are ssyrk (lower triangle, half the flops) and each
 * lower entry is added at (i, j) and (j, i). */

/* Optional Float32Array argument: null gives NULL, length 0. */
static int get_f32array_or_null(napi_env env, const char *fn, napi_value v, const char *name, float **data,
                                size_t *len) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) {
    throw_last_napi_error(env, fn);
    return -1;
  }
  if (t == napi_null) {
    *data = NULL;
    *len = 0;
    return 0;
  }
  return get_f32array(env, fn, v, name, data, len);
}

static bool overlaps_bytes(const void *p, size_t pbytes, const void *q, size_t qbytes) {
  if (pbytes == 0 || qbytes == 0) return false;
  return (const char *)p < (const char *)q + qbytes && (const char *)q < (const char *)p + pbytes;
}

/* acc (n×n) += scale·(gs·G + gb)·S from the lower triangles of G and S, at (i, j) and (j, i). By tiles of
 * SHARE_TILE²: a tile's terms are added along acc's rows and kept in `buf` (SHARE_TILE × (SHARE_TILE + 1) doubles,
 * the padding against cache-set conflicts), then added to the mirrored tile along its rows too (a column-wise
 * write, rows 8 KiB apart at n = 1024, thrashed one cache set: 3× slower). */
#define SHARE_TILE 64
static void share_sym(double *acc, const float *g, const float *s, int n, double gs, double gb, double scale,
                      double *buf) {
  const int T = SHARE_TILE, L = SHARE_TILE + 1;
  for (int i0 = 0; i0 < n; i0 += T) {
    int i1 = i0 + T < n ? i0 + T : n;
    for (int j0 = 0; j0 <= i0; j0 += T) {
      int j1 = j0 + T < n ? j0 + T : n;
      for (int i = i0; i < i1; i++) {
        int jend = j1 < i + 1 ? j1 : i + 1; /* j <= i */
        const size_t row = (size_t)i * n;
        double *b = buf + (size_t)(i - i0) * L - j0;
        for (int j = j0; j < jend; j++) {
          double v = scale * (gs * (double)g[row + j] + gb) * (double)s[row + j];
          acc[row + j] += v;
          b[j] = v;
        }
      }
      /* the mirror, (j, i) for i > j, along row j of acc */
      for (int j = j0; j < j1; j++) {
        double *arow = acc + (size_t)j * n;
        for (int i = j + 1 > i0 ? j + 1 : i0; i < i1; i++) arow[i] += buf[(size_t)(i - i0) * L + (j - j0)];
      }
    }
  }
}

static napi_value js_structured_share(napi_env env, napi_callback_info info) {
  const char *fn = "structuredShare";
  napi_value argv[13];
  if (get_args(env, info, fn, 13, 13, argv, NULL)) return NULL;
  double *acc;
  float *x1, *x2, *d1, *d2;
  size_t acclen, x1len, x2len, d1len, d2len;
  int n1, n2, fan, width, k;
  double gs, gb, scale;
  if (get_f64array(env, fn, argv[0], "acc", &acc, &acclen) || get_f32array(env, fn, argv[1], "x1", &x1, &x1len) ||
      get_f32array_or_null(env, fn, argv[2], "x2", &x2, &x2len) ||
      get_f32array(env, fn, argv[3], "d1", &d1, &d1len) ||
      get_f32array_or_null(env, fn, argv[4], "d2", &d2, &d2len) || get_dim(env, fn, argv[5], "n1", &n1) ||
      get_dim(env, fn, argv[6], "n2", &n2) || get_dim(env, fn, argv[7], "fanIn", &fan) ||
      get_dim(env, fn, argv[8], "width", &width) || get_dim(env, fn, argv[9], "k", &k) ||
      get_double(env, fn, argv[10], "gramScale", &gs) || get_double(env, fn, argv[11], "gramBias", &gb) ||
      get_double(env, fn, argv[12], "scale", &scale))
    return NULL;
  bool same = x2 == NULL;
  if ((x2 == NULL) != (d2 == NULL) || (same && n2 != n1)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE",
                          "ntk_linalg.structuredShare: x2 and d2 must both be null (then n2 = n1) or both given");
    return NULL;
  }
  uint64_t kw = (uint64_t)k * (uint64_t)width;
  if (check_len(env, fn, "acc", acclen, n1, n2) || check_len(env, fn, "x1", x1len, n1, fan) ||
      (!same && check_len(env, fn, "x2", x2len, n2, fan)))
    return NULL;
  if ((uint64_t)d1len != (uint64_t)n1 * kw || (!same && (uint64_t)d2len != (uint64_t)n2 * kw)) {
    char msg[256];
    snprintf(msg, sizeof msg, "ntk_linalg.structuredShare: d1 has %zu and d2 %zu entries, expected k×n×width = %d×(%d, %d)×%d",
             d1len, d2len, k, n1, n2, width);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return NULL;
  }
  size_t accb = acclen * sizeof(double);
  if (overlaps_bytes(acc, accb, x1, x1len * 4) || overlaps_bytes(acc, accb, x2, x2len * 4) ||
      overlaps_bytes(acc, accb, d1, d1len * 4) || overlaps_bytes(acc, accb, d2, d2len * 4)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "ntk_linalg.structuredShare: acc must not overlap the inputs");
    return NULL;
  }
  size_t nn = (size_t)n1 * (size_t)n2;
  if (nn == 0) return NULL;
  float *g = malloc(nn * sizeof(float)), *s = malloc(nn * sizeof(float));
  double *buf = malloc(sizeof(double) * SHARE_TILE * (SHARE_TILE + 1));
  if (!g || !s || !buf) {
    free(g);
    free(s);
    free(buf);
    napi_throw_range_error(env, NULL, "ntk_linalg.structuredShare: out of memory for the N1×N2 scratch");
    return NULL;
  }
  /* G = X1 X2ᵀ; S = Σ_c D1_c D2_cᵀ (zero when a contraction is empty) */
  pthread_rwlock_rdlock(&count_lock);
  if (fan == 0) memset(g, 0, nn * sizeof(float));
  else if (same) cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, n1, fan, 1.0f, x1, fan, 0.0f, g, n1);
  else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n1, n2, fan, 1.0f, x1, fan, x2, fan, 0.0f, g, n2);
  if (k == 0 || width == 0) memset(s, 0, nn * sizeof(float));
  for (int c = 0; c < k && width > 0; c++) {
    const float *a = d1 + (size_t)c * n1 * width;
    float beta = c == 0 ? 0.0f : 1.0f;
    if (same) cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, n1, width, 1.0f, a, width, beta, s, n1);
    else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n1, n2, width, 1.0f, a, width,
                     d2 + (size_t)c * n2 * width, width, beta, s, n2);
  }
  pthread_rwlock_unlock(&count_lock);
  if (same) share_sym(acc, g, s, n1, gs, gb, scale, buf);
  else
    for (size_t i = 0; i < nn; i++) acc[i] += scale * (gs * (double)g[i] + gb) * (double)s[i];
  free(g);
  free(s);
  free(buf);
  return NULL;
}

/* ------------------------------------------------------------------ module */

NAPI_MODULE_INIT() {
  pthread_once(&sgemm_default_once, sgemm_default);
  napi_property_descriptor props[] = {
      {"dgemm", NULL, js_dgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sgemm", NULL, js_sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setSgemmKernel", NULL, js_set_sgemm_kernel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"twoThreadsHandle", NULL, js_two_threads_handle, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dsyrk", NULL, js_dsyrk, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dsyevd", NULL, js_dsyevd, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dpotrf", NULL, js_dpotrf, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dposv", NULL, js_dposv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"info", NULL, js_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNumThreads", NULL, js_set_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"structuredShare", NULL, js_structured_share, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) {
    throw_last_napi_error(env, "init");
    return NULL;
  }
  return exports;
}
