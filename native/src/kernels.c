/*
 * ntk_kernels: the hot loops of the analytic kernel recursion, float64, in C (no BLAS needed, so this addon
 * builds wherever a C compiler and Node's headers are). Loaded by src/linalg/nativeKernels.ts; the layer modules
 * (src/layers/abrelu.ts, src/layers/stencil.ts) choose these loops and keep their pure-TypeScript twins as the
 * fallback. Every loop is written in the same order as its TypeScript twin, with floating-point contraction off
 * (binding.gyp: -ffp-contract=off), so the conv stencil gives the same bits as TypeScript and the arc-cosine
 * too: its acos is fdlibm's, the one V8's Math.acos runs (see fd_acos below).
 *
 * Exports (all arrays row-major Float64Array / Int32Array, updated in place; nothing allocated for JS):
 *   abreluCross(k, t, k11, k22, nr, nc, S, s2, ab2)
 *       The arc-cosine update of φ(x) = a·min(x, 0) + b·max(x, 0) (s2 = a² + b², ab2 = 2ab) on nr×nc pairs of S
 *       positions each: entry e = (r·nc + c)·S + s has variances k11[r·S + s] and k22[c·S + s];
 *       k[e] ← E[φ(u)φ(v)], t[e] ← t[e]·E[φ'(u)φ'(v)] (t may be null). S = 1 is the flat cross block.
 *   convRuns(k, t, kOut, tOut, n, full, geom, idx, runs, runOff, coef)
 *       conv's offset-mean step over runs (src/layers/stencil.ts convStep): geom = [F, Si, So],
 *       idx = the window table [So][F], runs = the offsets' (q0, p0, len) triples concatenated, runOff[o] their start
 *       (F + 1 entries), coef = [w2, b2, ntkParam, fanIn, biasTerm]; kOut/tOut zero on entry, n·Po entries.
 *   convSeparable(k, t, kOut, tOut, n, full, geom, rowIdx, colIdx, rowRuns, rowOff, colRuns, colOff, coef)
 *       The separable 2-D form (convStepSeparable): geom = [Hi, Wi, Ho, Wo, fh, fw], rowIdx [Ho][fh],
 *       colIdx [Wo][fw], the row and column offsets' runs as above.
 *   adviseHugePages(a) -> boolean
 *       Asks the kernel (Linux madvise MADV_HUGEPAGE) to back the whole pages of Float64Array a's memory with
 *       transparent huge pages when they are first touched; true if the advice was taken, false where there is no
 *       such call or it failed. Values are untouched; it only changes how fast fresh memory is faulted in (numpy
 *       asks the same for its arrays of 4 MiB and more). Meant for large fresh outputs, e.g. over a SharedArrayBuffer.
 *
 *   patchGather(x, out, n, Si, C, idx, F, sum, scale)
 *       im2col over a window table (float32, in place on any views, e.g. of the wasm heap): x [n][Si][C],
 *       idx [So][F] (input position of output q, offset o; -1 = zero padding). sum = false: out[n][So][F][C] =
 *       x[i][idx[q][o]][c] or 0 (pure copies); sum = true: out[n][So][C] = sum over o = 0..F-1 in that order
 *       (padding adds 0.0f), the window sum of avgPool, then times scale[q] when scale (a Float32Array of So,
 *       or null) is given: one float32 rounding, as a separate multiply would do.
 *   patchScatter(d, dx, n, Si, C, idx, F, sum, scale)
 *       The adjoint (col2im): dx[n][Si][C] = 0, then for i, q, o ascending dx[i][idx[q][o]][c] += d[i][q][o][c]
 *       (sum = true: d[i][q][c], times scale[q] first when given, the scaled window sum's gradient); padding (-1)
 *       entries dropped.
 *   reluGrad(dy, x, out)
 *       relu's gradient (float32, any views): out[i] = dy[i]·step(x[i]) with tfjs-wasm's step (NaN for NaN, 1 for
 *       x > 0, else 0), one float32 multiply: the bits of tfjs's Step, Cast and Mul kernels in one pass.
 *   scale(x, s, out)
 *       out[i] = x[i]·s, one float32 multiply each (s a float32 value): a tensor times a scalar, in halves on two
 *       threads when useTwoThreads gave it the helper.
 *   batchNormTrain(x, runMean, runVar, y, invStd, newMean, newVar, M, C, epsilon, momentum)
 *       Batch normalization in training mode over x [M][C] (float32, any views): per channel c the mean μ and the
 *       biased variance σ² of the M values, summed in double (two passes: μ first, then Σ(x − μ)²), y = (x − μ)/√(σ² + ε)
 *       rounded once from double, invStd[c] = 1/√(σ² + ε); running statistics newMean = runMean·m + μ·(1 − m) and the
 *       same for the variance, each product and the sum rounded to float32 (the tfjs ops' order).
 *   batchNormTrainGrad(dy, y, invStd, dx, M, C)
 *       Its gradient for the input: dx = invStd·(dy − mean(dy) − y·mean(dy·y)), the channel means over the M rows in
 *       double, each dx rounded once (y is the normalized output, which carries x − μ).
 *
 * Context-aware (NAPI_MODULE_INIT), no global state: worker threads may load and call it at once. Scratch memory
 * is malloc'd per call.
 */
/* madvise and MADV_HUGEPAGE (hidden by -std=c11 otherwise) */
#define _DEFAULT_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "twoThreads.h"
#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

/* ------------------------------------------------------------------ helpers */

static void throw_msg(napi_env env, const char *fn, const char *what) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  char msg[256];
  snprintf(msg, sizeof msg, "ntk_kernels.%s: %s", fn, what);
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
}

/* A typed array of the given type (null/undefined allowed when `optional`: *data = NULL, *len = 0). */
static int get_array(napi_env env, const char *fn, napi_value v, napi_typedarray_type want, bool optional,
                     void **data, size_t *len) {
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok) return throw_msg(env, fn, "napi_typeof failed"), -1;
  if (optional && (vt == napi_null || vt == napi_undefined)) {
    *data = NULL;
    *len = 0;
    return 0;
  }
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok || type != want) {
    throw_msg(env, fn, want == napi_float64_array ? "expected a Float64Array" : "expected an Int32Array");
    return -1;
  }
  if (length > 0 && ptr == NULL) return throw_msg(env, fn, "array is detached"), -1;
  *data = ptr;
  *len = length;
  return 0;
}

static int get_f64(napi_env env, const char *fn, napi_value v, bool optional, double **d, size_t *len) {
  void *p;
  int r = get_array(env, fn, v, napi_float64_array, optional, &p, len);
  *d = (double *)p;
  return r;
}

