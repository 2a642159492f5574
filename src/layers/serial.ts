import type { Tensor } from '@tensorflow/tfjs';
import { builtin, isBuiltin } from './builtin.js';
import { SpecError } from './specError.js';
import type {
  FiniteDelta,
  FiniteTransform,
  FiniteValue,
  KernelFn,
  KernelValue,
  Layer,
  LayerContext,
  NetworkSpec,
  LayerShape,
  NtkAccumulator,
  Parameterization,
  SpatialMode,
  StructuredNtkRule,
} from './types.js';
import { disposeValue, isList, tensorsOf, tidyValue } from './values.js';
import { formatSpatial, modeBefore, reducingTo, shapeAfter } from './spatial.js';

/** A composite of layers in order that is also a network spec (its `layers`, NTK parameterization). */
export interface SerialLayer extends Layer, NetworkSpec {
  readonly children: readonly Layer[];
}

/**
 * Composes layers in order, like neural-tangents' `stax.serial`: a Layer (usable inside parallel, residual or
 * another serial) and a spec in the NTK parameterization; for the standard one write
 * `{ ...serial(...), parameterization: 'standard' }`. The public `serial` (src/network/) adds the three faces
 * init / apply / kernel on top of this. Its properties derive from its children: hasWeights (any), homogeneity
 * (the sum, null if any is null), scaleParams (each child's).
 */
export function serial(...layers: Layer[]): SerialLayer {
  const children = [...layers];
  const degrees = children.map((l) => l.homogeneity);
  const layer: SerialLayer = {
    parameterization: 'ntk',
    layers: children,
    children,
    json: { type: 'serial', layers: children.map((l) => l.json) },
    outWidth: (fanIn: number) => children.reduce((w, l) => l.outWidth(w), fanIn),
    listOut: (list: number | undefined) => children.reduce((n, l) => listAfter(l, n), list),
    outShape: (input: LayerShape) => children.reduce((sh, l) => shapeAfter(l, sh), input),
    inputMode: (out: SpatialMode) => children.reduceRight((m, l) => modeBefore(l, m), out),
    hasWeights: children.some((l) => l.hasWeights),
    homogeneity: degrees.some((d) => d === null) ? null : (degrees as number[]).reduce((a, b) => a + b, 0),
    scaleParams: (s: number) => serial(...children.map((l) => l.scaleParams(s))),
    withChildren: (c: readonly Layer[]) => serial(...c),
    gaussianOutput: derivedGaussian((g) => children.reduce<boolean | undefined>((acc, l) => gaussianAfter(l, acc), g)),
    kernel: (ctx: LayerContext) => composeKernels(bindSequence(children, ctx, bindLayerKernel).bound),
    finite: (ctx: LayerContext) => serialFinite(bindSequence(children, ctx, (l, c) => finiteOf(l, c)).bound, 'serial'),
  };
  return children.every(isBuiltin) ? builtin(layer) : layer;
}

/**
 * Walks `layers` in order from the place `ctx`, binding each one at its place with `bind`, and returns the bound
 * values and the place after the last layer. A SpecError is named by position ("layers[2] (layerNorm): …"). The
 * width, the Gaussian law of the units (for layerNorm) and the list length (after parallel) are carried along;
 * a list reaching a layer that takes single values is refused here.
 */
export function bindSequence<T>(
  layers: readonly Layer[],
  ctx: LayerContext,
  bind: (layer: Layer, ctx: LayerContext) => T,
  where = 'layers',
): { bound: T[]; out: LayerContext } {
  // spatial modes backwards: what each layer's output must provide, from the sequence's output to its input
  const outModes: SpatialMode[] = new Array<SpatialMode>(layers.length);
  let need: SpatialMode = ctx.outMode ?? 'diagonal';
  for (let i = layers.length - 1; i >= 0; i--) {
    outModes[i] = need;
    need = modeBefore(layers[i], need);
  }
  let place: LayerContext = ctx;
  const bound = layers.map((layer, i) => {
    try {
      const list = listAfter(layer, place.listLength);
      const spatial = place.spatial ?? [];
      const here: LayerContext = spatial.length > 0 || outModes[i] === 'full' ? { ...place, outMode: outModes[i] } : place;
      const t = bind(layer, here);
      const shape = spatial.length > 0 ? shapeAfter(layer, { spatial, width: place.fanIn }) : layer.outShape ? layer.outShape({ spatial, width: place.fanIn }) : null;
      place = {
        parameterization: place.parameterization,
        fanIn: shape ? shape.width : layer.outWidth(place.fanIn),
        inputGaussian: gaussianAfter(layer, place.inputGaussian),
        ...(list === undefined ? {} : { listLength: list }),
        ...(shape && shape.spatial.length > 0 ? { spatial: shape.spatial } : {}),
        ...(ctx.outMode === undefined ? {} : { outMode: ctx.outMode }),
      };
      return t;
    } catch (e) {
      if (e instanceof SpecError) throw new SpecError(`${where}[${i}] (${layer.json.type}): ${e.message}`);
      throw e;
    }
  });
  return { bound, out: place };
}

