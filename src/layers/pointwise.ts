import { SpecError } from './specError.js';
import type { KernelBlock, KernelFn, KernelTransform, KernelValue } from './types.js';

/** A pointwise layer's KernelFn, carrying the loops it was built from (tests probe them entry by entry). */
export interface PointwiseKernelFn extends KernelFn {
  readonly pointwise: KernelTransform;
}

/**
 * The KernelFn of a layer acting entry by entry on the record (activations, dense): its `cross` loop on the pair
 * part with the variances before the layer (cov1 at the row, cov2 at the column), then its `diag` loop on the
 * self parts. One helper for every such layer, so the pair part and the self parts cannot drift apart.
 */
export function pointwiseKernel(tr: KernelTransform, name: string): PointwiseKernelFn {
  const fn = (v: KernelValue): KernelValue => {
    const b = singleBlock(v, name);
    // cross first: it reads cov1/cov2 as they were before this layer
    tr.cross({ nr: b.nr, nc: b.nc, k: b.nngp, t: b.ntk, k11: b.cov1, k22: b.cov2 });
    tr.diag({ n: b.nr, k: b.cov1, t: b.ntk1 });
    tr.diag({ n: b.nc, k: b.cov2, t: b.ntk2 });
    return b;
  };
  return Object.assign(fn, { pointwise: tr });
}

/** The cross/diag loops of a pointwise layer's KernelFn; throws for a composite's (it has none). */
export function pointwiseTransform(fn: KernelFn): KernelTransform {
  const tr = (fn as Partial<PointwiseKernelFn>).pointwise;
  if (tr === undefined) throw new TypeError('this kernel is not pointwise: it has no cross/diag loops');
  return tr;
}

/** The record of a single value; a list (after parallel) is refused in one line. */
export function singleBlock(v: KernelValue, name: string): KernelBlock {
  if (isBlockList(v)) throw new SpecError(`${name} takes a single input, got a list of ${v.length}: add fanInSum after parallel`);
  return v;
}

/** Whether a kernel value is a list (after parallel). */
export function isBlockList(v: KernelValue): v is readonly KernelBlock[] {
  return Array.isArray(v);
}
