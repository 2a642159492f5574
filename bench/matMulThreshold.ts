/**
 * Where OpenBLAS sgemm starts to beat the stock XNNPACK BatchMatMul of tfjs-wasm: a 128×s by s×s product (the
 * shapes of a batch-128 layer of width s), each side's best of two alternated rounds.
 * Run: npx tsx bench/matMulThreshold.ts
 */
import { initTfjs, tf } from '../src/tfjs/backend.js';
import { installNativeMatMul, nativeMatMulState, uninstallNativeMatMul } from '../src/tfjs/nativeMatMul.js';

await initTfjs('wasm');
if (!nativeMatMulState().active) {
  console.log(`skipped: ${nativeMatMulState().reason}`);
  process.exit(0);
}
const time = (f: () => void, reps: number): number => {
  f();
  const t = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t) / reps;
};
for (const s of [8, 16, 24, 32, 48, 64, 128, 256, 1024]) {
  const a = tf.randomNormal([128, s]);
  const b = tf.randomNormal([s, s]);
  const run = (): void => tf.tidy(() => void tf.matMul(a, b).dataSync());
  const reps = s >= 1024 ? 20 : 300;
  const native: number[] = [];
  const stock: number[] = [];
  for (let r = 0; r < 2; r++) {
    installNativeMatMul();
    native.push(time(run, reps));
    uninstallNativeMatMul();
    stock.push(time(run, reps));
  }
  installNativeMatMul();
  console.log(`128×${s} · ${s}×${s} (${128 * s * s} multiply-adds): OpenBLAS ${Math.min(...native).toFixed(4)} ms, XNNPACK ${Math.min(...stock).toFixed(4)} ms`);
}
