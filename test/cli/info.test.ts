import { describe, expect, it } from 'vitest';
import { nativeKernels } from '../../src/linalg/nativeKernels.js';
import { CLI_ENV, runCliAsync } from '../cliHelpers.js';

interface InfoTfjs {
  backend: string;
  matMul?: string;
  patches?: string;
  sgdStep?: string;
  reluGrad?: string;
  batchNorm?: string;
  twoThreads?: string;
  scale?: string;
}

async function tfjsInfo(env: NodeJS.ProcessEnv): Promise<InfoTfjs> {
  const r = await runCliAsync(['info'], { env });
  expect(r.status).toBe(0);
  return (JSON.parse(r.stdout) as { tfjs: InfoTfjs }).tfjs;
}

describe('ntk info names what runs the finite nets on wasm', () => {
  it('patch kernels, the SGD step, relu\'s gradient, batchNorm and the two-thread halves: native / fused by default, the tfjs forms when switched off', async () => {
    const on = await tfjsInfo(CLI_ENV);
    expect(on.backend).toBe('wasm');
    // the native form needs the kernels addon built with patchGather (CI builds it; a machine without a C compiler does not)
    if (nativeKernels()?.patchGather) expect(on.patches).toMatch(/^native im2col\/col2im/);
    else expect(on.patches).toMatch(/tfjs slices and concat/);
    expect(on.sgdStep).toMatch(/^fused/);
    if (nativeKernels()?.reluGrad) expect(on.reluGrad).toMatch(/^fused/);
    else expect(on.reluGrad).toMatch(/^tfjs ops/);
    if (nativeKernels()?.batchNormTrain) expect(on.batchNorm).toMatch(/^fused/);
    else expect(on.batchNorm).toMatch(/^tfjs ops/);
    if (nativeKernels()?.useTwoThreads) expect(on.twoThreads).toMatch(/^two halves|^one thread \(native linalg/);
    else expect(on.twoThreads).toMatch(/^one thread/);
    if (nativeKernels()?.scale) expect(on.scale).toMatch(/^native/);
    else expect(on.scale).toMatch(/^stock Multiply/);
    const off = await tfjsInfo({ ...CLI_ENV, NTK_NATIVE_PATCHES: '0', NTK_FUSED_SGD: '0', NTK_NATIVE_RELU_GRAD: '0', NTK_NATIVE_BATCH_NORM: '0', NTK_NATIVE_TWO_THREADS: '0', NTK_NATIVE_SCALE: '0' });
    expect(off.patches).toBe('disabled by NTK_NATIVE_PATCHES=0 (tfjs slices and concat)');
    expect(off.sgdStep).toBe('tfjs ops (NTK_FUSED_SGD=0)');
    expect(off.reluGrad).toBe('tfjs ops (NTK_NATIVE_RELU_GRAD=0)');
    expect(off.batchNorm).toBe('tfjs ops (NTK_NATIVE_BATCH_NORM=0)');
    expect(off.twoThreads).toBe('one thread (NTK_NATIVE_TWO_THREADS=0)');
    expect(off.scale).toBe('stock Multiply (NTK_NATIVE_SCALE=0)');
  }, 60_000);

  it('NTK_SGEMM chooses what computes the products (the own fma product by default where the CPU has AVX2+FMA, OpenBLAS on request); a bad value is said once and ignored', async () => {
    const { loadNativeAddon } = await import('../../src/linalg/native.js');
    const addon = loadNativeAddon().addon;
    if (!addon || typeof addon.setSgemmKernel !== 'function') return; // an addon without it has OpenBLAS only
    const own = addon.info().sgemmKernel !== 'openblas';
    const on = await tfjsInfo(CLI_ENV);
    if (own) expect(on.matMul).toMatch(/^the addon's own fused-multiply-add sgemm \((avx512|avx2) kernel; the same bits at any thread count\)/);
    else expect(on.matMul).toMatch(/^OpenBLAS sgemm/);
    const blas = await tfjsInfo({ ...CLI_ENV, NTK_SGEMM: 'openblas' });
    expect(blas.matMul).toMatch(/^OpenBLAS sgemm \(/);
    const portable = await tfjsInfo({ ...CLI_ENV, NTK_SGEMM: 'portable' });
    expect(portable.matMul).toMatch(/\(portable kernel;/);
    const r = await runCliAsync(['info'], { env: { ...CLI_ENV, NTK_SGEMM: 'fastest' } });
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('ntk: NTK_SGEMM'))).toEqual([
      'ntk: NTK_SGEMM must be one of auto, avx512, avx2, portable, openblas, got "fastest"; ignored (auto)',
    ]);
  }, 60_000);

  it('an invalid NTK_SGEMM_SPLIT_FROM or NTK_SGEMM_ONE_THREAD_BELOW is said once on stderr and ignored (the defaults run)', async () => {
    const r = await runCliAsync(['info'], { env: { ...CLI_ENV, NTK_SGEMM_SPLIT_FROM: 'many', NTK_SGEMM_ONE_THREAD_BELOW: '-3' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('ntk: NTK_SGEMM_SPLIT_FROM must be a number ≥ 0, got "many"; ignored (1048576)');
    expect(r.stderr).toContain('ntk: NTK_SGEMM_ONE_THREAD_BELOW must be a number ≥ 0, got "-3"; ignored (0)');
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('ntk: NTK_SGEMM')).length).toBe(2);
  }, 60_000);
});
