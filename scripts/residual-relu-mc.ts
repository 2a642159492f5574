/**
 * Monte Carlo check of the analytic NTK of small residual nets against the mean of finite nets (evidence for
 * docs/results/l2-architectures.md: a relu after a residual sum whose skip carries a non-Gaussian value, e.g.
 * relu(conv), gets a wrong analytic kernel). Usage: npx tsx scripts/residual-relu-mc.ts VARIANT CHANNELS SEEDS
 * [structured|jacobian]; VARIANT one of a, b, c1, d, post, pre, mlp (see `specs`). Prints the mean over seeds of
 * (mean diagonal of the empirical NTK on 4 probe digits, 7×7) / (the same of the analytic NTK), ± its stderr.
 */
import type { EmpiricalMethod } from '../src/kernels/empirical.js';
import type { NetworkSpec } from '../src/layers/types.js';
import type { Mat } from '../src/linalg/matrix.js';
import type { Images } from '../src/data/images.js';
import { empiricalKernel } from '../src/kernels/empirical.js';
import { analyticKernelSync } from '../src/kernels/analytic.js';
import { bundledImages } from '../src/experiments/dataset.js';
import { serial } from '../src/layers/serial.js';
import { conv } from '../src/layers/conv.js';
import { dense } from '../src/layers/dense.js';
import { relu } from '../src/layers/abrelu.js';
import { residual } from '../src/layers/residual.js';
import { globalAvgPool } from '../src/layers/globalAvgPool.js';
import { flatten } from '../src/layers/flatten.js';
import { flattenImages } from '../src/data/images.js';
const C = Number(process.argv[3]); const S = Number(process.argv[4]);
const w = Math.SQRT2;
const c = (f = 3) => conv(C, { filter: [f, f], wStd: w });
const specs: Record<string, NetworkSpec> = {
  a: serial(c(), relu(), residual(c()), relu(), globalAvgPool(), dense(1, { wStd: w })),
  b: serial(c(), relu(), residual(c(), relu(), c()), globalAvgPool(), dense(1, { wStd: w })),
  c1: serial(c(1), relu(), residual(c(1)), flatten(), dense(1, { wStd: w })),
  d: serial(c(), relu(), residual(c()), flatten(), dense(1, { wStd: w })),
  post: serial(c(), relu(), residual(c(), relu(), c()), relu(), globalAvgPool(), dense(1, { wStd: w })),
  pre: serial(c(), residual(relu(), c(), relu(), c()), relu(), globalAvgPool(), dense(1, { wStd: w })),
  mlp: serial(dense(C, { wStd: w }), relu(), residual(dense(C, { wStd: w }), relu(), dense(C, { wStd: w })), relu(), dense(1, { wStd: w })),
};
const d = bundledImages('mnist:8:1', { size: 7 });
const probeImg = { shape: [4, 7, 7, 1], data: d.x.data.slice(0, 4 * 49), dtype: 'float64' as const };
const which = process.argv[2];
const probe: Mat | Images = which === 'mlp' ? flattenImages(probeImg) : probeImg;
const spec = specs[which];
if (!spec) throw new Error(`unknown variant ${which}`);
const pred = analyticKernelSync(spec, probe, undefined, { get: 'ntk' }).ntk!.data;
const per: number[] = []; const trP = [0,5,10,15].reduce((a,i)=>a+pred[i],0)/4;
for (let seed = 0; seed < S; seed++) {
  const k = (await empiricalKernel(spec, probe, undefined, { seed, backend: 'wasm', method: (process.argv[5] ?? 'structured') as EmpiricalMethod })).ntk.data;
  per.push([0,5,10,15].reduce((a,i)=>a+k[i],0)/4 / trP);
}
const m = per.reduce((a,b)=>a+b,0)/S; const se = Math.sqrt(per.reduce((a,b)=>a+(b-m)**2,0)/(S-1)/S);
console.log(`${which} C=${C}: mean-diag NTK emp/analytic ${m.toFixed(4)} ± ${se.toFixed(4)} (${S} seeds)`);
