/**
 * The cost of one evaluation (train subset + test set forward passes, as evaluateRun does) against the rows per
 * forward pass (EVAL_CHUNK_ROWS), for the MLP and CNN setups of src/experiments/paperSetups.ts at their default
 * widths, on random data of the setups' shapes (the cost does not depend on the values). The chunk sizes alternate
 * (every size once per round) and each reports its minimum over the rounds, with the load average.
 * Run: npx tsx bench/evalChunks.ts [rounds] [nEval] [nTest]     (defaults 3, 2048, 1000)
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { PAPER_SETUPS } from '../src/experiments/paperSetups.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { bindFinite } from '../src/layers/network.js';
import { mat } from '../src/linalg/matrix.js';
import { initTfjs } from '../src/tfjs/backend.js';
import { evaluateRun } from '../src/training/evaluation.js';
import { constantLambda } from '../src/training/policy.js';
import { disposeRunState, initialRunState } from '../src/training/runState.js';
import { uploadTrainData } from '../src/training/trainTensors.js';
import { Rng } from '../src/util/random.js';

const rounds = Number(process.argv[2] ?? 3);
const nEval = Number(process.argv[3] ?? 2048);
const nTest = Number(process.argv[4] ?? 1000);
const chunks = [128, 256, 512, 1024, 2048, Infinity];
const load = (): string => loadavg().map((v) => v.toFixed(2)).join(' ');

const backend = await initTfjs('auto');
console.log(`machine: ${cpus()[0]?.model ?? '?'} × ${availableParallelism()} threads; tfjs backend ${backend.backend}; load ${load()}`);
console.log(`one evaluation = forward passes over ${nEval} train + ${nTest} test points; min of ${rounds} rounds, chunk sizes alternating`);
for (const name of ['mlp', 'cnn'] as const) {
  const s = PAPER_SETUPS[name];
  const shape = s.imageSize ? { spatial: [s.imageSize, s.imageSize], width: 1 } : { spatial: [], width: 784 };
  const d = shape.width * shape.spatial.reduce((a, b) => a * b, 1);
  const rng = new Rng(1);
  const data = { x: mat(nEval, d, rng.normals(nEval * d)), y: mat(nEval, 10, rng.normals(nEval * 10)), xTest: mat(nTest, d, rng.normals(nTest * d)), yTest: mat(nTest, 10, rng.normals(nTest * 10)), inputShape: shape };
  const net = bindFinite(parseOneLineSpec(s.arch(s.defaultWidth)), shape);
  const state = initialRunState(net, { seed: 0, momentum: s.momentum, n: nEval, batchSize: s.batch, policy: constantLambda(0) });
  const tensors = uploadTrainData(data, nEval, 0);
  await evaluateRun(net, state, tensors, s.loss, s.lr, 512); // warm-up
  const times = new Map<number, number[]>(chunks.map((c) => [c, []]));
  const values = new Map<number, number>();
  for (let r = 0; r < rounds; r++) {
    for (const c of chunks) {
      const t0 = performance.now();
      const rec = await evaluateRun(net, state, tensors, s.loss, s.lr, c);
      times.get(c)!.push((performance.now() - t0) / 1000);
      values.set(c, rec.testLoss);
    }
  }
  console.log(`\n${name} (${s.arch(s.defaultWidth)}), ${s.loss}; load after ${load()}`);
  for (const c of chunks) {
    const ts = times.get(c)!;
    console.log(`  chunk ${String(c).padStart(8)}: min ${Math.min(...ts).toFixed(3)} s  [${ts.map((v) => v.toFixed(3)).join(', ')}]  test loss ${values.get(c)!.toPrecision(8)}`);
  }
  tensors.dispose();
  disposeRunState(state);
}
