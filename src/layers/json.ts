import { existsSync } from 'node:fs';
import { quote } from '../util/errors.js';
import { checkJsonStructure } from './jsonScan.js';
import { MAX_LAYERS, MAX_NESTING, MAX_SPEC_CHARS } from './limits.js';
import { parseOneLineSpec } from './oneLine.js';
import { LAYER_TYPES, buildLayer } from './registry.js';
import { checkSpec, serial } from './serial.js';
import { readSpecFile } from './specFile.js';
import { SpecError, describeValue } from './specError.js';
import { parallel } from './parallel.js';
import { residual } from './residual.js';
import type { CompositeType, Layer, NetworkSpec, NetworkSpecJson, Parameterization } from './types.js';

export { parseOneLineSpec };

/**
 * The JSON form, e.g.
 * {"parameterization":"ntk","layers":[{"type":"dense","width":512,"wStd":1.5,"bStd":0.05},{"type":"relu"}]},
 * or the bare list of layers [{"type":"dense","width":512},{"type":"relu"}] (NTK parameterization).
 * Only own properties are read, so "__proto__" or "constructor" keys are unknown fields like any other.
 */
export function specFromJson(value: unknown): NetworkSpec {
  // a bare list of layers is the common shorthand for {"layers": [...]} (NTK parameterization)
  if (Array.isArray(value)) return specFromJson({ layers: value });
  if (isPlainObject(value) && Object.hasOwn(value, 'type')) {
    throw new SpecError('spec: got a single layer object; a spec is a list of layers [{"type":…}, …] or {"layers": [...]}');
  }
  if (!isPlainObject(value)) throw new SpecError('spec must be a JSON object with a "layers" array, or an array of layers');
  for (const key of Object.keys(value)) {
    if (key !== 'parameterization' && key !== 'layers') {
      throw new SpecError(`spec: unknown field ${quote(key, 40)} (allowed: parameterization, layers)`);
    }
  }
  const parameterization = (Object.hasOwn(value, 'parameterization') ? value.parameterization : undefined) ?? 'ntk';
  if (parameterization !== 'ntk' && parameterization !== 'standard') {
    throw new SpecError(`spec: parameterization must be "ntk" or "standard", got ${describeValue(parameterization)}`);
  }
  const raws = Object.hasOwn(value, 'layers') ? value.layers : undefined;
  if (!Array.isArray(raws)) throw new SpecError('spec: "layers" must be an array of layer objects');
  const layers = layerListFromJson(raws, 'layers', { count: 0 }, 0);
  const spec: NetworkSpec = { ...serial(...layers), parameterization: parameterization as Parameterization };
  checkSpec(spec);
  return spec;
}

/** Layers read so far across every nested list: the whole spec is held to MAX_LAYERS. */
interface ParseBudget {
  count: number;
}

/** A list of layer objects at `where` (nested lists of composites are read recursively, at most MAX_NESTING deep). */
function layerListFromJson(raws: readonly unknown[], where: string, budget: ParseBudget, depth: number): Layer[] {
  if (depth > MAX_NESTING) {
    const at = where.length > 100 ? `…${where.slice(-100)}` : where;
    throw new SpecError(`layer lists nested more than ${MAX_NESTING} deep (the limit) at ${at}`);
  }
  budget.count += raws.length;
  if (budget.count > MAX_LAYERS) throw new SpecError(`spec: more than ${MAX_LAYERS} layers; a network has at most ${MAX_LAYERS}`);
  return raws.map((raw: unknown, i: number) => layerFromJson(raw, `${where}[${i}]`, budget, depth));
}

/** The composites and the field holding their layers: parallel a list of lists, residual and serial a list. */
const COMPOSITE_FIELDS: Readonly<Record<CompositeType, 'branches' | 'layers'>> = { parallel: 'branches', residual: 'layers', serial: 'layers' };

