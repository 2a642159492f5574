import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { builtin } from './builtin.js';
import { reduceToDiagonal } from './spatial.js';
import { SpecError } from './specError.js';
import type { FiniteDelta, FiniteValue, KernelBlock, KernelValue, Layer } from './types.js';
import { isList, listOf, singleDelta } from './values.js';

/**
 * Sums a list of values (after parallel), like neural-tangents' `stax.FanInSum`: finite outputs add, and so do the
 * kernels, which is exact when the branches' outputs are independent at infinite width (a branch ending in a
 * weight layer is independent of the others; the identity skip of `residual` with a block ending in dense, as in
 * ResNets). No parameters; δ goes back unchanged to every term.
 */
export function fanInSum(): Layer {
  const layer: Layer = builtin({
    json: { type: 'fanInSum' },
    outWidth: (w: number) => w,
    listOut(list: number | undefined): undefined {
      if (list === undefined) throw new SpecError('fanInSum sums a list of values: put it after parallel');
      return undefined;
    },
    hasWeights: false,
    homogeneity: 0,
    scaleParams: () => layer,
    gaussianOutput: 'ifInput', // a sum of independent centred Gaussian units is centred Gaussian
    kernel: () => (v: KernelValue): KernelValue => sumBlocks(listOf<KernelBlock>(v, 'fanInSum')),
    finite: () => ({
      paramShapes: [],
      init: () => [],
      apply(_params: readonly Tensor[], x: FiniteValue): FiniteValue {
        const tf = tfRuntime();
        const xs = listOf<Tensor2D>(x, 'fanInSum');
        return xs.slice(1).reduce<Tensor2D>((s, t) => tf.add(s, t), xs[0]);
      },
      structured: {
        addParamNtk: () => undefined, // no parameters
        backward(_params: readonly Tensor[], x: FiniteValue, delta: FiniteDelta): FiniteDelta {
          const d = singleDelta(delta, 'fanInSum');
          return listOf<Tensor2D>(x, 'fanInSum').map((): Tensor3D => d.clone());
        },
      },
    }),
  });
  return layer;
}

/** The entrywise sum of records, written into the first ((b0 + b1) + b2 …, in list order). */
function sumBlocks(list: readonly KernelBlock[]): KernelBlock {
  // branches may end in different spatial modes (an identity branch keeps 'full'): add them as 'diagonal'
  const blocks = list.every((b) => b.mode === list[0].mode) ? list : list.map(reduceToDiagonal);
  const [first, ...rest] = blocks;
  const add = (acc: Float64Array | null, pick: (b: KernelBlock) => Float64Array | null): Float64Array | null => {
    if (acc === null) return null;
    for (const b of rest) {
      const v = pick(b);
      if (v === null) return null;
      for (let i = 0; i < acc.length; i++) acc[i] += v[i];
    }
    return acc;
  };
  if (isList(first)) throw new Error('internal: nested lists');
  return {
    ...first,
    nngp: add(first.nngp, (b) => b.nngp)!,
    ntk: add(first.ntk, (b) => b.ntk),
    cov1: add(first.cov1, (b) => b.cov1)!,
    ntk1: add(first.ntk1, (b) => b.ntk1),
    cov2: add(first.cov2, (b) => b.cov2)!,
    ntk2: add(first.ntk2, (b) => b.ntk2),
  };
}
