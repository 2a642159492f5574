/*
 * ntk_sgemm_fma (sgemmFma.h): a blocked float32 product in the usual packed-panel form (B in KC×NR panels, A in
 * MR×KC panels, an MR×NR micro-kernel), with one rule that fixes its bits: each output is accumulated in one float32
 * register lane as a chain of fused multiply-adds over k in increasing order, starting from +0. Between k-blocks
 * the partial sum is stored to C and loaded back unchanged, so blocking does not reorder anything, and a wider or
 * narrower micro-kernel computes each lane the same way. Hence the same bits on AVX-512, AVX2+FMA and the portable
 * fmaf loop (fmaf is correctly rounded, like the FMA instructions), at any cut of C into parts.
 */
#include "sgemmFma.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define NTK_X86_KERNELS 1
#endif

/* A micro-kernel: the MR×NR tile at c (leading dimension ldc) gets, for p = 0 … kc−1 in order,
 * c[r][j] = fma(A(r, p), bp[p·ldb + j], c[r][j]), starting from +0 when `first`, else from the tile's values (ldb = NR
 * for a packed panel of B, B's own leading dimension for B read in place). A(r, p) is
 * a[p·MR + r] for a packed panel, or a[r·lda + p] for rows of A read in place (the "rows" variant: no packing, for
 * products with few column panels, where packing A would cost as much as the multiply-adds). */
typedef void (*micro_kernel_fn)(int kc, const float *a, int lda, const float *bp, int ldb, float *c, int ldc, bool first);

typedef struct {
  const char *name;
  int mr, nr;     /* micro-tile */
  int lanes;      /* multiply-adds per cycle it can issue, roughly (for the choice of member only) */
  int kc, mc, nc; /* blocks: a KC×NR panel of B stays in L1, an MC×KC block of A in L2 */
  micro_kernel_fn packed, rows;
} kernel_spec_t;

/* ---------------------------------------------------------------- micro-kernels */

/* Portable: MR = 4, NR = 8, fmaf. */
#define PORTABLE_KERNEL(NAME, A_RP, A_STEP)                                                                        \
  static void NAME(int kc, const float *a, int lda, const float *bp, int ldb, float *c, int ldc, bool first) {     \
    (void)lda;                                                                                                     \
    float x[4][8];                                                                                                 \
    for (int r = 0; r < 4; r++)                                                                                    \
      for (int j = 0; j < 8; j++) x[r][j] = first ? 0.0f : c[r * ldc + j];                                         \
    for (int p = 0; p < kc; p++, a += A_STEP, bp += ldb)                                                           \
      for (int r = 0; r < 4; r++)                                                                                  \
        for (int j = 0; j < 8; j++) x[r][j] = fmaf(A_RP, bp[j], x[r][j]);                                          \
    for (int r = 0; r < 4; r++)                                                                                    \
      for (int j = 0; j < 8; j++) c[r * ldc + j] = x[r][j];                                                        \
  }
PORTABLE_KERNEL(kern_portable, a[r], 4)
PORTABLE_KERNEL(kern_portable_rows, a[(size_t)r * lda], 1)

#ifdef NTK_X86_KERNELS
/* An MR × (W·NV) micro-kernel for a vector of W floats: MR·NV accumulators, NV loads of B and MR broadcasts of A per
 * k. A_RP is A(r, p) relative to the moving pointer a, A_STEP how far a moves per p. */
#define VECTOR_KERNEL(NAME, TARGET, VEC, W, ZERO, LOADU, LOAD, SET1, FMA, STOREU, MR, NV, A_RP, A_STEP)               \
  __attribute__((target(TARGET))) static void NAME(int kc, const float *a, int lda, const float *bp, int ldb,       \
                                                   float *c, int ldc, bool first) {                                   \
    (void)lda;                                                                                                        \
    VEC x[MR][NV];                                                                                                    \
    _Pragma("GCC unroll 24") for (int r = 0; r < MR; r++) _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)      \
        x[r][v] = first ? ZERO() : LOADU(c + r * ldc + W * v);                                                        \
    for (int p = 0; p < kc; p++, a += A_STEP, bp += ldb) {                                                            \
      VEC bv[NV];                                                                                                     \
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) bv[v] = LOADU(bp + W * v);                                 \
      _Pragma("GCC unroll 24") for (int r = 0; r < MR; r++) {                                                         \
        const VEC av = SET1(A_RP);                                                                                    \
        _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) x[r][v] = FMA(av, bv[v], x[r][v]);                       \
      }                                                                                                               \
    }                                                                                                                 \
    _Pragma("GCC unroll 24") for (int r = 0; r < MR; r++) _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++)      \
        STOREU(c + r * ldc + W * v, x[r][v]);                                                                         \
  }

