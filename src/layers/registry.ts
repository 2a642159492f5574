import { abrelu, abs, leakyRelu, relu } from './abrelu.js';
import { dense } from './dense.js';
import { erf } from './erf.js';
import { identity } from './identity.js';
import { SpecError } from './specError.js';
import type { Layer, LayerType } from './types.js';

/** One entry per layer type: its fields (required first, in positional order) and its constructor. */
interface LayerEntry {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  readonly build: (f: Readonly<Record<string, number>>) => Layer;
  readonly doc: string;
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
};

export function isLayerType(name: string): name is LayerType {
  return Object.prototype.hasOwnProperty.call(LAYER_TYPES, name);
}

/**
 * Builds a layer from its type and named numeric fields, checking that every required field is there,
 * that no unknown field is (typos like "wstd" must not be silently ignored) and that each is a finite number.
 */
export function buildLayer(type: string, fields: Readonly<Record<string, unknown>>, where: string): Layer {
  if (!isLayerType(type)) {
    throw new SpecError(`${where}: unknown layer type "${type}" (known: ${Object.keys(LAYER_TYPES).join(', ')})`);
  }
  const entry = LAYER_TYPES[type];
  const allowed = [...entry.required, ...entry.optional];
  const nums: Record<string, number> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (!allowed.includes(key)) {
      const hint = allowed.length ? `allowed: ${allowed.join(', ')}` : 'it takes no fields';
      throw new SpecError(`${where} (${type}): unknown field "${key}" (${hint})`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new SpecError(`${where} (${type}): field "${key}" must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
    }
    nums[key] = value;
  }
  for (const key of entry.required) {
    if (!(key in nums)) throw new SpecError(`${where} (${type}): missing field "${key}"`);
  }
  try {
    return entry.build(nums);
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`${where}: ${e.message}`);
    throw e;
  }
}