static int get_i32(napi_env env, const char *fn, napi_value v, int32_t **d, size_t *len) {
  void *p;
  int r = get_array(env, fn, v, napi_int32_array, false, &p, len);
  *d = (int32_t *)p;
  return r;
}

/* A non-negative integral number (≤ 2^40, which bounds every product below in 64 bits). */
static int get_count(napi_env env, const char *fn, napi_value v, size_t *out) {
  double d = 0;
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok || vt != napi_number) return throw_msg(env, fn, "expected a number"), -1;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0) || d > 1099511627776.0 || d != floor(d)) return throw_msg(env, fn, "expected a count (integer ≥ 0)"), -1;
  *out = (size_t)d;
  return 0;
}

static int get_num(napi_env env, const char *fn, napi_value v, double *out) {
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok || vt != napi_number) return throw_msg(env, fn, "expected a number"), -1;
  napi_get_value_double(env, v, out);
  return 0;
}

static int get_bool(napi_env env, const char *fn, napi_value v, bool *out) {
  napi_valuetype vt;
  if (napi_typeof(env, v, &vt) != napi_ok || vt != napi_boolean) return throw_msg(env, fn, "expected a boolean"), -1;
  napi_get_value_bool(env, v, out);
  return 0;
}

static int get_argv(napi_env env, napi_callback_info info, const char *fn, size_t want, napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return throw_msg(env, fn, "napi_get_cb_info failed"), -1;
  if (argc < want) return throw_msg(env, fn, "too few arguments"), -1;
  return 0;
}

static napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

/* ------------------------------------------------------- arc-cosine (abrelu) */

/*
 * acos: fdlibm's __ieee754_acos (FreeBSD msun e_acos.c), the algorithm V8's Math.acos runs (src/base/ieee754.cc),
 * so the native arc-cosine gives the same bits as the TypeScript loop; written without branches (all three ranges
 * computed, then selected) so that gcc vectorises the loops that call it. glibc's acos was measured slower than
 * V8's here and differs from it in the last bit (src/layers/abrelu.ts's TypeScript twin uses Math.acos).
 *
 * The fdlibm notice, as its licence asks:
 * ====================================================
 * Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *
 * Developed at SunSoft, a Sun Microsystems, Inc. business.
 * Permission to use, copy, modify, and distribute this
 * software is freely granted, provided that this notice
 * is preserved.
 * ====================================================
 */
static const double
    one = 1.00000000000000000000e+00,
    pi = 3.14159265358979311600e+00,      /* 0x400921FB, 0x54442D18 */
    pio2_hi = 1.57079632679489655800e+00, /* 0x3FF921FB, 0x54442D18 */
    pio2_lo = 6.12323399573676603587e-17, /* 0x3C91A626, 0x33145C07 */
    pS0 = 1.66666666666666657415e-01,     /* 0x3FC55555, 0x55555555 */
    pS1 = -3.25565818622400915405e-01,    /* 0xBFD4D612, 0x03EB6F7D */
    pS2 = 2.01212532134862925881e-01,     /* 0x3FC9C155, 0x0E884455 */
    pS3 = -4.00555345006794114027e-02,    /* 0xBFA48228, 0xB5688F3B */
    pS4 = 7.91534994289814532176e-04,     /* 0x3F49EFE0, 0x7501B288 */
    pS5 = 3.47933107596021167570e-05,     /* 0x3F023DE1, 0x0DFDF709 */
    qS1 = -2.40339491173441421878e+00,    /* 0xC0033A27, 0x1C8A2D4B */
    qS2 = 2.02094576023350569471e+00,     /* 0x40002AE5, 0x9C598AC8 */
    qS3 = -6.88283971605453293030e-01,    /* 0xBFE6066C, 0x1B8D0159 */
    qS4 = 7.70381505559019352791e-02;     /* 0x3FB3B8C5, 0xB12E9282 */

/* fdlibm's "high word ≤ 0x3c600000" test (|x| < 2^-57) as a comparison: |x| < 2^-57·(1 + 2^-20). */
static const double tiny_acos = 0x1.00001p-57;

static inline double zero_low_word(double v) {
  uint64_t b;
  memcpy(&b, &v, sizeof b);
  b &= 0xFFFFFFFF00000000ULL;
  memcpy(&v, &b, sizeof v);
  return v;
}

static inline double fd_acos(double x) {
  const double ax = fabs(x);
  const bool small = ax < 0.5;
  /* |x| < 0.5: z = x²; x < −0.5: z = (1 + x)/2 = (1 − |x|)/2 (a − (−b) is a + b exactly); x > 0.5: (1 − x)/2 */
  const double z = small ? x * x : (one - ax) * 0.5;
  const double p = z * (pS0 + z * (pS1 + z * (pS2 + z * (pS3 + z * (pS4 + z * pS5)))));
  const double q = one + z * (qS1 + z * (qS2 + z * (qS3 + z * qS4)));
  const double r = p / q;
  const double s = sqrt(z);
  const double rSmall = pio2_hi - (x - (pio2_lo - x * r));
  const double rNeg = pi - 2.0 * (s + (r * s - pio2_lo));
  const double df = zero_low_word(s);
  const double c = (z - df * df) / (s + df);
  const double rPos = 2.0 * (df + (r * s + c));
  double v = small ? (ax < tiny_acos ? pio2_hi + pio2_lo : rSmall) : (x < 0 ? rNeg : rPos);
  /* |x| = 1: fdlibm returns 0 and π + 2·pio2_lo (what rNeg gives); rPos would be 0/0. NaN stays NaN (rPos). */
  v = x == 1 ? 0.0 : v;
  return v;
}

static const double PI = 3.14159265358979323846;
static const double TWO_PI = 6.28318530717958647692;

/*
 * One entry of abrelu.ts's cross loop, the same operations in the same order (Math.max(0, x) keeps NaN: so does
 * `x < 0 ? 0 : x`). Returns K' and writes the derivative factor to *dk.
 */
static inline double abrelu_entry(double kin, double d1, double d2, double s2, double ab2, double *dk) {
  const double norm = sqrt(d1 * d2);
  double cs = norm > 0 ? kin / norm : 0;
  cs = cs > 1 ? 1 : cs;
  cs = cs < -1 ? -1 : cs;
  const double theta = fd_acos(cs);
  double s = one - cs * cs;
  s = s < 0 ? 0 : s;
  const double sn = sqrt(s);
  const double j = norm * (sn + (PI - theta) * cs);
  const double jBar = norm * (sn - theta * cs);
  *dk = (s2 * (PI - theta) + ab2 * theta) / TWO_PI;
  return (s2 * j - ab2 * jBar) / TWO_PI;
}

