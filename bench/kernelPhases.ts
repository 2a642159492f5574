/**
 * Phase timings of the flat analytic ReLU NTK at one thread (the pieces of bench/kernel.ts's "ours" at threads = 1,
 * get = 'ntk'): input norms, the BLAS Gram matrix written into shared memory (src/kernels/inputGram.ts), the output
 * allocation, the tile loop and the finiteness scan; wall and CPU (user + system) time, each the minimum of `reps`
 * runs. System time is mostly page faults of fresh memory. Run: npx tsx bench/kernelPhases.ts [N] [d] [reps]
 */
import { loadavg } from 'node:os';
import { relu } from '../src/layers/abrelu.js';
import { dense } from '../src/layers/dense.js';
import { serial } from '../src/layers/serial.js';
import { bindKernel } from '../src/layers/serial.js';
import { getLinalg, setLinalgThreads } from '../src/linalg/index.js';
import { rowSquaredNorms } from '../src/linalg/matrix.js';
import { Rng } from '../src/util/random.js';
import { computeRows } from '../src/kernels/recursion.js';
import { assertFiniteKernel } from '../src/kernels/finiteKernel.js';
import { inputGramInto } from '../src/kernels/inputGram.js';
import { sharedFloat64 } from '../src/kernels/sharedBuffer.js';

const N = Number(process.argv[2] ?? 4096);
const d = Number(process.argv[3] ?? 784);
const reps = Number(process.argv[4] ?? 3);
const wStd = Math.SQRT2;
setLinalgThreads(1);
const x = { rows: N, cols: d, data: new Rng(42).normals(N * d) };
const spec = serial(dense(1024, { wStd }), relu(), dense(1024, { wStd }), relu(), dense(1, { wStd }));
const linalg = getLinalg();
const phases = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
const time = <T>(name: string, f: () => T): T => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const v = f();
  const c = process.cpuUsage(c0);
  const list = phases.get(name) ?? [];
  list.push((performance.now() - t0) / 1000);
  phases.set(name, list);
  const cl = cpu.get(name) ?? [];
  cl.push((c.user + c.system) / 1e6);
  const sl = cpu.get(name + " (sys)") ?? [];
  sl.push(c.system / 1e6);
  cpu.set(name + " (sys)", sl);
  cpu.set(name, cl);
  return v;
};
console.log(`N = ${N}, d = ${d}, 1 thread, backend ${linalg.name}; load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
for (let r = 0; r < reps; r++) {
  const t0 = performance.now();
  const fn = bindKernel(spec, d);
  const norms = time('row norms', () => rowSquaredNorms(x));
  const k = time('Gram into shared k (syrk)', () => {
    const b = sharedFloat64(N * N);
    inputGramInto(linalg, x, null, b);
    return b;
  });
  const t = time('shared t alloc', () => sharedFloat64(N * N));
  time('tile loop', () => computeRows({ fn, norms1: norms, norms2: norms, inputDim: d }, N, k, t, { r0: 0, r1: N, symmetric: true, writeNngp: false }));
  time('finite scan', () => assertFiniteKernel({ rows: N, cols: N, data: t }, 'NTK', 1));
  const list = phases.get('total') ?? [];
  list.push((performance.now() - t0) / 1000);
  phases.set('total', list);
}
for (const [name, v] of phases) {
  const sys = cpu.get(name + " (sys)") ?? [];
  const c = cpu.get(name) ?? [];
  console.log(`${name.padEnd(26)} wall min ${Math.min(...v).toFixed(3)} s [${v.map((s) => s.toFixed(3)).join(', ')}]  cpu min ${c.length ? Math.min(...c).toFixed(3) : "-"} s (sys ${sys.length ? Math.min(...sys).toFixed(3) : "-"})`);
}
console.log(`load ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
