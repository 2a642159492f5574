import type { Tensor, Tensor3D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { builtin, isBuiltin } from './builtin.js';
import { derivedGaussian, runSweep, serial, splitParams, type SerialLayer } from './serial.js';
import { SpecError } from './specError.js';
import { modeBefore, shapeAfter } from './spatial.js';
import type { FiniteDelta, FiniteTransform, FiniteValue, KernelBlock, KernelValue, Layer, LayerContext, LayerShape, NtkAccumulator, SpatialMode, StructuredNtkRule } from './types.js';
import { copyBlock, isList, singleValue, tidyPair, tidyValue } from './values.js';

/**
 * Fans its single input out to the branches (each a list of layers, run as a serial) and outputs the list of their
 * outputs, like neural-tangents' `stax.parallel` after `FanOut`. Follow it with fanInSum. Kernel: each branch
 * transforms its own copy of the input record. Finite form: the branches' parameters concatenated in branch order.
 * Homogeneity: the common degree of the branches (null when they differ: a sum of terms of different degrees is
 * not homogeneous). The branches must give equal widths (what fanInSum needs; one-line SpecError otherwise).
 * @param branches - each a layer or a list of layers (an empty list is the identity)
 * @returns the layer feeding its input to every branch; follow it with `fanInSum()`
 */
export function parallel(...branches: (readonly Layer[] | Layer)[]): Layer {
  if (branches.length === 0) throw new SpecError('parallel needs at least one branch');
  const arms: SerialLayer[] = branches.map((b) => (isList<Layer>(b) ? serial(...b) : serial(b)));
  return parallelOf(arms);
}

function parallelOf(arms: readonly SerialLayer[]): Layer {
  const degrees = arms.map((a) => a.homogeneity);
  const d0 = degrees[0];
  const layer: Layer = {
    json: { type: 'parallel', branches: arms.map((a) => a.layers.map((l) => l.json)) },
    outWidth(fanIn: number): number {
      const widths = arms.map((a) => a.outWidth(fanIn));
      if (widths.some((w) => w !== widths[0])) {
        throw new SpecError(`parallel: the branches give widths ${widths.join(', ')}; they must agree (fanInSum adds them)`);
      }
      return widths[0];
    },
    outShape(input: LayerShape): LayerShape {
      const shapes = arms.map((a) => shapeAfter(a, input));
      const key = (sh: LayerShape): string => [...sh.spatial, sh.width].join('×');
      if (shapes.some((sh) => key(sh) !== key(shapes[0]))) {
        const what = shapes.every((sh) => sh.spatial.length === 0) ? 'widths' : 'shapes';
        throw new SpecError(`parallel: the branches give ${what} ${shapes.map(key).join(', ')}; they must agree (fanInSum adds them)`);
      }
      return shapes[0];
    },
    // the input must hold what the most demanding branch needs
    inputMode: (out: SpatialMode): SpatialMode => (arms.some((a) => modeBefore(a, out) === 'full') ? 'full' : 'diagonal'),
    listOut(list: number | undefined): number {
      if (list !== undefined) throw new SpecError(`parallel takes a single input, got a list of ${list}: add fanInSum first`);
      arms.forEach((a, i) => {
        if (a.listOut?.(undefined) !== undefined) throw new SpecError(`branches[${i}] ends with a list: add fanInSum at its end`);
      });
      return arms.length;
    },
    hasWeights: arms.some((a) => a.hasWeights),
    homogeneity: d0 !== null && degrees.every((d) => d === d0) ? d0 : null,
    scaleParams: (s: number) => parallelOf(arms.map((a) => a.scaleParams(s) as SerialLayer)),
    children: arms,
    withChildren: (c: readonly Layer[]) => parallelOf(c.map((a) => (a.children ? serial(...a.children) : serial(a)))),
    // each value of the list is Gaussian when every branch's output is
    gaussianOutput: derivedGaussian((g) => arms.every((a) => a.gaussianOutput === 'always' || (a.gaussianOutput === 'ifInput' && g))),
    kernel(ctx: LayerContext) {
      // The kernels of the branches are summed by fanInSum as if their outputs were independent. A branch ending in
      // fresh zero-mean weights (gaussianOutput 'always': dense) is independent of every other branch at infinite
      // width; two branches that are not (identity, an activation) are correlated, and their sum's kernel would be
      // wrong, so it is refused rather than computed.
      const shared = arms.filter((a) => a.gaussianOutput !== 'always').length;
      if (shared > 1) {
        throw new SpecError(`parallel: ${shared} branches do not end in a weight layer, so their outputs are correlated and the analytic kernel of their sum is not the sum of their kernels; end all but one branch with dense`);
      }
      const fns = arms.map((a, i) => bindBranch(i, () => a.kernel(ctx)));
      return (v: KernelValue): KernelValue => {
        if (isList(v)) throw new SpecError(`parallel takes a single input, got a list of ${v.length}: add fanInSum first`);
        // copies first: the branches update their records in place; the last branch takes the original
        const inputs: KernelBlock[] = fns.map((_, i) => (i < fns.length - 1 ? copyBlock(v) : v));
        return fns.map((f, i) => f(inputs[i]) as KernelBlock);
      };
    },
    finite(ctx: LayerContext): FiniteTransform {
      return parallelFinite(arms.map((a, i) => bindBranch(i, () => a.finite!(ctx))));
    },
  };
  return arms.every(isBuiltin) ? builtin(layer) : layer;
}

/** Binds branch i, naming it in a SpecError. */
function bindBranch<T>(i: number, bind: () => T): T {
  try {
    return bind();
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`branches[${i}]: ${e.message}`);
    throw e;
  }
}