/* Multiversioned (AVX-512, AVX2, baseline) where the toolchain supports it: wider vectors, the same bits. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__)
#define NTK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NTK_CLONES
#endif

/* n entries: variances d1v[j] (or the scalar d1 when d1v is NULL) and d2v[j]. */
NTK_CLONES static void abrelu_run(double *restrict k, double *restrict t, double d1, const double *restrict d1v,
                                  const double *restrict d2v, size_t n, double s2, double ab2) {
  double dk;
  if (d1v && t) {
    for (size_t j = 0; j < n; j++) {
      k[j] = abrelu_entry(k[j], d1v[j], d2v[j], s2, ab2, &dk);
      t[j] *= dk;
    }
  } else if (d1v) {
    for (size_t j = 0; j < n; j++) k[j] = abrelu_entry(k[j], d1v[j], d2v[j], s2, ab2, &dk);
  } else if (t) {
    for (size_t j = 0; j < n; j++) {
      k[j] = abrelu_entry(k[j], d1, d2v[j], s2, ab2, &dk);
      t[j] *= dk;
    }
  } else {
    for (size_t j = 0; j < n; j++) k[j] = abrelu_entry(k[j], d1, d2v[j], s2, ab2, &dk);
  }
}

static napi_value js_abrelu_cross(napi_env env, napi_callback_info info) {
  const char *fn = "abreluCross";
  napi_value argv[9];
  double *k, *t, *k11, *k22, s2, ab2;
  size_t lk, lt, l1, l2, nr, nc, S;
  if (get_argv(env, info, fn, 9, argv) || get_f64(env, fn, argv[0], false, &k, &lk) ||
      get_f64(env, fn, argv[1], true, &t, &lt) || get_f64(env, fn, argv[2], false, &k11, &l1) ||
      get_f64(env, fn, argv[3], false, &k22, &l2) || get_count(env, fn, argv[4], &nr) ||
      get_count(env, fn, argv[5], &nc) || get_count(env, fn, argv[6], &S) || get_num(env, fn, argv[7], &s2) ||
      get_num(env, fn, argv[8], &ab2))
    return NULL;
  if (lk < nr * nc * S || (t && lt < nr * nc * S) || l1 < nr * S || l2 < nc * S) {
    throw_msg(env, fn, "arrays shorter than nr·nc·S (k, t), nr·S (k11), nc·S (k22)");
    return NULL;
  }
  for (size_t r = 0; r < nr; r++) {
    if (S == 1) {
      /* a flat cross block: one row of nc pairs against the row point's variance */
      abrelu_run(k + r * nc, t ? t + r * nc : NULL, k11[r], NULL, k22, nc, s2, ab2);
      continue;
    }
    for (size_t c = 0; c < nc; c++) {
      const size_t at = (r * nc + c) * S;
      abrelu_run(k + at, t ? t + at : NULL, 0, k11 + r * S, k22 + c * S, S, s2, ab2);
    }
  }
  return undefined(env);
}

/* ---------------------------------------------------------- conv stencil */

/* Coefficients of conv's step (stencil.ts ConvCoefficients). */
typedef struct {
  double w2, b2, fanIn, biasTerm;
  bool ntkParam;
} coef_t;

static int get_coef(napi_env env, const char *fn, napi_value v, coef_t *c) {
  double *d;
  size_t len;
  if (get_f64(env, fn, v, false, &d, &len)) return -1;
  if (len != 5) return throw_msg(env, fn, "coef must be [w2, b2, ntkParam, fanIn, biasTerm]"), -1;
  c->w2 = d[0];
  c->b2 = d[1];
  c->ntkParam = d[2] != 0;
  c->fanIn = d[3];
  c->biasTerm = d[4];
  return 0;
}

/* stencil.ts finishRow. */
static void finish_row(double *restrict kOut, double *restrict tOut, size_t at, size_t len, double invF, const coef_t *c) {
  const double w2 = c->w2, b2 = c->b2, fanIn = c->fanIn, biasTerm = c->biasTerm;
  if (!tOut) {
    for (size_t e = at; e < at + len; e++) kOut[e] = w2 * (kOut[e] * invF) + b2;
  } else if (c->ntkParam) {
    for (size_t e = at; e < at + len; e++) {
      const double kv = w2 * (kOut[e] * invF) + b2;
      kOut[e] = kv;
      tOut[e] = w2 * (tOut[e] * invF) + kv;
    }
  } else {
    for (size_t e = at; e < at + len; e++) {
      const double m = kOut[e] * invF;
      kOut[e] = w2 * m + b2;
      tOut[e] = w2 * (tOut[e] * invF) + fanIn * m + biasTerm;
    }
  }
}

/* out[ao + q0 + j] += a[ai + p0 + j] over runs [r0, r1) of triples, each run's length scaled by W (addRuns: W = 1, q0/p0 also scaled). */
static inline void add_runs(double *restrict kOut, double *restrict tOut, size_t ao, const double *restrict k,
                            const double *restrict t, size_t ai, const int32_t *runs, size_t r0, size_t r1, size_t W) {
  for (size_t x = r0; x < r1; x += 3) {
    const size_t q = ao + (size_t)runs[x] * W;
    const size_t p = ai + (size_t)runs[x + 1] * W;
    const size_t len = (size_t)runs[x + 2] * W;
    double *restrict ko = kOut + q;
    const double *restrict ki = k + p;
    for (size_t j = 0; j < len; j++) ko[j] += ki[j];
    if (tOut && t) {
      double *restrict to = tOut + q;
      const double *restrict ti = t + p;
      for (size_t j = 0; j < len; j++) to[j] += ti[j];
    }
  }
}

/* Checks that every run reads and writes inside [0, in) and [0, out) positions (scaled by W). */
static int check_runs(const int32_t *runs, const int32_t *off, size_t F, size_t nruns, size_t in, size_t out) {
  if (off[0] != 0 || (size_t)off[F] != nruns || nruns % 3 != 0) return -1;
  for (size_t o = 0; o < F; o++) {
    if (off[o] > off[o + 1] || (off[o + 1] - off[o]) % 3 != 0) return -1;
  }
  for (size_t x = 0; x < nruns; x += 3) {
    const int64_t q = runs[x], p = runs[x + 1], len = runs[x + 2];
    if (q < 0 || p < 0 || len < 0 || (uint64_t)(q + len) > out || (uint64_t)(p + len) > in) return -1;
  }
  return 0;
}

static int check_idx(const int32_t *idx, size_t n, size_t in) {
  for (size_t i = 0; i < n; i++) {
    if (idx[i] < -1 || (idx[i] >= 0 && (size_t)idx[i] >= in)) return -1;
  }
  return 0;
}