/** The list length after `layer`; a layer without `listOut` takes and gives single values. */
function listAfter(layer: Layer, list: number | undefined): number | undefined {
  if (layer.listOut) return layer.listOut(list);
  if (list !== undefined) throw new SpecError(`takes a single input, got a list of ${list}: add fanInSum after parallel`);
  return undefined;
}

/**
 * Whether the units after `layer` are i.i.d. centred Gaussian at infinite width, given whether its input's are;
 * undefined (unknown) after a user-written layer that does not declare `gaussianOutput`, so that layers needing
 * Gaussian input refuse only what is known not to be.
 */
function gaussianAfter(layer: Layer, gaussian: boolean | undefined): boolean | undefined {
  if (layer.gaussianOutput === 'always') return true;
  if (layer.gaussianOutput === 'ifInput') return gaussian;
  return isBuiltin(layer) ? false : undefined;
}

/** A composite's `gaussianOutput` from the map "input Gaussian → output Gaussian" of its children. */
export function derivedGaussian(map: (inputGaussian: boolean) => boolean | undefined): 'always' | 'ifInput' | undefined {
  if (map(false) === true) return 'always';
  return map(true) === true ? 'ifInput' : undefined;
}

/** The kernels of layers in order, as one function. */
export function composeKernels(fns: readonly KernelFn[]): KernelFn {
  return (k: KernelValue) => {
    let v = k;
    for (const f of fns) v = f(v);
    return v;
  };
}

/**
 * A layer's kernel at the place `ctx`; on spatial values, followed by the reduction to 'diagonal' when the
 * layers after it ask for no more (flat values: the kernel itself, untouched).
 */
export function bindLayerKernel(layer: Layer, ctx: LayerContext): KernelFn {
  const fn = layer.kernel(ctx);
  return (ctx.spatial ?? []).length > 0 ? reducingTo(fn, ctx.outMode) : fn;
}

/** The network's kernel bound for inputs of dimension `inputDim`: record of the inputs → record of the outputs. */
export function bindKernel(spec: NetworkSpec, inputDim: number): KernelFn {
  return bindKernelShaped(spec, { spatial: [], width: inputDim }).fn;
}

/** The network's kernel for inputs of shape `input`, and the spatial mode its input record must have. */
export function bindKernelShaped(spec: NetworkSpec, input: LayerShape): { fn: KernelFn; inputMode: SpatialMode } {
  checkSpec(spec);
  // the network's inputs are data, not Gaussian units
  const start: LayerContext = {
    parameterization: spec.parameterization,
    fanIn: input.width,
    inputGaussian: false,
    ...(input.spatial.length > 0 ? { spatial: input.spatial } : {}),
  };
  const { bound, out } = bindSequence(spec.layers, start, bindLayerKernel);
  checkSingleOutput(out);
  checkFlatOutput(out);
  const inputMode = spec.layers.reduceRight<SpatialMode>((m, l) => modeBefore(l, m), 'diagonal');
  return { fn: composeKernels(bound), inputMode };
}

/** The network's output must be flat (one vector per example). */
export function checkFlatOutput(out: LayerContext): void {
  const s = out.spatial ?? [];
  if (s.length > 0) throw new SpecError(`the network ends with spatial values (${formatSpatial(s)}×${out.fanIn}): add flatten or globalAvgPool before the last dense`);
}

/** The network must end with a single value. */
export function checkSingleOutput(out: LayerContext): void {
  if (out.listLength !== undefined) throw new SpecError(`the network ends with a list of ${out.listLength} values: add fanInSum after parallel`);
}