#define AVX512_KERNELS(NAME, MR, NV)                                                                                  \
  VECTOR_KERNEL(NAME, "avx512f", __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_load_ps, _mm512_set1_ps,      \
                _mm512_fmadd_ps, _mm512_storeu_ps, MR, NV, a[r], MR)                                                  \
  VECTOR_KERNEL(NAME##_rows, "avx512f", __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_load_ps,               \
                _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps, MR, NV, a[(size_t)r * lda], 1)
#define AVX2_KERNELS(NAME, MR, NV)                                                                                    \
  VECTOR_KERNEL(NAME, "avx2,fma", __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_load_ps, _mm256_set1_ps,      \
                _mm256_fmadd_ps, _mm256_storeu_ps, MR, NV, a[r], MR)                                                  \
  VECTOR_KERNEL(NAME##_rows, "avx2,fma", __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_load_ps,               \
                _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps, MR, NV, a[(size_t)r * lda], 1)

AVX512_KERNELS(kern_avx512_12x32, 12, 2)
AVX512_KERNELS(kern_avx512_24x16, 24, 1)
AVX512_KERNELS(kern_avx512_8x32, 8, 2)
AVX512_KERNELS(kern_avx512_8x16, 8, 1)
AVX2_KERNELS(kern_avx2_6x16, 6, 2)
AVX2_KERNELS(kern_avx2_12x8, 12, 1)
AVX2_KERNELS(kern_avx2_4x16, 4, 2)
#endif

/* Each instruction set's members; the driver picks one per product (the bits do not depend on which). */
#define MAX_MEMBERS 5
typedef struct {
  const char *name;
  int count;
  kernel_spec_t members[MAX_MEMBERS];
} kernel_family_t;

static const kernel_family_t PORTABLE = {
    "portable", 1, {{"portable 4x8", 4, 8, 1, 256, 64, 1024, kern_portable, kern_portable_rows}}};
#ifdef NTK_X86_KERNELS
static const kernel_family_t AVX2 = {"avx2",
                                     3,
                                     {{"avx2 6x16", 6, 16, 16, 256, 144, 4096, kern_avx2_6x16, kern_avx2_6x16_rows},
                                      {"avx2 12x8", 12, 8, 16, 256, 144, 4096, kern_avx2_12x8, kern_avx2_12x8_rows},
                                      {"avx2 4x16", 4, 16, 16, 256, 144, 4096, kern_avx2_4x16, kern_avx2_4x16_rows}}};
/* the AVX-512 family includes the 8-wide 12x8 (AVX2) member, for outputs 8 wide */
static const kernel_family_t AVX512 = {
    "avx512",
    5,
    {{"avx512 12x32", 12, 32, 32, 384, 192, 4096, kern_avx512_12x32, kern_avx512_12x32_rows},
     {"avx512 24x16", 24, 16, 32, 384, 192, 4096, kern_avx512_24x16, kern_avx512_24x16_rows},
     {"avx512 8x32", 8, 32, 32, 384, 192, 4096, kern_avx512_8x32, kern_avx512_8x32_rows},
     {"avx512 8x16", 8, 16, 32, 384, 192, 4096, kern_avx512_8x16, kern_avx512_8x16_rows},
     {"avx2 12x8", 12, 8, 16, 256, 144, 4096, kern_avx2_12x8, kern_avx2_12x8_rows}}};
#endif

static _Atomic(const kernel_family_t *) forced = NULL;

static const kernel_family_t *best(void) {
#ifdef NTK_X86_KERNELS
  /* __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV) */
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return &AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &AVX2;
#endif
  return &PORTABLE;
}

static const kernel_family_t *choose(void) {
  const kernel_family_t *f = atomic_load(&forced);
  return f ? f : best();
}

const char *ntk_sgemm_fma_kernel(void) { return choose()->name; }

bool ntk_sgemm_fma_vectorized(void) { return best() != &PORTABLE; }

bool ntk_sgemm_fma_use(const char *name) {
  if (!name || strcmp(name, "auto") == 0) {
    atomic_store(&forced, NULL);
    return true;
  }
  const kernel_family_t *want = strcmp(name, "portable") == 0 ? &PORTABLE : NULL;
#ifdef NTK_X86_KERNELS
  if (strcmp(name, "avx2") == 0 && (best() == &AVX2 || best() == &AVX512)) want = &AVX2;
  if (strcmp(name, "avx512") == 0 && best() == &AVX512) want = &AVX512;
#endif
  if (!want) return false;
  atomic_store(&forced, want);
  return true;
}

