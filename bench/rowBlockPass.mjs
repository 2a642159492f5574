// One pass over a kernel file in row blocks (what one Krylov iteration reads), with Y = K·V for V of k columns
// done in plain JS as a stand-in for the solver's product. Usage: node bench/rowBlockPass.mjs K.npy [k=10] [MiB=64]
import { openNpyRowBlocks } from '../dist/io/npyRowBlocks.js';
const [path, kArg, mib] = process.argv.slice(2);
const k = Number(kArg ?? 10);
const src = openNpyRowBlocks(path, { maxBufferBytes: Number(mib ?? 64) * 2 ** 20 });
const n = src.cols;
const V = new Float64Array(n * k).map((_, i) => Math.sin(i));
const Y = new Float64Array(src.rows * k);
let readMs = 0;
const t0 = performance.now();
for (let r = 0; r < src.rows; r += src.maxBlockRows) {
  const c = Math.min(src.maxBlockRows, src.rows - r);
  const a = performance.now();
  const B = src.readRows(r, c);
  readMs += performance.now() - a;
  for (let i = 0; i < c; i++) {
    const row = i * n;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += B.data[row + l] * V[l * k + j];
      Y[(r + i) * k + j] = s;
    }
  }
}
const total = performance.now() - t0;
src.close();
const bytes = src.rows * n * (src.dtype === 'float32' ? 4 : 8);
console.log(JSON.stringify({ path, rows: src.rows, cols: n, dtype: src.dtype, blockRows: src.maxBlockRows, k, readSeconds: readMs / 1000, passSeconds: total / 1000, readGBps: bytes / 1e9 / (readMs / 1000), rss: process.memoryUsage().rss }));