/** A layer's finite form, or a one-line SpecError for a kernel-only layer. */
export function finiteOf(layer: Layer, ctx: LayerContext): FiniteTransform {
  if (typeof layer.finite !== 'function') {
    throw new SpecError('has no finite form: it defines only an infinite-width kernel, so it cannot be part of a finite network or an empirical kernel');
  }
  return layer.finite(ctx);
}

/**
 * The leaf layers in order, depth first through composites' children: what "depth" counts and where hidden
 * widths live.
 */
export function leafLayers(layers: readonly Layer[]): Layer[] {
  return layers.flatMap((l) => (l.children && l.withChildren ? leafLayers(l.children) : [l]));
}

/**
 * Number of weight layers (Dense, inside composites too): the depth L, and the homogeneity degree of a bias-free ReLU/linear MLP.
 * @param spec - the network
 * @returns L, the number of weight layers
 */
export function weightLayerCount(spec: NetworkSpec): number {
  return leafLayers(spec.layers).filter((l) => l.hasWeights).length;
}

/**
 * Output width of the network for a given input width (the number of outputs k).
 * @param spec - the network
 * @param inputDim - the input width d
 * @returns the number of outputs k
 */
export function outputWidth(spec: NetworkSpec, inputDim: number): number {
  return spec.layers.reduce((w, l) => l.outWidth(w), inputDim);
}

/** Output shape of the network for inputs of shape `input` (images: spatial [H, W], width C). */
export function outputShape(spec: NetworkSpec, input: LayerShape): LayerShape {
  return spec.layers.reduce((sh, l) => shapeAfter(l, sh), input);
}

/** Refuses a spec with an unknown parameterization or no layers (one-line SpecError). */
export function checkSpec(spec: NetworkSpec): void {
  const p: Parameterization = spec.parameterization;
  if (p !== 'ntk' && p !== 'standard') {
    throw new SpecError(`parameterization must be "ntk" or "standard", got ${JSON.stringify(p)}`);
  }
  if (spec.layers.length === 0) throw new SpecError('the network has no layers');
}

/**
 * The degree L with f(a·θ) = a^L·f(θ) for a > 0 when every layer declares itself positively homogeneous (see
 * Layer.homogeneity: no biases, ReLU-family or identity activations; composites derive theirs), else null.
 * The output ODE's −Lλf term needs it.
 * @param spec - the network
 * @returns the degree (L for a bias-free ReLU MLP of L weight layers), or null when not positively homogeneous
 */
export function homogeneityDegree(spec: NetworkSpec): number | null {
  let degree = 0;
  for (const l of spec.layers) {
    if (l.homogeneity === null) return null;
    degree += l.homogeneity;
  }
  return degree;
}

/**
 * Whether the network is positively homogeneous in its parameters (homogeneityDegree is not null).
 * @param spec - the network
 * @returns true when f(c·θ) = c^L·f(θ) for c > 0
 */
export function isPositivelyHomogeneous(spec: NetworkSpec): boolean {
  return homogeneityDegree(spec) !== null;
}

// ---- finite forms of layers in sequence ----

/** Splits a composite's flat parameter list into its children's groups. */
export function splitParams(children: readonly FiniteTransform[], params: readonly Tensor[]): (readonly Tensor[])[] {
  let at = 0;
  return children.map((c) => params.slice(at, (at += c.paramShapes.length)));
}

/** The outputs of layers in sequence on x. */
export function applySequence(children: readonly FiniteTransform[], groups: readonly (readonly Tensor[])[], x: FiniteValue): FiniteValue {
  let h = x;
  children.forEach((c, i) => {
    h = c.apply(groups[i], h);
  });
  return h;
}

/** A rule's share and input sensitivities in one pass: its `sweep`, or addParamNtk then backward. */
export function runSweep(
  rule: StructuredNtkRule,
  params: readonly Tensor[],
  x1: FiniteValue,
  x2: FiniteValue | null,
  d1: FiniteDelta,
  d2: FiniteDelta | null,
  acc: NtkAccumulator | null,
): readonly [FiniteDelta, FiniteDelta] {
  if (rule.sweep) return rule.sweep(params, x1, x2, d1, d2, acc);
  if (acc) rule.addParamNtk(params, x1, x2, d1, d2, acc);
  const a = tidyValue(() => rule.backward(params, x1, d1));
  const b = x2 === null ? a : tidyValue(() => rule.backward(params, x2, d2 ?? d1));
  return [a, b];
}

