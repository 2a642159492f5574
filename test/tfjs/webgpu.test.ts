import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { float64Arrays } from '../../src/dynamics/arrays.js';
import { scheduledSolveBatch } from '../../src/dynamics/scheduledFlow.js';
import { runNodeAsync } from '../cliHelpers.js';
import { relToMax } from '../helpers.js';
import { flattenFlow, flowProblem, runChecks, type CheckResults } from './webgpuChecks.js';

/**
 * The webgpu backend (Dawn, the optional `webgpu` package) against wasm, on the same small problems: forward
 * pass, gradients, a short training run, the structured empirical NTK and the batched float32 flow (that one
 * also against float64). Without a GPU (CI) Dawn runs on SwiftShader, the Vulkan-on-CPU driver that Debian's
 * chromium ships; the webgpu side runs in a child process because the Vulkan loader's path must be set before
 * Node starts. Skipped, with the reason, where no WebGPU adapter exists.
 *
 * Tolerances are relative to the largest entry of the reference. The two backends sum float32 products in
 * different orders (tiled GPU shaders against XNNPACK), each rounding at 6e-8 per operation; over the ≤ 32-term
 * dot products here that stays below ~1e-6, so 1e-5 leaves a 10× margin and still catches any wrong kernel (an
 * error is O(1)). Training compounds six steps of that (1e-4). The flow's 2e-5 is the float32-vs-float64 bound
 * of the existing tfjs flow test (rounding over ~100 adaptive steps at rtol 1e-6).
 */
const require = createRequire(import.meta.url);
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Runs the child; asynchronously, so that this worker keeps answering vitest while it waits. */
async function webgpuSide(): Promise<CheckResults | { skip: string }> {
  try {
    require.resolve('webgpu');
  } catch {
    return { skip: 'the optional package "webgpu" is not installed' };
  }
  const env = { ...process.env };
  if (!env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER)) {
    env.VK_ICD_FILENAMES = SWIFTSHADER;
    env.LD_LIBRARY_PATH = ['/usr/lib/chromium', env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  }
  const r = await runNodeAsync(['--import', 'tsx', 'test/tfjs/webgpuChild.ts'], { env, timeout: 280_000 });
  if (r.status !== 0) throw new Error(`webgpu child failed (status ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as CheckResults | { skip: string };
}

const gpu = await webgpuSide();
const skip = 'skip' in gpu ? gpu.skip : null;
if (skip) console.info(`webgpu tests skipped: ${skip}`);

describe.skipIf(skip !== null)('webgpu backend (SwiftShader in CI) against wasm', () => {
  const g = gpu as CheckResults & { auto: { backend: string; reason: string }; software: boolean };
  it("'auto' takes a hardware adapter and never a software one (SwiftShader)", () => {
    if (g.software) {
      expect(g.auto.backend).not.toBe('webgpu');
      expect(g.auto.reason).toMatch(/software renderer .*not picked automatically/);
    } else {
      expect(g.auto.backend).toBe('webgpu');
    }
  });

  let wasm: CheckResults;
  const report: string[] = [];
  it('runs on webgpu, and the same checks on wasm', async () => {
    expect(g.backend).toBe('webgpu');
    console.info(`webgpu adapter: ${g.adapter}; seconds ${JSON.stringify(g.seconds)}`);
    wasm = await runChecks('wasm');
    expect(wasm.backend).toBe('wasm');
  }, 120_000);

  it('forward pass and gradients agree with wasm (1e-5 of the largest entry)', () => {
    const f = relToMax(g.forward, wasm.forward);
    const d = relToMax(g.gradient, wasm.gradient);
    report.push(`forward ${f.toExponential(1)}, gradient ${d.toExponential(1)}`);
    expect(f).toBeLessThan(1e-5);
    expect(d).toBeLessThan(1e-5);
  });

  it('a short training run (6 SGD steps with λ, probe NTK) follows wasm (1e-4)', () => {
    expect(g.training.map((r) => r.step)).toEqual(wasm.training.map((r) => r.step));
    const pick = (rs: CheckResults['training']) => rs.flatMap((r) => [r.trainLoss, r.testLoss, r.paramNorm2, r.kernelTrace ?? 0]);
    const e = relToMax(pick(g.training), pick(wasm.training));
    // a run that did not move would pass trivially: the loss must fall
    expect(g.training[g.training.length - 1].trainLoss).toBeLessThan(0.9 * g.training[0].trainLoss);
    report.push(`training ${e.toExponential(1)}`);
    expect(e).toBeLessThan(1e-4);
  });

  it('the structured empirical NTK and the network\'s NNGP estimate agree with wasm (1e-5)', () => {
    expect(g.ntkBackend).toBe('webgpu');
    const e = relToMax(g.ntk, wasm.ntk);
    const n = relToMax(g.nngp, wasm.nngp);
    report.push(`ntk ${e.toExponential(1)}, nngp ${n.toExponential(1)}`);
    expect(e).toBeLessThan(1e-5);
    expect(n).toBeLessThan(1e-5);
  });

  it('the batched float32 flow agrees with float64 and with wasm (2e-5)', () => {
    const { eb, schedules, times } = flowProblem();
    const f64 = flattenFlow(scheduledSolveBatch(eb, schedules, 3, times, { arrays: float64Arrays }).solutions);
    const vs64 = relToMax(g.flow, f64);
    const vsWasm = relToMax(g.flow, wasm.flow);
    report.push(`flow vs float64 ${vs64.toExponential(1)}, vs wasm ${vsWasm.toExponential(1)} (${g.flowSteps} vs ${wasm.flowSteps} steps)`);
    console.info(`webgpu vs wasm, relative to the largest entry: ${report.join('; ')}`);
    expect(vs64).toBeLessThan(2e-5);
    expect(vsWasm).toBeLessThan(2e-5);
  });
});
