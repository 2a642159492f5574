import { abrelu, abs, leakyRelu, relu } from './abrelu.js';
import { dense } from './dense.js';
import { batchNorm } from './batchNorm.js';
import { erf } from './erf.js';
import { fanInSum } from './fanInSum.js';
import { gelu } from './gelu.js';
import { tanh } from './tanh.js';
import { identity } from './identity.js';
import { layerNorm } from './layerNorm.js';
import { conv } from './conv.js';
import { flatten } from './flatten.js';
import { globalAvgPool } from './globalAvgPool.js';
import { avgPool } from './avgPool.js';
import { quote } from '../util/errors.js';
import { SpecError, describeValue } from './specError.js';
import type { Layer, LayerType } from './types.js';
import type { Padding } from './window.js';

/** One entry per layer type: its fields (required first, in positional order) and its constructor. */
interface LayerEntry {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  readonly build: (f: Readonly<Record<string, number>>, raw: Readonly<Record<string, unknown>>) => Layer;
  readonly doc: string;
  /** Fields that are not single numbers (lists such as filter, strings such as padding): the constructor checks them. */
  readonly rawFields?: readonly string[];
  /** Of the raw fields, those holding lists of extents (filter, window, strides): the one-line form reads `3` as [3]. */
  readonly listFields?: readonly string[];
}

export const LAYER_TYPES: Readonly<Record<LayerType, LayerEntry>> = {
  dense: {
    required: ['width'],
    optional: ['wStd', 'bStd'],
    build: (f) => dense(f.width, { wStd: f.wStd, bStd: f.bStd }),
    doc: 'dense(width, wStd=1, bStd=0)  fully connected; bStd=0 means no bias',
  },
  relu: { required: [], optional: [], build: () => relu(), doc: 'relu  max(x, 0)' },
  erf: { required: [], optional: [], build: () => erf(), doc: 'erf  the error function' },
  gelu: { required: [], optional: [], build: () => gelu(), doc: 'gelu  x·Φ(x), the exact (erf) form' },
  tanh: { required: [], optional: [], build: () => tanh(), doc: 'tanh  the hyperbolic tangent' },
  abrelu: {
    required: ['a', 'b'],
    optional: [],
    build: (f) => abrelu(f.a, f.b),
    doc: 'abrelu(a, b)  a·min(x, 0) + b·max(x, 0)',
  },
  leakyrelu: {
    required: ['alpha'],
    optional: [],
    build: (f) => leakyRelu(f.alpha),
    doc: 'leakyrelu(alpha)  max(x, alpha·x)',
  },
  abs: { required: [], optional: [], build: () => abs(), doc: 'abs  |x|' },
  identity: { required: [], optional: [], build: () => identity(), doc: 'identity  x' },
  layerNorm: {
    required: [],
    optional: [],
    build: () => layerNorm(),
    doc: 'layernorm  (z − mean(z))/std(z) over the features of each example, no affine part',
  },
  fanInSum: { required: [], optional: [], build: () => fanInSum(), doc: 'faninsum  sums the list of values after parallel' },
  conv: {
    required: ['channels', 'filter'],
    optional: ['strides', 'padding', 'wStd', 'bStd'],
    rawFields: ['filter', 'strides', 'padding'],
    listFields: ['filter', 'strides'],
    build: (f, raw) =>
      conv(f.channels, { filter: raw.filter as number[], strides: raw.strides as number[] | undefined, padding: raw.padding as Padding | undefined, wStd: f.wStd, bStd: f.bStd }),
    doc: 'conv(channels, filter, strides=1x…, padding=SAME, wStd=1, bStd=0)  convolution, e.g. conv(64, 3x3, padding=CIRCULAR); padding SAME, VALID or CIRCULAR',
  },
  flatten: { required: [], optional: [], build: () => flatten(), doc: 'flatten  N×H×W×C → N×(H·W·C)' },
  globalAvgPool: { required: [], optional: [], build: () => globalAvgPool(), doc: 'globalavgpool  mean over the spatial positions' },
  avgPool: {
    required: ['window'],
    optional: ['strides', 'padding'],
    rawFields: ['window', 'strides', 'padding'],
    listFields: ['window', 'strides'],
    build: (_f, raw) => avgPool({ window: raw.window as number[], strides: raw.strides as number[] | undefined, padding: raw.padding as Padding | undefined }),
    doc: 'avgpool(window, strides=window, padding=VALID)  window means, e.g. avgpool(2x2); padding SAME, VALID or CIRCULAR',
  },
  batchNorm: {
    required: [],
    optional: ['momentum', 'epsilon', 'affine'],
    rawFields: ['affine'],
    build: (f, raw) => batchNorm({ momentum: f.momentum, epsilon: f.epsilon, affine: raw.affine as boolean | undefined }),
    doc: 'batchnorm(momentum=0.99, epsilon=1e-5, affine=false)  per channel over the batch (running statistics in evaluation); finite only, no analytic kernel',
  },
};