/* ---------------------------------------------------------------- packing buffers (one per thread) */

typedef struct {
  float *data;
  size_t floats;
} buffer_t;

static pthread_key_t buffer_key;
static pthread_once_t buffer_once = PTHREAD_ONCE_INIT;

static void free_buffer(void *p) {
  buffer_t *b = p;
  free(b->data);
  free(b);
}

static void make_key(void) { pthread_key_create(&buffer_key, free_buffer); }

/* A 64-byte aligned scratch of at least `floats` floats, kept for this thread's later calls (freed when it ends). */
static float *scratch(size_t floats) {
  pthread_once(&buffer_once, make_key);
  buffer_t *b = pthread_getspecific(buffer_key);
  if (!b) {
    b = calloc(1, sizeof *b);
    if (!b || pthread_setspecific(buffer_key, b) != 0) {
      free(b);
      return NULL;
    }
  }
  if (b->floats < floats) {
    free(b->data);
    b->floats = 0;
    const size_t bytes = ((floats * sizeof(float)) + 63) & ~(size_t)63;
    b->data = aligned_alloc(64, bytes);
    if (!b->data) return NULL;
    b->floats = floats;
  }
  return b->data;
}

/* ---------------------------------------------------------------- the blocked product */

/* op(A)[i][p] and op(B)[p][j] */
#define A_AT(i, p) (ta ? a[(size_t)(p) * lda + (i)] : a[(size_t)(i) * lda + (p)])
#define B_AT(p, j) (tb ? b[(size_t)(j) * ldb + (p)] : b[(size_t)(p) * ldb + (j)])

/* count floats from src to dst: the tile widths as fixed-size copies (inlined moves, not a library call: packing a
 * weight gradient's panels copies a few floats at a time, hundreds of thousands of times per product) */
static inline void copy_floats(float *dst, const float *src, int count) {
  switch (count) {
    case 4: memcpy(dst, src, 4 * sizeof(float)); break;
    case 6: memcpy(dst, src, 6 * sizeof(float)); break;
    case 8: memcpy(dst, src, 8 * sizeof(float)); break;
    case 12: memcpy(dst, src, 12 * sizeof(float)); break;
    case 16: memcpy(dst, src, 16 * sizeof(float)); break;
    case 24: memcpy(dst, src, 24 * sizeof(float)); break;
    case 32: memcpy(dst, src, 32 * sizeof(float)); break;
    default:
      for (int i = 0; i < count; i++) dst[i] = src[i];
  }
}

/* Packs op(A)[i0 .. i0+mc) × [p0 .. p0+kc) as MR-row panels, k-major inside a panel, zero rows past mc. */
static void pack_a(const kernel_spec_t *s, bool ta, const float *a, int lda, int i0, int mc, int p0, int kc, float *ap) {
  const int mr = s->mr;
  if (ta) {
    /* A stored k×m: each k is a contiguous row of A, copied panel by panel */
    for (int p = 0; p < kc; p++) {
      const float *src = a + (size_t)(p0 + p) * lda + i0;
      for (int ir = 0; ir < mc; ir += mr) {
        const int rows = mc - ir < mr ? mc - ir : mr;
        float *dst = ap + (size_t)ir * kc + (size_t)p * mr;
        copy_floats(dst, src + ir, rows);
        for (int r = rows; r < mr; r++) dst[r] = 0.0f;
      }
    }
    return;
  }
  for (int ir = 0; ir < mc; ir += mr) {
    const int rows = mc - ir < mr ? mc - ir : mr;
    for (int p = 0; p < kc; p++) {
      float *dst = ap + (size_t)ir * kc + (size_t)p * mr;
      for (int r = 0; r < rows; r++) dst[r] = a[(size_t)(i0 + ir + r) * lda + p0 + p];
      for (int r = rows; r < mr; r++) dst[r] = 0.0f;
    }
  }
}

