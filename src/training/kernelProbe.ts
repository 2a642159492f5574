import type { Tensor, Tensor2D } from '@tensorflow/tfjs';
import { structuredNtk } from '../kernels/structuredNtk.js';
import type { BoundFiniteNetwork } from '../layers/network.js';

/**
 * The empirical NTK of the current network on the m probe points (structured method, Θ averaged over the
 * outputs, m×m), logged as trace/m (the mean diagonal, whose decay under L2 the theory predicts) and as the
 * Frobenius norm over m.
 */
export async function probeKernel(net: BoundFiniteNetwork, params: readonly (readonly Tensor[])[], probe: Tensor2D): Promise<{ kernelTrace: number; kernelFrob: number }> {
  const k = (await structuredNtk(net, params, probe, null)).ntk;
  const m = probe.shape[0];
  let tr = 0;
  let fr = 0;
  for (let i = 0; i < m; i++) tr += k[i * m + i];
  for (let i = 0; i < k.length; i++) fr += k[i] * k[i];
  return { kernelTrace: tr / m, kernelFrob: Math.sqrt(fr) / m };
}