/* The loops of convRuns (arguments checked by the caller). */
NTK_CLONES static void conv_runs_core(const double *k, const double *t, double *kOut, double *tOut, size_t n, bool full,
                                      size_t F, size_t Si, size_t So, size_t Pi, size_t Po, const int32_t *idx,
                                      const int32_t *runs, const int32_t *off, const coef_t *cp) {
  const coef_t c = *cp;
  const double invF = 1.0 / (double)F;
  for (size_t i = 0; i < n; i++) {
    const size_t bi = i * Pi, bo = i * Po;
    if (!full) {
      for (size_t o = 0; o < F; o++) add_runs(kOut, tOut, bo, k, t, bi, runs, off[o], off[o + 1], 1);
      finish_row(kOut, tOut, bo, So, invF, &c);
      continue;
    }
    for (size_t q1 = 0; q1 < So; q1++) {
      const size_t out = bo + q1 * So;
      for (size_t o = 0; o < F; o++) {
        const int32_t p1 = idx[q1 * F + o];
        if (p1 >= 0) add_runs(kOut, tOut, out, k, t, bi + (size_t)p1 * Si, runs, off[o], off[o + 1], 1);
      }
      finish_row(kOut, tOut, out, So, invF, &c);
    }
  }
}

static napi_value js_conv_runs(napi_env env, napi_callback_info info) {
  const char *fn = "convRuns";
  napi_value argv[11];
  double *k, *t, *kOut, *tOut;
  int32_t *geom, *idx, *runs, *off;
  size_t lk, lt, lko, lto, n, lg, li, lr, lo;
  bool full;
  coef_t c;
  if (get_argv(env, info, fn, 11, argv) || get_f64(env, fn, argv[0], false, &k, &lk) ||
      get_f64(env, fn, argv[1], true, &t, &lt) || get_f64(env, fn, argv[2], false, &kOut, &lko) ||
      get_f64(env, fn, argv[3], true, &tOut, &lto) || get_count(env, fn, argv[4], &n) ||
      get_bool(env, fn, argv[5], &full) || get_i32(env, fn, argv[6], &geom, &lg) ||
      get_i32(env, fn, argv[7], &idx, &li) || get_i32(env, fn, argv[8], &runs, &lr) ||
      get_i32(env, fn, argv[9], &off, &lo) || get_coef(env, fn, argv[10], &c))
    return NULL;
  if (lg != 3 || geom[0] < 1 || geom[1] < 1 || geom[2] < 1) return throw_msg(env, fn, "geom must be [F, Si, So]"), NULL;
  const size_t F = (size_t)geom[0], Si = (size_t)geom[1], So = (size_t)geom[2];
  const size_t Pi = full ? Si * Si : Si, Po = full ? So * So : So;
  if ((t == NULL) != (tOut == NULL)) return throw_msg(env, fn, "t and tOut must both be given or both null"), NULL;
  if (lk < n * Pi || (t && lt < n * Pi) || lko < n * Po || (tOut && lto < n * Po) || li != So * F || lo != F + 1 ||
      check_runs(runs, off, F, lr, Si, So) || check_idx(idx, li, Si))
    return throw_msg(env, fn, "inconsistent sizes, window table or runs"), NULL;
  conv_runs_core(k, t, kOut, tOut, n, full, F, Si, So, Pi, Po, idx, runs, off, &c);
  return undefined(env);
}

/* The loops of convSeparable (arguments checked, scratch allocated by the caller: kMid/tMid Pm entries, slotRow fh). */
NTK_CLONES static void conv_separable_core(const double *k, const double *t, double *kOut, double *tOut, size_t n,
                                           bool full, size_t Hi, size_t Wi, size_t Ho, size_t Wo, size_t fh, size_t fw,
                                           const int32_t *rowIdx, const int32_t *colIdx, const int32_t *rowRuns,
                                           const int32_t *rowOff, const int32_t *colRuns, const int32_t *colOff,
                                           const coef_t *cp, double *kMid, double *tMid, int64_t *slotRow) {
  const coef_t c = *cp;
  const size_t Si = Hi * Wi, So = Ho * Wo;
  const size_t Pi = full ? Si * Si : Si, Po = full ? So * So : So;
  const double invF = 1.0 / (double)(fh * fw);
  const size_t midRow = Hi * Wo;
  const size_t slab = Wo * midRow;
  const size_t Pm = full ? fh * slab : Hi * Wo;
  for (size_t i = 0; i < n; i++) {
    const size_t bi = i * Pi, bo = i * Po;
    if (!full) {
      memset(kMid, 0, Pm * sizeof(double));
      if (tMid) memset(tMid, 0, Pm * sizeof(double));
      for (size_t a = 0; a < Hi; a++)
        for (size_t o = 0; o < fw; o++) add_runs(kMid, tMid, a * Wo, k, t, bi + a * Wi, colRuns, colOff[o], colOff[o + 1], 1);
      for (size_t o = 0; o < fh; o++) add_runs(kOut, tOut, bo, kMid, tMid, 0, rowRuns, rowOff[o], rowOff[o + 1], Wo);
      finish_row(kOut, tOut, bo, So, invF, &c);
      continue;
    }
    for (size_t s = 0; s < fh; s++) slotRow[s] = -1;
    for (size_t a1 = 0; a1 < Ho; a1++) {
      for (size_t o = 0; o < fh; o++) {
        const int32_t p1 = rowIdx[a1 * fh + o];
        if (p1 < 0) continue;
        const size_t slot = (size_t)p1 % fh;
        const size_t base = slot * slab;
        if (slotRow[slot] != p1) {
          slotRow[slot] = p1;
          memset(kMid + base, 0, slab * sizeof(double));
          if (tMid) memset(tMid + base, 0, slab * sizeof(double));
          for (size_t b1 = 0; b1 < Wo; b1++) {
            const size_t mid = base + b1 * midRow;
            for (size_t oc = 0; oc < fw; oc++) {
              const int32_t q1 = colIdx[b1 * fw + oc];
              if (q1 < 0) continue;
              const size_t src = bi + ((size_t)p1 * Wi + (size_t)q1) * Si;
              for (size_t a2 = 0; a2 < Hi; a2++)
                add_runs(kMid, tMid, mid + a2 * Wo, k, t, src + a2 * Wi, colRuns, colOff[oc], colOff[oc + 1], 1);
            }
          }
        }
        for (size_t b1 = 0; b1 < Wo; b1++)
          add_runs(kOut, tOut, bo + (a1 * Wo + b1) * So, kMid, tMid, base + b1 * midRow, rowRuns, rowOff[o], rowOff[o + 1], Wo);
      }
      finish_row(kOut, tOut, bo + a1 * Wo * So, Wo * So, invF, &c);
    }
  }
}

