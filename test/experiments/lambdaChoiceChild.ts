// Child process of test/experiments/paperRegimeResume.test.ts: makes accuracy_vs_lambda and predicted_vs_best_lambda
// at the TINY settings with the runs in WORK (argv[2]), logs one line per run on stderr, and writes the figures'
// numbers and claims to OUT (argv[3]) when done. A process of its own so that the test can SIGKILL it mid-way.
import { writeFileSync } from 'node:fs';
import { lambdaChoiceFigures } from '../../src/experiments/lambdaChoiceFigures.js';
import { TINY } from './lambdaChoiceTiny.js';

const [work, out] = process.argv.slice(2);
const r = await lambdaChoiceFigures(new Set(['accuracy_vs_lambda', 'predicted_vs_best_lambda']), { work, jobs: 1, backend: 'wasm', settings: TINY, log: (l) => process.stderr.write(`${l}\n`) });
writeFileSync(out, JSON.stringify({ figures: r.figures.map((f) => ({ name: f.name, numbers: f.numbers })), claims: r.claims }) + '\n');
