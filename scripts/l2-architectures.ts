/**
 * The kernel under L2 on finite CNNs, residual CNNs and layerNorm CNNs against the infinite-width prediction
 * (issue 12, item 4; results in docs/results/l2-architectures.md). Usage:
 *   npx tsx scripts/l2-architectures.ts [--arch cnn|rescnn|lncnn] [--channels 256] [--seeds 3] [--n 8] [--probe 4]
 *     [--steps 16] [--every 4] [--lambda 0.1] [--lr 0.5] [--no-data] [--out FILE.json]
 * Data: the first N bundled MNIST digits as 7×7×1 images (4×4 block means, unit norm), centred one-hot targets
 * reduced to the first output (one output keeps the structured NTK cheap).
 */
import { writeFileSync } from 'node:fs';
import { bundledImages } from '../src/experiments/dataset.js';
import { kernelUnderL2Check } from '../src/experiments/kernelUnderL2Check.js';
import { l2ArchitectureSpec, type L2Architecture } from '../src/experiments/l2Architectures.js';
import { mat } from '../src/linalg/matrix.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const arch = opt('arch', 'cnn') as L2Architecture;
const channels = Number(opt('channels', '256'));
const n = Number(opt('n', '8'));
const data = bundledImages(`mnist:${n}:1`, { size: 7 });
const y = mat(n, 1, Float64Array.from({ length: n }, (_, i) => data.y.data[i * data.y.cols]));
const spec = l2ArchitectureSpec(arch, channels);
const started = performance.now();
const res = await kernelUnderL2Check({
  spec,
  x: data.x,
  y,
  probe: Number(opt('probe', '4')),
  seeds: Number(opt('seeds', '3')),
  steps: Number(opt('steps', '16')),
  evalEvery: Number(opt('every', '4')),
  lambda: Number(opt('lambda', '0.1')),
  lr: Number(opt('lr', '0.5')),
  dataTerm: !args.includes('--no-data'),
  log: (l) => console.error(l),
});
const seconds = (performance.now() - started) / 1000;
const out = { arch, channels, n, seconds, command: `npx tsx scripts/l2-architectures.ts ${args.join(' ')}`, ...res };
const outFile = opt('out', '');
if (outFile) writeFileSync(outFile, JSON.stringify(out, null, 1));
console.log(`${arch} C=${channels}: ${res.prediction}`);
for (const r of res.rows) {
  const f = (v: number[]): string => v.map((u) => u.toFixed(4)).join(' ');
  console.log(`step ${r.step} Λ=${r.bigLambda.toFixed(3)} pred ${r.predictedRatio.toFixed(4)} meas [${f(r.measuredRatio)}] relErr [${f(r.relError)}] loss [${f(r.trainLoss)}]`);
  console.log(`   |θ|²/|θ0|² (e^{-2Λ} = ${Math.exp(-2 * r.bigLambda).toFixed(4)}): ${res.paramNames.map((p, j) => `${p}: ${f(r.normRatio.map((s) => s[j]))}`).join('; ')}`);
}
console.log(`verdict (|Θ_t/Θ_0 measured / predicted − 1| ≤ ${res.tolerance}): ${res.verdict}; worst step ${res.worst.step}: mean δ ${res.worst.meanDelta.toFixed(4)} ± ${res.worst.stderr.toFixed(4)}, max |δ| ${res.worst.maxAbsDelta.toFixed(4)}; ${seconds.toFixed(0)} s`);