static napi_value js_conv_separable(napi_env env, napi_callback_info info) {
  const char *fn = "convSeparable";
  napi_value argv[14];
  double *k, *t, *kOut, *tOut;
  int32_t *geom, *rowIdx, *colIdx, *rowRuns, *rowOff, *colRuns, *colOff;
  size_t lk, lt, lko, lto, n, lg, lri, lci, lrr, lro, lcr, lco;
  bool full;
  coef_t c;
  if (get_argv(env, info, fn, 14, argv) || get_f64(env, fn, argv[0], false, &k, &lk) ||
      get_f64(env, fn, argv[1], true, &t, &lt) || get_f64(env, fn, argv[2], false, &kOut, &lko) ||
      get_f64(env, fn, argv[3], true, &tOut, &lto) || get_count(env, fn, argv[4], &n) ||
      get_bool(env, fn, argv[5], &full) || get_i32(env, fn, argv[6], &geom, &lg) ||
      get_i32(env, fn, argv[7], &rowIdx, &lri) || get_i32(env, fn, argv[8], &colIdx, &lci) ||
      get_i32(env, fn, argv[9], &rowRuns, &lrr) || get_i32(env, fn, argv[10], &rowOff, &lro) ||
      get_i32(env, fn, argv[11], &colRuns, &lcr) || get_i32(env, fn, argv[12], &colOff, &lco) ||
      get_coef(env, fn, argv[13], &c))
    return NULL;
  if (lg != 6) return throw_msg(env, fn, "geom must be [Hi, Wi, Ho, Wo, fh, fw]"), NULL;
  for (int g = 0; g < 6; g++)
    if (geom[g] < 1) return throw_msg(env, fn, "geom entries must be ≥ 1"), NULL;
  const size_t Hi = (size_t)geom[0], Wi = (size_t)geom[1], Ho = (size_t)geom[2], Wo = (size_t)geom[3];
  const size_t fh = (size_t)geom[4], fw = (size_t)geom[5];
  const size_t Si = Hi * Wi, So = Ho * Wo;
  const size_t Pi = full ? Si * Si : Si, Po = full ? So * So : So;
  if ((t == NULL) != (tOut == NULL)) return throw_msg(env, fn, "t and tOut must both be given or both null"), NULL;
  if (lk < n * Pi || (t && lt < n * Pi) || lko < n * Po || (tOut && lto < n * Po) || lri != Ho * fh ||
      lci != Wo * fw || lro != fh + 1 || lco != fw + 1 || check_runs(rowRuns, rowOff, fh, lrr, Hi, Ho) ||
      check_runs(colRuns, colOff, fw, lcr, Wi, Wo) || check_idx(rowIdx, lri, Hi) || check_idx(colIdx, lci, Wi))
    return throw_msg(env, fn, "inconsistent sizes, window tables or runs"), NULL;
  const size_t midRow = Hi * Wo;
  const size_t slab = Wo * midRow;
  const size_t Pm = full ? fh * slab : Hi * Wo;
  double *kMid = calloc(Pm ? Pm : 1, sizeof(double));
  double *tMid = t ? calloc(Pm ? Pm : 1, sizeof(double)) : NULL;
  int64_t *slotRow = malloc(fh * sizeof(int64_t));
  if (!kMid || (t && !tMid) || !slotRow) {
    free(kMid);
    free(tMid);
    free(slotRow);
    napi_throw_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "ntk_kernels.convSeparable: out of memory");
    return NULL;
  }
  conv_separable_core(k, t, kOut, tOut, n, full, Hi, Wi, Ho, Wo, fh, fw, rowIdx, colIdx, rowRuns, rowOff, colRuns, colOff, &c, kMid, tMid, slotRow);
  free(kMid);
  free(tMid);
  free(slotRow);
  return undefined(env);
}

/* ------------------------------------------------------------ huge pages */

static napi_value js_advise_huge_pages(napi_env env, napi_callback_info info) {
  const char *fn = "adviseHugePages";
  napi_value argv[1];
  double *a;
  size_t len;
  if (get_argv(env, info, fn, 1, argv) || get_f64(env, fn, argv[0], false, &a, &len)) return NULL;
  bool done = false;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  const long page = sysconf(_SC_PAGESIZE);
  if (page > 0 && len > 0) {
    const uintptr_t p = (uintptr_t)page;
    const uintptr_t lo = ((uintptr_t)a + p - 1) / p * p;
    const uintptr_t hi = ((uintptr_t)a + len * sizeof(double)) / p * p;
    if (hi > lo) done = madvise((void *)lo, hi - lo, MADV_HUGEPAGE) == 0;
  }
#endif
  napi_value out;
  napi_get_boolean(env, done, &out);
  return out;
}

/* ------------------------------------------------------- im2col / col2im (float32) */

static int get_f32(napi_env env, const char *fn, napi_value v, float **d, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t length = 0;
  void *ptr = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &length, &ptr, NULL, NULL) != napi_ok || type != napi_float32_array)
    return throw_msg(env, fn, "expected a Float32Array"), -1;
  if (length > 0 && ptr == NULL) return throw_msg(env, fn, "array is detached"), -1;
  *d = (float *)ptr;
  *len = length;
  return 0;
}

/* ntk_linalg's helper thread (useTwoThreads), or NULL: the float32 loops below then run both halves here, in order.
 * The halves split work whose results do not depend on the split (examples, rows, channels), so the bits are the
 * same either way. Set from the main thread; worker threads of a run pool read it, and the helper refuses there. */
static const ntk_two_threads_t *_Atomic two = NULL;

/* Below this many floats a job stays on one thread: posting and joining cost a few microseconds. */
#define TWO_THREADS_MIN 32768

/* Runs fn(ctx, 0) and fn(ctx, 1): at once on two threads when the helper is there and the job is large enough. */
static void run_halves(ntk_part_fn fn, void *ctx, size_t work) {
  const ntk_two_threads_t *t = atomic_load(&two);
  if (work >= TWO_THREADS_MIN && t && t->run(fn, ctx)) return;
  fn(ctx, 0);
  fn(ctx, 1);
}

static napi_value js_use_two_threads(napi_env env, napi_callback_info info) {
  const char *fn = "useTwoThreads";
  napi_value argv[1];
  napi_valuetype vt;
  if (get_argv(env, info, fn, 1, argv)) return NULL;
  if (napi_typeof(env, argv[0], &vt) != napi_ok) return throw_msg(env, fn, "napi_typeof failed"), NULL;
  if (vt == napi_null || vt == napi_undefined) {
    atomic_store(&two, NULL);
    return undefined(env);
  }
  void *p = NULL;
  if (vt != napi_external || napi_get_value_external(env, argv[0], &p) != napi_ok || !p)
    return throw_msg(env, fn, "expected ntk_linalg.twoThreadsHandle() or null"), NULL;
  const ntk_two_threads_t *t = p;
  if (t->version != NTK_TWO_THREADS_VERSION) return throw_msg(env, fn, "the linalg addon's helper has another version (rebuild both)"), NULL;
  atomic_store(&two, t);
  return undefined(env);
}