/** Finite parallel: each branch on the same input; δ at the input is the sum of the branches' (in branch order). */
function parallelFinite(arms: readonly FiniteTransform[]): FiniteTransform {
  const rules = arms.map((a) => a.structured);
  const sum = (ds: readonly FiniteDelta[]): FiniteDelta => {
    const tf = tfRuntime();
    return ds.slice(1).reduce<Tensor3D>((s, d) => tf.add(s, d as Tensor3D), ds[0] as Tensor3D);
  };
  const deltas = (d: FiniteDelta): readonly FiniteDelta[] => {
    if (!isList(d) || d.length !== arms.length) throw new Error(`internal: parallel expects ${arms.length} sensitivities`);
    return d;
  };
  const sweep = (params: readonly Tensor[], x1: FiniteValue, x2: FiniteValue | null, d1: FiniteDelta, d2: FiniteDelta | null, acc: NtkAccumulator | null) =>
    tidyPair(() => {
      const groups = splitParams(arms, params);
      const dd1 = deltas(d1);
      const dd2 = d2 === null ? null : deltas(d2);
      const ins = rules.map((r, i) => runSweep(r!, groups[i], x1, x2, dd1[i], dd2 ? dd2[i] : null, acc));
      const a = sum(ins.map((p) => p[0]));
      return [a, x2 === null ? a : sum(ins.map((p) => p[1]))] as const;
    });
  const structured: StructuredNtkRule | null = rules.every((r) => r !== null)
    ? {
        addParamNtk(params, x1, x2, d1, d2, acc): void {
          const groups = splitParams(arms, params);
          const dd1 = deltas(d1);
          const dd2 = d2 === null ? null : deltas(d2);
          rules.forEach((r, i) => r!.addParamNtk(groups[i], x1, x2, dd1[i], dd2 ? dd2[i] : null, acc));
        },
        backward: (params, x, delta) => {
          const groups = splitParams(arms, params);
          const dd = deltas(delta);
          return tidyValue(() => sum(rules.map((r, i) => r!.backward(groups[i], x, dd[i]))));
        },
        sweep,
      }
    : null;
  return {
    paramShapes: arms.flatMap((a) => a.paramShapes),
    init: (rng) => arms.flatMap((a) => a.init(rng)),
    apply(params: readonly Tensor[], x: FiniteValue): FiniteValue {
      const groups = splitParams(arms, params);
      const input = singleValue(x, 'parallel');
      return arms.map((a, i) => singleValue(a.apply(groups[i], input), `branches[${i}]`));
    },
    structured,
  };
}