/** Whether `name` is a layer type. An own-property test: "constructor" or "__proto__" are not layer types. */
export function isLayerType(name: string): name is LayerType {
  return Object.hasOwn(LAYER_TYPES, name);
}

/**
 * The layer type a one-line name stands for, ignoring case ("layernorm" → "layerNorm"), or undefined. The JSON
 * form matches types exactly; the one-line form is case-insensitive throughout.
 */
export function layerTypeFromName(name: string): LayerType | undefined {
  if (isLayerType(name)) return name;
  const lower = name.toLowerCase();
  return (Object.keys(LAYER_TYPES) as LayerType[]).find((t) => t.toLowerCase() === lower);
}

/** The fields of a layer type that are not single numbers (lists, words, booleans); empty for an unknown type. */
export function layerRawFields(name: string): readonly string[] {
  return isLayerType(name) ? (LAYER_TYPES[name].rawFields ?? []) : [];
}

/** The fields of a layer type holding extent lists (filter, window, strides); empty for an unknown type. */
export function layerListFields(name: string): readonly string[] {
  return isLayerType(name) ? (LAYER_TYPES[name].listFields ?? []) : [];
}

/** The fields of a layer type in positional order (required first), or undefined for an unknown type. */
export function layerFields(name: string): readonly string[] | undefined {
  if (!isLayerType(name)) return undefined;
  const entry = LAYER_TYPES[name];
  return [...entry.required, ...entry.optional];
}

/**
 * Builds a layer from its type and named numeric fields, checking that every required field is there,
 * that no unknown field is (typos like "wstd" must not be silently ignored) and that each is a finite number.
 * Only own properties of `fields` are read, and user text is echoed through quote() (cut and escaped).
 */
export function buildLayer(type: string, fields: Readonly<Record<string, unknown>>, where: string): Layer {
  if (type === 'elementwise') {
    throw new SpecError(`${where}: an "elementwise" layer is built in code from functions (elementwise({ phi, tfPhi })) and cannot be read from JSON`);
  }
  if (!isLayerType(type)) {
    throw new SpecError(`${where}: unknown layer type ${quote(type, 40)} (known: ${Object.keys(LAYER_TYPES).join(', ')})`);
  }
  const entry = LAYER_TYPES[type];
  const allowed: readonly string[] = [...entry.required, ...entry.optional];
  // A null-prototype map: a field named "__proto__" or "constructor" is just an unknown key, never Object.prototype.
  const nums: Record<string, number> = Object.create(null) as Record<string, number>;
  const raw: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (!allowed.includes(key)) {
      const hint = allowed.length ? `allowed: ${allowed.join(', ')}` : 'it takes no fields';
      throw new SpecError(`${where} (${type}): unknown field ${quote(key, 40)} (${hint})`);
    }
    if (entry.rawFields?.includes(key)) {
      raw[key] = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new SpecError(`${where} (${type}): field "${key}" must be a finite number, got ${describeValue(value)}`);
    }
    nums[key] = value;
  }
  for (const key of entry.required) {
    if (!Object.hasOwn(nums, key) && !Object.hasOwn(raw, key)) throw new SpecError(`${where} (${type}): missing field "${key}"`);
  }
  try {
    return entry.build(nums, raw);
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`${where}: ${e.message}`);
    throw e;
  }
}