/* Reads (a, b, n, Si, C, idx, F, sum) and checks the sizes: a holds n·So·(sum ? 1 : F)·C (patches) or n·Si·C
 * (image) floats as `aIsImage` says, b the other; idx has So·F entries in [-1, Si). Returns 0 or -1 after throwing. */
typedef struct {
  float *a, *b;
  size_t n, Si, C, So, F;
  const int32_t *idx;
  bool sum;
  const float *scale; /* NULL or So entries (sum only) */
} patch_args_t;

static int get_patch_args(napi_env env, napi_callback_info info, const char *fn, bool aIsImage, patch_args_t *p) {
  napi_value argv[9];
  size_t la, lb, li, ls = 0;
  int32_t *idx;
  napi_valuetype st;
  if (get_argv(env, info, fn, 9, argv) || get_f32(env, fn, argv[0], &p->a, &la) || get_f32(env, fn, argv[1], &p->b, &lb) ||
      get_count(env, fn, argv[2], &p->n) || get_count(env, fn, argv[3], &p->Si) || get_count(env, fn, argv[4], &p->C) ||
      get_i32(env, fn, argv[5], &idx, &li) || get_count(env, fn, argv[6], &p->F) || get_bool(env, fn, argv[7], &p->sum))
    return -1;
  if (p->F < 1 || li % p->F != 0) return throw_msg(env, fn, "idx must hold So·F entries"), -1;
  p->So = li / p->F;
  p->scale = NULL;
  if (napi_typeof(env, argv[8], &st) != napi_ok) return throw_msg(env, fn, "napi_typeof failed"), -1;
  if (st != napi_null && st != napi_undefined) {
    float *sc;
    if (get_f32(env, fn, argv[8], &sc, &ls)) return -1;
    if (!p->sum || ls != p->So) return throw_msg(env, fn, "scale must be null, or hold So entries with sum"), -1;
    p->scale = sc;
  }
  p->idx = idx;
  for (size_t e = 0; e < li; e++)
    if (idx[e] < -1 || (idx[e] >= 0 && (size_t)idx[e] >= p->Si)) return throw_msg(env, fn, "idx entry out of range"), -1;
  const size_t image = p->n * p->Si * p->C, patches = p->n * p->So * (p->sum ? 1 : p->F) * p->C;
  if (la < (aIsImage ? image : patches) || lb < (aIsImage ? patches : image)) return throw_msg(env, fn, "arrays too short"), -1;
  return 0;
}

/* Examples [i0, i1) of a patch op: half of them per thread. */
typedef struct {
  patch_args_t p;
  size_t half;
} patch_job_t;

static void patch_range(const patch_job_t *j, int part, size_t *i0, size_t *i1) {
  *i0 = part == 0 ? 0 : j->half;
  *i1 = part == 0 ? j->half : j->p.n;
}

/* C floats from src to dst (zeros when src is NULL): the common channel counts as fixed-size copies, which the
 * compiler inlines; a library call per patch entry of 8–16 floats cost more than the copy (the WRN's first stage). */
static inline void copy_channels(float *dst, const float *src, size_t C) {
#define COPY_CASE(K)                                                  \
  case K:                                                             \
    if (src) memcpy(dst, src, K * sizeof(float));                     \
    else memset(dst, 0, K * sizeof(float));                           \
    return;
  switch (C) {
    COPY_CASE(2)
    COPY_CASE(3)
    COPY_CASE(4)
    COPY_CASE(8)
    COPY_CASE(16)
    COPY_CASE(32)
    COPY_CASE(64)
    COPY_CASE(128)
    default:
      if (src) memcpy(dst, src, C * sizeof(float));
      else memset(dst, 0, C * sizeof(float));
  }
#undef COPY_CASE
}

/* xs[c] += ds[c] (· m when scale) for c < C, in that order: the same sums as the loop for any C, with the common
 * channel counts as constant trip counts (unrolled, vectorised). -ffp-contract=off: the product rounds first. */
static inline void add_channels(float *xs, const float *ds, size_t C, const float *scale, float m) {
#define ADD_CASE(K)                                                   \
  case K:                                                             \
    if (scale)                                                        \
      for (size_t c = 0; c < K; c++) xs[c] += ds[c] * m;              \
    else                                                              \
      for (size_t c = 0; c < K; c++) xs[c] += ds[c];                  \
    return;
  switch (C) {
    ADD_CASE(8)
    ADD_CASE(16)
    ADD_CASE(32)
    ADD_CASE(64)
    default:
      if (scale)
        for (size_t c = 0; c < C; c++) xs[c] += ds[c] * m;
      else
        for (size_t c = 0; c < C; c++) xs[c] += ds[c];
  }
#undef ADD_CASE
}

static void gather_part(void *ctx, int part) {
  const patch_job_t *j = ctx;
  const patch_args_t *p = &j->p;
  const float *x = p->a;
  float *out = p->b;
  const size_t C = p->C, F = p->F, So = p->So, Si = p->Si;
  size_t i0, i1;
  patch_range(j, part, &i0, &i1);
  for (size_t i = i0; i < i1; i++) {
    const float *xi = x + i * Si * C;
    if (!p->sum) {
      float *oi = out + i * So * F * C;
      if (C == 1) {
        /* one channel (a first conv on grey images): a call to memcpy per float cost 4× the copy itself */
        for (size_t e = 0; e < So * F; e++) {
          const int32_t s = p->idx[e];
          oi[e] = s < 0 ? 0.0f : xi[s];
        }
      } else {
        for (size_t e = 0; e < So * F; e++) {
          const int32_t s = p->idx[e];
          copy_channels(oi + e * C, s < 0 ? NULL : xi + (size_t)s * C, C);
        }
      }
    } else {
      float *oi = out + i * So * C;
      for (size_t q = 0; q < So; q++) {
        float *o = oi + q * C;
        for (size_t c = 0; c < C; c++) o[c] = 0.0f;
        for (size_t f = 0; f < F; f++) {
          const int32_t s = p->idx[q * F + f];
          if (s < 0) {
            for (size_t c = 0; c < C; c++) o[c] += 0.0f; /* padding adds zeros, as the sum of slices does */
          } else {
            const float *xs = xi + (size_t)s * C;
            for (size_t c = 0; c < C; c++) o[c] += xs[c];
          }
        }
        if (p->scale) {
          const float m = p->scale[q];
          for (size_t c = 0; c < C; c++) o[c] = o[c] * m;
        }
      }
    }
  }
}

static napi_value js_patch_gather(napi_env env, napi_callback_info info) {
  patch_job_t j;
  if (get_patch_args(env, info, "patchGather", true, &j.p)) return NULL;
  j.half = j.p.n / 2;
  run_halves(gather_part, &j, j.p.n * j.p.So * (j.p.sum ? 1 : j.p.F) * j.p.C);
  return undefined(env);
}

