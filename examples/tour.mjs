// The README's five-minute tour, in plain JavaScript (ES module): kernel → flow → scan → train.
// In this repository: `node examples/tour.mjs` (after `npm run build`). In your own project (after
// `npm install ntk-l2`), copy this file and node_modules/ntk-l2/examples/digits128.npy side by side and run
// `node tour.mjs`. The same steps in TypeScript, with types: examples/tour.ts.
import { bestTime, bundledDataset, eigenbasis, lambdaScan, logspace, mseOverTime, ntkKernel, parseSpec, readMatrix, spectralSolve, trainRun } from 'ntk-l2';

// 1. Kernel: the analytic NTK (float64, NTK parameterization) of a bias-free 3-layer ReLU net on 128 real digits.
const net = parseSpec('[dense(512, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
const x = readMatrix(new URL('./digits128.npy', import.meta.url).pathname); // 128×784 (stored float32, read as float64)
const theta = await ntkKernel(net, x); // 128×128, row-major Float64Array
console.log(`1. kernel: NTK ${theta.rows}×${theta.cols} of ${x.rows} digits (d = ${x.cols}), Θ(x₀, x₀) = ${Number(theta.data[0]).toFixed(4)}`);

// 2. Flow: the infinite-width L2 gradient flow (λ = 0.01, depth L = 3) on 256/256 bundled MNIST digits.
const data = bundledDataset('mnist:256:256'); // inputs with |x|² = d, centred one-hot targets (0.9 / −0.1)
const eb = eigenbasis({
  thetaTrain: await ntkKernel(net, data.x), // n×n
  y: data.y, // n×10
  thetaTest: await ntkKernel(net, data.xTest, data.x), // m×n (test × train)
  yTest: data.yTest, // m×10
}); // one eigendecomposition of Θ/n, shared by every λ, depth and time below
const times = Float64Array.from(logspace(0.1, 1e4, 60)); // physical times t
const flow = spectralSolve(eb, 0.01, 3, times); // closed form: f on train and test at each time
const testMse = mseOverTime(flow.fTest ?? new Float64Array(0), data.yTest, times.length); // (1/m)Σ|f − y|² per time
const best = bestTime(testMse, times, 'min');
console.log(`2. flow: best test MSE ${best.value.toFixed(4)} at t* = ${best.t.toFixed(1)} (λ = 0.01, L = 3)`);

// 3. Scan: t* for five values of λ and the log-log slope of t* against λ (theory: t* ∝ 1/λ, slope −1).
const scan = lambdaScan(eb, logspace(1e-3, 1e-1, 5), 3);
console.log(`3. scan: slope of log t* vs log λ = ${scan.slopeMse.slope.toFixed(3)} ± ${scan.slopeMse.stderr.toFixed(3)} (best test MSE)`);

// 4. Train: a finite 784-128-10 ReLU net with SGD + L2 on the same digits (float32, TensorFlow.js).
const run = await trainRun({
  spec: parseSpec('dense(128, wStd=1.41421356) > relu > dense(10, wStd=1.41421356)'),
  data,
  lr: 0.5, // η; physical time t = η·steps
  budget: 40, // T: 80 steps
  lambda: 1e-2, // constant L2 coefficient λ
  batchSize: 64,
});
console.log(`4. train: ${run.steps} steps on ${run.backend}, best test accuracy ${run.bestTestAcc.toFixed(3)} at t = ${run.tStarAcc}`);
