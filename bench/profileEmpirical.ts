/**
 * The structured empirical NTK of bench/empirical.ts (MLP 784-1024-1024-10, ReLU, biases, k = 10) on N bundled
 * MNIST digits, run --repeat times in this process after a warm-up, for profiling:
 *   OPENBLAS_NUM_THREADS=1 node --import tsx bench/profileEmpirical.ts [N] [repeat] [profile.cpuprofile]
 * Prints the time of each run (wall and CPU, all threads) and the load average; with a third argument, writes a
 * V8 CPU profile of the runs after the first full-size one (the warm ones) there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { bundledDataset } from '../src/experiments/dataset.js';
import { structuredNtk } from '../src/kernels/structuredNtk.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { bindFinite, initParams } from '../src/layers/network.js';
import { takeRows } from '../src/data/mnist.js';
import { initTfjs } from '../src/tfjs/backend.js';
import { tfRuntime } from '../src/tfjs/runtime.js';

const [nText = '256', repeatText = '5', profilePath = ''] = process.argv.slice(2);
const n = Number(nText);
const ARCH = 'dense(1024, wStd=1.41421356, bStd=0.1) > relu > dense(1024, wStd=1.41421356, bStd=0.1) > relu > dense(10, wStd=1.41421356, bStd=0.1)';
await initTfjs('auto');
const tf = tfRuntime();
const data = bundledDataset(`mnist:${n}:1`);
const x = takeRows(data.x, Array.from({ length: n }, (_, i) => i));
const xs = tf.tensor2d(Float32Array.from(x.data), [n, 784]);
const net = bindFinite(parseOneLineSpec(ARCH), 784);
const params = initParams(net, 7);
await structuredNtk(net, params.layers, xs.slice([0, 0], [8, 784]), null); // warm-up
const session = new Session();
for (let r = 0; r < Number(repeatText); r++) {
  if (r === 1 && profilePath) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
  }
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { ntk } = await structuredNtk(net, params.layers, xs, null, { nngp: false }); // Θ only, as bench/empirical.ts
  const c = process.cpuUsage(c0);
  console.log(`N = ${n}: ${((performance.now() - t0) / 1000).toFixed(3)} s, cpu ${((c.user + c.system) / 1e6).toFixed(3)} s, Θ[0] = ${ntk[0].toPrecision(8)}; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
}
if (profilePath && Number(repeatText) > 1) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profilePath, JSON.stringify(profile));
}