function layerFromJson(raw: unknown, where: string, budget: ParseBudget, depth: number): Layer {
  if (!isPlainObject(raw)) throw new SpecError(`${where}: each layer must be an object like {"type":"relu"}`);
  const type = Object.hasOwn(raw, 'type') ? raw.type : undefined;
  if (type === undefined) throw new SpecError(`${where}: missing "type" (one of ${[...Object.keys(LAYER_TYPES), ...Object.keys(COMPOSITE_FIELDS)].join(', ')})`);
  if (typeof type !== 'string') throw new SpecError(`${where}: "type" must be a string, got ${describeValue(type)}`);
  if (Object.hasOwn(COMPOSITE_FIELDS, type)) {
    const ctype = type as CompositeType;
    const field = COMPOSITE_FIELDS[ctype];
    for (const key of Object.keys(raw)) {
      if (key !== 'type' && key !== field) throw new SpecError(`${where} (${type}): unknown field ${quote(key, 40)} (allowed: ${field})`);
    }
    const list = Object.hasOwn(raw, field) ? raw[field] : undefined;
    if (ctype === 'parallel') {
      if (!Array.isArray(list) || list.length === 0 || !list.every(Array.isArray)) {
        throw new SpecError(`${where} (parallel): "branches" must be a non-empty array of layer arrays, like [[{"type":"dense","width":8}],[]]`);
      }
      const branches = (list as unknown[][]).map((b, i) => layerListFromJson(b, `${where}.branches[${i}]`, budget, depth + 1));
      return wrapSpecError(where, () => parallel(...branches));
    }
    if (!Array.isArray(list)) throw new SpecError(`${where} (${type}): "layers" must be an array of layer objects`);
    const layers = layerListFromJson(list, `${where}.layers`, budget, depth + 1);
    return wrapSpecError(where, () => (ctype === 'residual' ? residual(...layers) : serial(...layers)));
  }
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (key !== 'type') fields[key] = raw[key];
  return buildLayer(type, fields, where);
}

function wrapSpecError(where: string, build: () => Layer): Layer {
  try {
    return build();
  } catch (e) {
    if (e instanceof SpecError) throw new SpecError(`${where}: ${e.message}`);
    throw e;
  }
}

/**
 * The JSON form of a spec (composites carry their nested layer lists).
 * @param spec - the network
 * @returns `{parameterization, layers}`, the form architecture files and `specFromJson` read
 */
export function specToJson(spec: NetworkSpec): NetworkSpecJson {
  return { parameterization: spec.parameterization, layers: spec.layers.map((l) => structuredClone(l.json)) };
}

/**
 * The JSON form from its text (`source` names it in errors): a one-line SpecError for malformed or oversized
 * JSON, a key given twice in one object (JSON.parse would keep the last silently) or nesting deeper than a spec
 * has. JSON.parse's own message is cut and escaped: V8 quotes the offending text, which may hold raw bytes.
 */
export function specFromJsonText(text: string, source: string): NetworkSpec {
  if (text.length > MAX_SPEC_CHARS) throw new SpecError(`${source} is ${text.length} characters long; at most ${MAX_SPEC_CHARS} are read`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // V8 appends an excerpt of the text ('Unexpected token, "…" is not valid JSON'); drop it, escape the rest.
    const reason = e instanceof Error ? e.message.replace(/, ".*" is not valid JSON$/s, '') : String(e);
    throw new SpecError(`${source} is not valid JSON (${quote(reason, 100)})`);
  }
  checkJsonStructure(text, source, MAX_NESTING);
  return specFromJson(value);
}

/**
 * Reads a spec from what a user typed: a path to a .json file, a JSON string, or the one-line form.
 * Every bad input, hostile or mistyped, is a one-line SpecError (an InputError).
 */
export function parseSpec(arg: string): NetworkSpec {
  if (arg.length > MAX_SPEC_CHARS) throw new SpecError(`the architecture is ${arg.length} characters long; at most ${MAX_SPEC_CHARS} are read`);
  const text = arg.trim();
  if (text === '') throw new SpecError('the architecture is empty: give a .json file, a JSON string or the one-line form');
  // '[' alone opens a one-line group ("[dense > relu]*2"); '[' then '{' is a JSON list of layers
  if (text.startsWith('{') || /^\[\s*\{/.test(text)) return specFromJsonText(text, 'the --arch JSON');
  if (/\.json$/i.test(text) || (existsSync(text) && !/[>()]/.test(text))) {
    return specFromJsonText(readSpecFile(text), `architecture file ${quote(text, 80)}`);
  }
  return parseOneLineSpec(text);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
