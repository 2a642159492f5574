// Synthetic inputs for the out-of-core benchmarks: N×d standard normals (xorshift32 + Box–Muller, seed S), float64 .npy.
// Usage: node bench/synthInputs.mjs N d S out.npy   (needs dist/: npx tsc -p tsconfig.build.json)
import { writeNpy } from '../dist/io/npy.js';
const [n, d, seed] = process.argv.slice(2, 5).map(Number);
const out = process.argv[5];
let s = seed >>> 0 || 1;
const rnd = () => {
  s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
  return s / 2 ** 32;
};
const data = new Float64Array(n * d);
for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(-2 * Math.log(rnd() || 2 ** -32)) * Math.cos(2 * Math.PI * rnd());
writeNpy(out, { shape: [n, d], data });
