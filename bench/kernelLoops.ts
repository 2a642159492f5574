/**
 * The kernel loops alone, native (native/src/kernels.c) against their TypeScript twins (src/layers/abrelu.ts,
 * src/layers/stencil.ts), one thread, on the blocks the image benchmark runs: the arc-cosine on a 1000×1000 flat
 * block and on a flatten tile (25×25 pairs × 784 positions, in place), the separable 3×3 SAME conv step on that
 * tile ('diagonal') and on a 'full' tile (4×4 pairs of 14×14 images). The sides alternate; each reports its minimum,
 * with the load average and the number of entries where the two results differ.
 * Run: npx tsx bench/kernelLoops.ts [reps]   (default 9)
 */
import { loadavg } from 'node:os';
import { relu } from '../src/layers/abrelu.js';
import { pointwiseKernel, pointwiseTransform } from '../src/layers/pointwise.js';
import { convStepSeparable } from '../src/layers/stencil.js';
import type { KernelBlock, KernelFn } from '../src/layers/types.js';
import { windowTable } from '../src/layers/window.js';
import { nativeKernels, setNativeKernelsEnabled } from '../src/linalg/nativeKernels.js';
import { Rng } from '../src/util/random.js';

const reps = Number(process.argv[2] ?? 9);
if (!nativeKernels()) throw new Error('the native addon is not built (node scripts/build-native.mjs)');
const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');
console.log(`kernel loops, one thread, min of ${reps} alternating runs; load average ${load()}`);

/** Alternates TS and native runs of `f` (fresh copies of the inputs made outside the timing), returns both minimums. */
function race(name: string, f: () => () => Float64Array[]): void {
  const best = { ts: Infinity, native: Infinity };
  let out: { ts: Float64Array[]; native: Float64Array[] } = { ts: [], native: [] };
  for (let r = 0; r < reps; r++) {
    for (const on of [false, true]) {
      setNativeKernelsEnabled(on);
      const run = f();
      const t0 = performance.now();
      const res = run();
      const ms = performance.now() - t0;
      if (on) { best.native = Math.min(best.native, ms); out.native = res; } else { best.ts = Math.min(best.ts, ms); out.ts = res; }
    }
  }
  let differ = 0;
  let total = 0;
  out.ts.forEach((a, i) => { total += a.length; for (let j = 0; j < a.length; j++) if (!Object.is(a[j], out.native[i][j])) differ++; });
  console.log(`${name}: TypeScript ${best.ts.toFixed(1)} ms, native ${best.native.toFixed(1)} ms, ${(best.ts / best.native).toFixed(2)}× faster; entries differing ${differ}/${total}; load ${load()}`);
}

const rng = new Rng(1);
const uni = (n: number, lo: number, hi: number): Float64Array => Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());

// arc-cosine, flat 1000×1000
{
  const n = 1000;
  const k11 = uni(n, 0.1, 1.1);
  const k22 = uni(n, 0.1, 1.1);
  const k = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) k[r * n + c] = (2 * rng.uniform() - 1) * Math.sqrt(k11[r] * k22[c]);
  const tr = pointwiseTransform(relu().kernel({ fanIn: 64, parameterization: 'ntk', inputGaussian: true }));
  race('relu arc-cosine, flat 1000×1000 (K and Θ)', () => {
    const kk = k.slice();
    const t = new Float64Array(n * n).fill(1);
    return () => (tr.cross({ nr: n, nc: n, k: kk, t, k11, k22 }), [kk, t]);
  });
}

// a flatten tile: 25×25 pairs × 28×28 positions
const S = 784;
const [nr, nc] = [25, 25];
{
  const fn: KernelFn = pointwiseKernel(pointwiseTransform(relu().kernel({ fanIn: 64, parameterization: 'ntk', inputGaussian: true, spatial: [28, 28] })), 'relu');
  const cov1 = uni(nr * S, 0.1, 1.1);
  const cov2 = uni(nc * S, 0.1, 1.1);
  const nngp = new Float64Array(nr * nc * S);
  for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) for (let s = 0; s < S; s++) nngp[(r * nc + c) * S + s] = (2 * rng.uniform() - 1) * Math.sqrt(cov1[r * S + s] * cov2[c * S + s]);
  const ntk = uni(nr * nc * S, 0, 2);
  race("relu arc-cosine, flatten tile 25×25 pairs × 784 positions ('diagonal', in place)", () => {
    const b: KernelBlock = { nr, nc, spatial: [28, 28], mode: 'diagonal', nngp: nngp.slice(), ntk: ntk.slice(), cov1: cov1.slice(), ntk1: new Float64Array(nr * S), cov2: cov2.slice(), ntk2: new Float64Array(nc * S) };
    return () => { const o = fn(b) as KernelBlock; return [o.nngp, o.ntk!]; };
  });
}

// the separable 3×3 SAME conv step
for (const [H, n, full] of [[28, nr * nc, false], [14, 16, true]] as [number, number, boolean][]) {
  const rows = windowTable([H], [3], [1], 'SAME', 'conv');
  const sep = { rows, cols: rows, hi: H, wi: H };
  const P = full ? H ** 4 : H * H;
  const k = new Rng(2).normals(n * P);
  const t = new Rng(3).normals(n * P);
  const c = { w2: 2, b2: 0, ntkParam: true, fanIn: 576, biasTerm: 0 };
  race(`conv 3×3 SAME separable step, ${full ? `'full' ${n} pairs of ${H}×${H}` : `'diagonal' ${n} pairs of ${H}×${H}`}`, () => () => {
    const [ko, to] = convStepSeparable(k, t, n, sep, full, c);
    return [ko, to!];
  });
}
