/**
 * A short CNN training run for profiling (node --import tsx --cpu-prof bench/profileCnnStep.ts [cnn|wrn] [width] [steps]).
 */
import { paperSetup } from '../src/experiments/paperSetups.js';
import { parseOneLineSpec } from '../src/layers/json.js';
import { mat } from '../src/linalg/matrix.js';
import { trainRun } from '../src/training/trainer.js';
import { Rng } from '../src/util/random.js';

const [name = 'cnn', widthText, stepsText = '30'] = process.argv.slice(2);
const setup = paperSetup(name);
if (!setup) throw new Error(`unknown setup ${name}`);
const width = Number(widthText ?? setup.defaultWidth);
const rng = new Rng(1);
const n = 1024;
const oneHot = (rows: number): ReturnType<typeof mat> => mat(rows, 10, Float64Array.from({ length: rows * 10 }, (_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0)));
const data = { x: mat(n, 196, rng.normals(n * 196)), y: oneHot(n), xTest: mat(64, 196, rng.normals(64 * 196)), yTest: oneHot(64), inputShape: { spatial: [14, 14], width: 1 } };
const opts = { spec: parseOneLineSpec(setup.arch(width)), data, lr: setup.lr, lambda: 1e-3, batchSize: 128, evalsPerDecade: 1, evalTrainSize: 64, loss: setup.loss, momentum: setup.momentum, backend: 'wasm' as const };
await trainRun({ ...opts, budget: setup.lr * 3 });
const steps = Number(stepsText);
const res = await trainRun({ ...opts, budget: setup.lr * steps });
console.log(`${name} width ${width}: ${res.examplesPerSecond.toFixed(0)} examples/s, ${((res.wallSeconds * 1000) / steps).toFixed(1)} ms/step`);