/**
 * The structured rule of layers in sequence: one forward pass keeping each child's input, then from the last
 * child to the first, its parameter share (into `acc`, when given) and δ carried back to its input. Shares arrive
 * last layer first, as the float64 sums always have. Sensitivities are freed as soon as the next ones exist (the
 * caller's `d1`, `d2` are never freed). `atOutput` sees the outputs of the forward pass (the structured NTK's NNGP
 * comes from them). Returns δ at the sequence's input when `wantInput`, else null.
 */
export function sweepSequence(
  children: readonly FiniteTransform[],
  groups: readonly (readonly Tensor[])[],
  x1: FiniteValue,
  x2: FiniteValue | null,
  d1: FiniteDelta,
  d2: FiniteDelta | null,
  acc: NtkAccumulator | null,
  wantInput: boolean,
  atOutput?: (f1: FiniteValue, f2: FiniteValue | null) => void,
): readonly [FiniteDelta, FiniteDelta] | null {
  const forward = (x: FiniteValue): FiniteValue[] => {
    const hs = [x];
    children.forEach((c, i) => hs.push(tidyValue(() => c.apply(groups[i], hs[i]))));
    return hs;
  };
  const hs1 = forward(x1);
  const hs2 = x2 === null ? null : forward(x2);
  atOutput?.(hs1[hs1.length - 1], hs2 ? hs2[hs2.length - 1] : null);
  const given = new Set<Tensor>([...tensorsOf(d1), ...(d2 ? tensorsOf(d2) : [])]);
  let a = d1;
  let b = d2;
  for (let i = children.length - 1; i >= 0; i--) {
    const rule = children[i].structured;
    if (!rule) throw new SpecError(`layers[${i}] has no structured NTK rule: use the Jacobian method (--method jacobian)`);
    const h2 = hs2 ? hs2[i] : null;
    if (i === 0 && !wantInput) {
      if (acc) rule.addParamNtk(groups[i], hs1[i], h2, a, b, acc);
      // δ at the first child's output is not needed further: free it (never the caller's)
      disposeValue(a, given);
      if (b !== null) disposeValue(b, given);
      break;
    }
    const [na, nb] = runSweep(rule, groups[i], hs1[i], h2, a, b, acc);
    disposeValue(a, given);
    if (b !== null) disposeValue(b, given);
    a = na;
    b = hs2 ? nb : null;
  }
  // free the activations made here, never the inputs (identity passes its input through)
  const inputs = new Set<Tensor>([...tensorsOf(x1), ...(x2 ? tensorsOf(x2) : [])]);
  for (const hs of hs2 ? [hs1, hs2] : [hs1]) for (const h of hs.slice(1)) disposeValue(h, inputs);
  if (!wantInput) return null;
  if (children.length === 0) return [tidyValue(() => cloneDelta(a)), tidyValue(() => cloneDelta(b ?? a))];
  return [a, b ?? a];
}

/** New tensors holding δ (rules return new tensors, which their callers free). */
export function cloneDelta(d: FiniteDelta): FiniteDelta {
  return isList(d) ? d.map((t) => t.clone()) : d.clone();
}

/** The finite form of children in sequence: their parameters concatenated, applied in order, a recursive rule. */
export function serialFinite(children: readonly FiniteTransform[], _name: string): FiniteTransform {
  const structured: StructuredNtkRule | null = children.every((c) => c.structured !== null)
    ? {
        addParamNtk: (params, x1, x2, d1, d2, acc) => void sweepSequence(children, splitParams(children, params), x1, x2, d1, d2, acc, false),
        backward: (params, x, delta) => sweepSequence(children, splitParams(children, params), x, null, delta, null, null, true)![0],
        sweep: (params, x1, x2, d1, d2, acc) => sweepSequence(children, splitParams(children, params), x1, x2, d1, d2, acc, true)!,
      }
    : null;
  return {
    paramShapes: children.flatMap((c) => c.paramShapes),
    init: (rng) => children.flatMap((c) => c.init(rng)),
    apply: (params, x) => applySequence(children, splitParams(children, params), x),
    structured,
  };
}