static void scatter_part(void *ctx, int part) {
  const patch_job_t *j = ctx;
  const patch_args_t *p = &j->p;
  const float *d = p->a;
  float *dx = p->b;
  const size_t C = p->C, F = p->F, So = p->So, Si = p->Si;
  size_t i0, i1;
  patch_range(j, part, &i0, &i1);
  memset(dx + i0 * Si * C, 0, (i1 - i0) * Si * C * sizeof(float));
  for (size_t i = i0; i < i1; i++) {
    float *xi = dx + i * Si * C;
    for (size_t q = 0; q < So; q++) {
      for (size_t f = 0; f < F; f++) {
        const int32_t s = p->idx[q * F + f];
        if (s < 0) continue;
        const float *ds = p->sum ? d + (i * So + q) * C : d + ((i * So + q) * F + f) * C;
        add_channels(xi + (size_t)s * C, ds, C, p->scale, p->scale ? p->scale[q] : 0.0f);
      }
    }
  }
}

static napi_value js_patch_scatter(napi_env env, napi_callback_info info) {
  patch_job_t j;
  if (get_patch_args(env, info, "patchScatter", false, &j.p)) return NULL;
  j.half = j.p.n / 2;
  run_halves(scatter_part, &j, j.p.n * j.p.So * (j.p.sum ? 1 : j.p.F) * j.p.C);
  return undefined(env);
}

/* ------------------------------------------------------- relu's gradient (float32) */

typedef struct {
  const float *dy, *x;
  float *out;
  size_t len;
} relu_job_t;

static void relu_grad_part(void *ctx, int part) {
  const relu_job_t *j = ctx;
  const size_t half = j->len / 2, i0 = part == 0 ? 0 : half, i1 = part == 0 ? half : j->len;
  /* dy · step(x), step as tfjs-wasm's Step kernel: NaN for NaN, 1 for x > 0, else 0; then one float32 multiply,
   * as its Mul kernel does (dy·0 keeps the sign of dy's zero product: −0 for negative dy) */
  for (size_t i = i0; i < i1; i++) {
    const float v = j->x[i];
    const float s = v != v ? v : (v > 0.0f ? 1.0f : 0.0f);
    j->out[i] = j->dy[i] * s;
  }
}

static napi_value js_relu_grad(napi_env env, napi_callback_info info) {
  const char *fn = "reluGrad";
  napi_value argv[3];
  float *dy, *x, *out;
  size_t ld, lx, lo;
  if (get_argv(env, info, fn, 3, argv) || get_f32(env, fn, argv[0], &dy, &ld) || get_f32(env, fn, argv[1], &x, &lx) ||
      get_f32(env, fn, argv[2], &out, &lo))
    return NULL;
  if (ld != lx || lo != lx) return throw_msg(env, fn, "dy, x and out must have the same length"), NULL;
  relu_job_t j = {dy, x, out, lx};
  run_halves(relu_grad_part, &j, lx);
  return undefined(env);
}

/* ------------------------------------------------------- a float32 tensor times a scalar */

typedef struct {
  const float *x;
  float *out;
  float s;
  size_t len;
} scale_job_t;

static void scale_part(void *ctx, int part) {
  const scale_job_t *j = ctx;
  const size_t half = j->len / 2, i0 = part == 0 ? 0 : half, i1 = part == 0 ? half : j->len;
  for (size_t i = i0; i < i1; i++) j->out[i] = j->x[i] * j->s;
}

static napi_value js_scale(napi_env env, napi_callback_info info) {
  const char *fn = "scale";
  napi_value argv[3];
  float *x, *out;
  size_t lx, lo;
  double s;
  if (get_argv(env, info, fn, 3, argv) || get_f32(env, fn, argv[0], &x, &lx) || get_num(env, fn, argv[1], &s) ||
      get_f32(env, fn, argv[2], &out, &lo))
    return NULL;
  if (lo != lx) return throw_msg(env, fn, "x and out must have the same length"), NULL;
  /* s is a float32 value passed as a double: the product is one float32 multiply, as tfjs-wasm's Multiply */
  scale_job_t j = {x, out, (float)s, lx};
  run_halves(scale_part, &j, lx);
  return undefined(env);
}

/* ------------------------------------------------------- batch normalization, training mode (float32 data) */

/* One batch-normalization pass: the channel sums split by channels (each channel's sum in one thread, in row order,
 * so the split does not change them), the elementwise pass split by rows. */
typedef struct {
  const float *x, *dy, *y, *inv;
  float *out;
  double *a, *b; /* per channel: forward μ then 1/√(σ² + ε), Σ(x − μ)²; backward mean(dy), mean(dy·y) */
  size_t M, C;
} bn_job_t;

static void halves(size_t n, int part, size_t *i0, size_t *i1) {
  *i0 = part == 0 ? 0 : n / 2;
  *i1 = part == 0 ? n / 2 : n;
}

/* The channel sums accumulate in a buffer of the part's own (the two parts' channels share cache lines of a and b:
 * writing there row by row made the halves 3× slower than one thread), copied out at the end. NULL: out of memory. */
static double *part_buffer(size_t n) {
  return calloc(n > 0 ? n : 1, sizeof(double));
}

static void bn_stats_part(void *ctx, int part) {
  const bn_job_t *j = ctx;
  size_t c0, c1;
  halves(j->C, part, &c0, &c1);
  const size_t w = c1 - c0, C = j->C;
  double *mu = part_buffer(2 * w);
  if (!mu) {
    for (size_t c = c0; c < c1; c++) j->a[c] = NAN; /* surfaces as a non-finite result, never a silent one */
    return;
  }
  double *s2 = mu + w;
  /* two passes in double: the mean, then the squares about it (no cancellation from Σx² − Mμ²) */
  for (size_t r = 0; r < j->M; r++) {
    const float *xr = j->x + r * C + c0;
    for (size_t c = 0; c < w; c++) mu[c] += xr[c];
  }
  for (size_t c = 0; c < w; c++) mu[c] /= (double)j->M;
  for (size_t r = 0; r < j->M; r++) {
    const float *xr = j->x + r * C + c0;
    for (size_t c = 0; c < w; c++) {
      const double d = (double)xr[c] - mu[c];
      s2[c] += d * d;
    }
  }
  for (size_t c = 0; c < w; c++) {
    j->a[c0 + c] = mu[c];
    j->b[c0 + c] = s2[c];
  }
  free(mu);
}