/* Packs op(B)[p0 .. p0+kc) × [j0 .. j0+nc) as NR-column panels, k-major inside a panel, zero columns past nc. */
static void pack_b(const kernel_spec_t *s, bool tb, const float *b, int ldb, int p0, int kc, int j0, int nc, float *bp) {
  const int nr = s->nr;
  for (int jr = 0; jr < nc; jr += nr) {
    const int cols = nc - jr < nr ? nc - jr : nr;
    for (int p = 0; p < kc; p++) {
      float *dst = bp + (size_t)jr * kc + (size_t)p * nr;
      if (!tb) {
        copy_floats(dst, b + (size_t)(p0 + p) * ldb + j0 + jr, cols);
      } else {
        for (int j = 0; j < cols; j++) dst[j] = b[(size_t)(j0 + jr + j) * ldb + p0 + p];
      }
      for (int j = cols; j < nr; j++) dst[j] = 0.0f;
    }
  }
}

/* Without scratch memory: the same chains, one output at a time (fmaf, so the same bits); ct writes Cᵀ. */
static void unpacked(bool ta, bool tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                     int ldc, bool ct) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++) {
      float x = 0.0f;
      for (int p = 0; p < k; p++) x = fmaf(A_AT(i, p), B_AT(p, j), x);
      c[ct ? (size_t)j * ldc + i : (size_t)i * ldc + j] = x;
    }
}

/* One way to compute a product: a member, C or Cᵀ (ct), A packed or read in place (rowsA, when op(A) = A), B packed
 * or read in place (colsB, when op(B) = B). */
typedef struct {
  const kernel_spec_t *s;
  bool ct, rowsA, colsB;
} plan_t;

static double ceil_div(double x, double y) { return ceil(x / y); }

/* A rough cost of a plan in cycles, to choose among plans (never to change what is computed): the multiply-adds
 * with the tiles' padding at the member's issue rate, plus the packing (a strided gather costs about ten times a
 * contiguous copy), A read again per column panel when read in place, B again per block of rows when read in place,
 * and a transposed write-back per k-block. */
static double plan_cost(const plan_t *q, bool ta, bool tb, int m, int n, int k) {
  const kernel_spec_t *s = q->s;
  const double pm = ceil_div(m, s->mr) * s->mr, pn = ceil_div(n, s->nr) * s->nr;
  double cost = pm * pn * k / s->lanes;
  const double columnBlocks = ceil_div(n, s->nc), panels = ceil_div(n, s->nr);
  if (q->rowsA) cost += 0.1 * (double)m * k * panels;
  else cost += (ta ? 0.1 : 1.0) * (double)m * k * columnBlocks;
  if (q->colsB) cost += 0.05 * (double)n * k * ceil_div(m, s->mc);
  else cost += (tb ? 1.0 : 0.1) * (double)n * k;
  if (q->ct) cost += 2.0 * (double)m * n * ceil_div(k, s->kc);
  return cost;
}

