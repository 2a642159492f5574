// Synthetic labels for the out-of-core scan benchmark (bench/scan60k.sh): a fixed random teacher, a 2-layer ReLU net
// d → 256 → 10 with standard-normal weights (xorshift32 + Box–Muller, seed S), labels = argmax of its 10 outputs on
// each row of X. The hidden units are centred (their mean over the training rows, from the file named by the 5th
// argument, is subtracted) so that the 10 classes are roughly balanced. The labels are a deterministic function of
// the inputs, so the task is learnable (a kernel regressor's test accuracy rises above the 10 % of chance).
// Usage: node bench/synthTeacher.mjs X.npy S out.npy [XTRAIN.npy]   (needs dist/: npx tsc -p tsconfig.build.json)
// Writes float64 labels 0..9, shape (N,), and prints the class counts.
import { readMatrix, writeNpy } from '../dist/io/npy.js';
const [xPath, seedText, out, trainPath] = process.argv.slice(2, 6);
const H = 256;
const K = 10;
let s = Number(seedText) >>> 0 || 1;
const rnd = () => {
  s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
  return (s + 0.5) / 2 ** 32;
};
const normal = () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
const x = readMatrix(xPath);
const d = x.cols;
const w1 = Float64Array.from({ length: H * d }, normal);
const w2 = Float64Array.from({ length: K * H }, normal);
const hidden = (m) => {
  const h = new Float64Array(m.rows * H);
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < H; j++) {
      let a = 0;
      for (let c = 0; c < d; c++) a += w1[j * d + c] * m.data[i * d + c];
      h[i * H + j] = Math.max(0, a / Math.sqrt(d));
    }
  }
  return h;
};
const hTrain = hidden(trainPath ? readMatrix(trainPath) : x);
const mean = new Float64Array(H);
const nTrain = hTrain.length / H;
for (let i = 0; i < nTrain; i++) for (let j = 0; j < H; j++) mean[j] += hTrain[i * H + j] / nTrain;
const h = trainPath ? hidden(x) : hTrain;
const labels = new Float64Array(x.rows);
const counts = new Array(K).fill(0);
for (let i = 0; i < x.rows; i++) {
  let best = -Infinity;
  for (let k = 0; k < K; k++) {
    let o = 0;
    for (let j = 0; j < H; j++) o += w2[k * H + j] * (h[i * H + j] - mean[j]);
    if (o > best) {
      best = o;
      labels[i] = k;
    }
  }
  counts[labels[i]]++;
}
writeNpy(out, { shape: [x.rows], data: labels });
console.log(`${out}: ${x.rows} labels, class counts ${counts.join(' ')}`);