static void bn_normalize_part(void *ctx, int part) {
  const bn_job_t *j = ctx;
  size_t r0, r1;
  halves(j->M, part, &r0, &r1);
  for (size_t r = r0; r < r1; r++) {
    const float *xr = j->x + r * j->C;
    float *yr = j->out + r * j->C;
    for (size_t c = 0; c < j->C; c++) yr[c] = (float)(((double)xr[c] - j->a[c]) * j->b[c]);
  }
}

static void bn_grad_sums_part(void *ctx, int part) {
  const bn_job_t *j = ctx;
  size_t c0, c1;
  halves(j->C, part, &c0, &c1);
  const size_t w = c1 - c0, C = j->C;
  double *sd = part_buffer(2 * w);
  if (!sd) {
    for (size_t c = c0; c < c1; c++) j->a[c] = NAN;
    return;
  }
  double *sdy = sd + w;
  for (size_t r = 0; r < j->M; r++) {
    const float *dr = j->dy + r * C + c0, *yr = j->y + r * C + c0;
    for (size_t c = 0; c < w; c++) {
      sd[c] += dr[c];
      sdy[c] += (double)dr[c] * yr[c];
    }
  }
  for (size_t c = 0; c < w; c++) {
    j->a[c0 + c] = sd[c] / (double)j->M;
    j->b[c0 + c] = sdy[c] / (double)j->M;
  }
  free(sd);
}

static void bn_grad_part(void *ctx, int part) {
  const bn_job_t *j = ctx;
  size_t r0, r1;
  halves(j->M, part, &r0, &r1);
  for (size_t r = r0; r < r1; r++) {
    const float *dr = j->dy + r * j->C, *yr = j->y + r * j->C;
    float *xr = j->out + r * j->C;
    for (size_t c = 0; c < j->C; c++) xr[c] = (float)((double)j->inv[c] * ((double)dr[c] - j->a[c] - (double)yr[c] * j->b[c]));
  }
}

static napi_value js_batch_norm_train(napi_env env, napi_callback_info info) {
  const char *fn = "batchNormTrain";
  napi_value argv[11];
  float *x, *rm, *rv, *y, *inv, *nm, *nv;
  size_t lx, lrm, lrv, ly, linv, lnm, lnv, M, C;
  double eps, mom;
  if (get_argv(env, info, fn, 11, argv) || get_f32(env, fn, argv[0], &x, &lx) || get_f32(env, fn, argv[1], &rm, &lrm) ||
      get_f32(env, fn, argv[2], &rv, &lrv) || get_f32(env, fn, argv[3], &y, &ly) || get_f32(env, fn, argv[4], &inv, &linv) ||
      get_f32(env, fn, argv[5], &nm, &lnm) || get_f32(env, fn, argv[6], &nv, &lnv) || get_count(env, fn, argv[7], &M) ||
      get_count(env, fn, argv[8], &C) || get_num(env, fn, argv[9], &eps) || get_num(env, fn, argv[10], &mom))
    return NULL;
  if (M < 1 || C < 1) return throw_msg(env, fn, "M and C must be ≥ 1"), NULL;
  if (lx < M * C || ly < M * C) return throw_msg(env, fn, "x and y must hold M·C floats"), NULL;
  if (lrm < C || lrv < C || linv < C || lnm < C || lnv < C) return throw_msg(env, fn, "per-channel arrays must hold C floats"), NULL;
  if (!(eps > 0) || !(mom >= 0 && mom < 1)) return throw_msg(env, fn, "epsilon must be > 0 and momentum in [0, 1)"), NULL;
  double *acc = calloc(2 * C, sizeof(double));
  if (!acc) {
    napi_throw_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "ntk_kernels.batchNormTrain: out of memory");
    return NULL;
  }
  bn_job_t j = {x, NULL, NULL, NULL, y, acc, acc + C, M, C};
  run_halves(bn_stats_part, &j, M * C);
  const float m32 = (float)mom, rest32 = (float)(1.0 - mom);
  for (size_t c = 0; c < C; c++) {
    const double var = j.b[c] / (double)M;
    const double is = 1.0 / sqrt(var + eps);
    j.b[c] = is;
    inv[c] = (float)is;
    const float meanF = (float)j.a[c], varF = (float)var;
    const float a = rm[c] * m32, b = meanF * rest32, u = rv[c] * m32, v = varF * rest32;
    nm[c] = a + b;
    nv[c] = u + v;
  }
  run_halves(bn_normalize_part, &j, M * C);
  free(acc);
  return undefined(env);
}

static napi_value js_batch_norm_train_grad(napi_env env, napi_callback_info info) {
  const char *fn = "batchNormTrainGrad";
  napi_value argv[6];
  float *dy, *y, *inv, *dx;
  size_t ldy, ly, linv, ldx, M, C;
  if (get_argv(env, info, fn, 6, argv) || get_f32(env, fn, argv[0], &dy, &ldy) || get_f32(env, fn, argv[1], &y, &ly) ||
      get_f32(env, fn, argv[2], &inv, &linv) || get_f32(env, fn, argv[3], &dx, &ldx) || get_count(env, fn, argv[4], &M) ||
      get_count(env, fn, argv[5], &C))
    return NULL;
  if (M < 1 || C < 1) return throw_msg(env, fn, "M and C must be ≥ 1"), NULL;
  if (ldy < M * C || ly < M * C || ldx < M * C) return throw_msg(env, fn, "dy, y and dx must hold M·C floats"), NULL;
  if (linv < C) return throw_msg(env, fn, "invStd must hold C floats"), NULL;
  double *acc = calloc(2 * C, sizeof(double));
  if (!acc) {
    napi_throw_error(env, "ERR_MEMORY_ALLOCATION_FAILED", "ntk_kernels.batchNormTrainGrad: out of memory");
    return NULL;
  }
  bn_job_t j = {NULL, dy, y, inv, dx, acc, acc + C, M, C};
  run_halves(bn_grad_sums_part, &j, M * C);
  run_halves(bn_grad_part, &j, M * C);
  free(acc);
  return undefined(env);
}

/* ------------------------------------------------------------------ module */

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"abreluCross", NULL, js_abrelu_cross, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convRuns", NULL, js_conv_runs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convSeparable", NULL, js_conv_separable, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adviseHugePages", NULL, js_advise_huge_pages, NULL, NULL, NULL, napi_enumerable, NULL},
      {"patchGather", NULL, js_patch_gather, NULL, NULL, NULL, napi_enumerable, NULL},
      {"patchScatter", NULL, js_patch_scatter, NULL, NULL, NULL, napi_enumerable, NULL},
      {"reluGrad", NULL, js_relu_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"batchNormTrain", NULL, js_batch_norm_train, NULL, NULL, NULL, napi_enumerable, NULL},
      {"batchNormTrainGrad", NULL, js_batch_norm_train_grad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"useTwoThreads", NULL, js_use_two_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scale", NULL, js_scale, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}