/* C (or Cᵀ when ct: output (i, j) goes to c[j·ldc + i]) = op(A) op(B) by plan q. */
static void blocked(const plan_t *q, bool ta, bool tb, int m, int n, int k, const float *a, int lda, const float *b,
                    int ldb, float *c, int ldc) {
  const kernel_spec_t *s = q->s;
  const bool ct = q->ct, rowsA = q->rowsA && !ta, colsB = q->colsB && !tb;
  const int mr = s->mr, nr = s->nr;
  const int kcMax = k < s->kc ? k : s->kc;
  const int mcMax = ((m < s->mc ? m : s->mc) + mr - 1) / mr * mr;
  const int ncMax = ((n < s->nc ? n : s->nc) + nr - 1) / nr * nr;
  /* each part starts on a 64-byte line: B's panels are loaded aligned */
  const size_t aFloats = ((size_t)mcMax * kcMax + 15) & ~(size_t)15, bFloats = (size_t)ncMax * kcMax;
  float *buf = scratch(aFloats + bFloats + (size_t)mr * nr);
  if (!buf) {
    unpacked(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, ct);
    return;
  }
  float *ap = buf, *bp = buf + aFloats, *tile = bp + bFloats;
  for (int j0 = 0; j0 < n; j0 += s->nc) {
    const int nc = n - j0 < s->nc ? n - j0 : s->nc;
    for (int p0 = 0; p0 < k; p0 += s->kc) {
      const int kc = k - p0 < s->kc ? k - p0 : s->kc;
      const bool first = p0 == 0;
      /* read in place, only a last panel short of NR columns is packed (the kernel reads NR columns) */
      const int fullCols = colsB ? nc / nr * nr : 0;
      if (!colsB) pack_b(s, tb, b, ldb, p0, kc, j0, nc, bp);
      else if (fullCols < nc) pack_b(s, tb, b, ldb, p0, kc, j0 + fullCols, nc - fullCols, bp);
      for (int i0 = 0; i0 < m; i0 += s->mc) {
        const int mc = m - i0 < s->mc ? m - i0 : s->mc;
        /* read in place, only a last panel short of MR rows is packed (the kernel reads MR rows) */
        const int fullRows = rowsA ? mc / mr * mr : 0;
        if (!rowsA) pack_a(s, ta, a, lda, i0, mc, p0, kc, ap);
        else if (fullRows < mc) pack_a(s, ta, a, lda, i0 + fullRows, mc - fullRows, p0, kc, ap);
        for (int jr = 0; jr < nc; jr += nr) {
          const int cols = nc - jr < nr ? nc - jr : nr;
          for (int ir = 0; ir < mc; ir += mr) {
            const int rows = mc - ir < mr ? mc - ir : mr;
            const int i = i0 + ir, j = j0 + jr;
            const bool bInPlace = jr < fullCols;
            const float *bpanel = bInPlace ? b + (size_t)p0 * ldb + j : bp + (size_t)(jr - fullCols) * kc;
            const int bstep = bInPlace ? ldb : nr;
            const bool inPlace = ir < fullRows;
            const micro_kernel_fn kern = inPlace ? s->rows : s->packed;
            const float *apanel = inPlace ? a + (size_t)i * lda + p0 : ap + (size_t)(ir - fullRows) * kc;
            if (!ct && rows == mr && cols == nr) {
              kern(kc, apanel, lda, bpanel, bstep, c + (size_t)i * ldc + j, ldc, first);
              continue;
            }
            /* an edge tile, or a transposed output: through a full tile, C's partial sums copied in and the valid
             * part copied out */
            if (!first)
              for (int r = 0; r < rows; r++)
                for (int t = 0; t < cols; t++)
                  tile[r * nr + t] = ct ? c[(size_t)(j + t) * ldc + i + r] : c[(size_t)(i + r) * ldc + j + t];
            kern(kc, apanel, lda, bpanel, bstep, tile, nr, first);
            if (ct) {
              for (int t = 0; t < cols; t++)
                for (int r = 0; r < rows; r++) c[(size_t)(j + t) * ldc + i + r] = tile[r * nr + t];
            } else {
              for (int r = 0; r < rows; r++) memcpy(c + (size_t)(i + r) * ldc + j, tile + (size_t)r * nr, sizeof(float) * (size_t)cols);
            }
          }
        }
      }
    }
  }
}

void ntk_sgemm_fma(bool ta, bool tb, int m, int n, int k, const float *a, int lda, const float *b, int ldb, float *c,
                   int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m; i++) memset(c + (size_t)i * ldc, 0, sizeof(float) * (size_t)n);
    return;
  }
  /* The cheapest plan by plan_cost: each member, C = op(A) op(B) or Cᵀ = op(B)ᵀ op(A)ᵀ written back transposed (for
   * a few columns, e.g. a convolution with 8 channels, whose rows become the short side), A packed or read in place.
   * Every output is the same chain whichever runs. */
  const kernel_family_t *f = choose();
  plan_t best = {&f->members[0], false, false, false};
  double least = INFINITY;
  for (int t = 0; t < 2; t++)
    for (int i = 0; i < f->count; i++)
      for (int r = 0; r < 4; r++) {
        /* the (possibly transposed) problem's A is read in place only when stored by rows, its B when by columns */
        const bool aTrans = t ? !tb : ta, bTrans = t ? !ta : tb;
        if (((r & 1) && aTrans) || ((r & 2) && bTrans)) continue;
        /* B in place only for one or two row panels (weight gradients' short side): with more, a panel read in
         * place is re-read per row panel, and rows of B 4 KiB apart fight over the same L1 sets (measured: the MLP's
         * 128×1024·1024×1024 at half speed on the AVX2 members) */
        if ((r & 2) && (t ? n : m) > 2 * f->members[i].mr) continue;
        const plan_t q = {&f->members[i], t == 1, (r & 1) != 0, (r & 2) != 0};
        const double w = t ? plan_cost(&q, !tb, !ta, n, m, k) : plan_cost(&q, ta, tb, m, n, k);
        if (w < least) {
          least = w;
          best = q;
        }
      }
  if (!best.ct)
    blocked(&best, ta, tb, m, n, k, a, lda, b, ldb, c, ldc);
  else /* op(B)ᵀ is B read with the opposite flag, likewise op(A)ᵀ */
    blocked(&best, !tb, !ta, n, m, k, b, ldb, a, lda, c, ldc);
}
