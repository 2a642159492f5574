import { quote } from '../util/errors.js';
import { MAX_LAYERS, MAX_NESTING, MAX_REPEAT, MAX_SPEC_CHARS } from './limits.js';
import { parallel } from './parallel.js';
import { buildLayer, layerFields, layerListFields, layerRawFields, layerTypeFromName } from './registry.js';
import { residual } from './residual.js';
import { checkSpec, serial } from './serial.js';
import { SpecError } from './specError.js';
import type { CompositeType, Layer, NetworkSpec, Parameterization } from './types.js';

/**
 * The one-line form for the command line:
 *   [ntk: | standard:] item > item > ...
 * where an item is a layer `name` or `name(arg, ...)` with positional or key=value arguments, a group
 * `[items]` (optionally repeated, `[items]*N`), or a composite `residual[items]`, `serial[items]` or
 * `parallel[items | items | ...]` (branches separated by `|`, an empty branch is the identity), each optionally
 * repeated with `*N`. An argument is a number (`1.4`), an extent list (`3x3`, `2x1`; a bare `3` in a list field
 * such as `filter` is the 1-D list [3]), a word (`SAME`, `valid`, `circular`: padding, case-insensitive) or
 * `true`/`false`. Examples:
 *   "[dense(512, wStd=1.4) > relu]*2 > dense(10)"
 *   "standard: dense(256, 1, 0.1) > erf > dense(1)"
 *   "conv(64, 3x3, padding=CIRCULAR, wStd=1.414) > residual[relu > conv(64, filter=3x3)]*2 > relu > avgPool(2x2) > flatten > dense(10)"
 *   "conv(8, 3x3) > relu > parallel[conv(8, 3x3) | ] > fanInSum > globalAvgPool > dense(1)"
 * Repeat counts, the expanded layer count and the group nesting are bounded (src/layers/limits.ts) before
 * anything is expanded; errors give the column in `text` and a short escaped excerpt of it.
 */
export function parseOneLineSpec(text: string): NetworkSpec {
  if (text.length > MAX_SPEC_CHARS) {
    throw new SpecError(`the architecture is ${text.length} characters long; at most ${MAX_SPEC_CHARS} are read`);
  }
  const parser = new OneLineParser(text);
  const parameterization = parser.parsePrefix();
  const layers = parser.parseSequence(0);
  parser.expectEnd();
  const spec: NetworkSpec = { ...serial(...layers), parameterization };
  checkSpec(spec);
  return spec;
}

/** One argument as read: a number, an extent list ("3x3"), a word (upper-cased: "SAME") or a boolean. */
type ArgValue = number | number[] | string | boolean;

/** A layer's arguments as written (text, read once the field is known): positional in order, named by name. */
interface LayerArgs {
  readonly positional: string[];
  readonly named: Map<string, string>;
}

/** A plain decimal number ("1", "-0.5", "1.4e-3"); no hex, no "Infinity", no empty string. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** An extent list of two or more positive integers, "3x3" or "2x1" (also with "×"). */
const EXTENTS = /^\d+(?:\s*[x×]\s*\d+)+$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The composites of the one-line form, by lower-case name: `name[items]` (parallel: branches split by `|`). */
const COMPOSITES: Readonly<Record<string, CompositeType>> = { residual: 'residual', parallel: 'parallel', serial: 'serial' };

/** Layers a list counts against MAX_LAYERS, composites with everything inside them (as the JSON parser counts). */
function layerCount(layers: readonly Layer[]): number {
  return layers.reduce((n, l) => n + 1 + (l.children ? layerCount(l.children) : 0), 0);
}

/**
 * Recursive descent over `text`, reading with sticky regexes from `pos` (no copying of the rest of the text,
 * so a long spec parses in linear time). Recursion only enters `[` groups, at most MAX_NESTING deep.
 */
class OneLineParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parsePrefix(): Parameterization {
    const m = this.match(/\s*(ntk|standard)\s*:/iy);
    return m === null ? 'ntk' : (m[1].toLowerCase() as Parameterization);
  }

  /** `item > item > ...` at group depth `depth`, with the total layer count kept under MAX_LAYERS. */
  parseSequence(depth: number): Layer[] {
    const out: Layer[] = [];
    let count = 0;
    for (;;) {
      const start = this.pos;
      const items = this.parseItem(depth);
      count += layerCount(items);
      if (count > MAX_LAYERS) this.fail(`the network has more than ${MAX_LAYERS} layers (the limit)`, start);
      for (const layer of items) out.push(layer);
      this.skipSpace();
      if (this.src[this.pos] !== '>') return out;
      this.pos++;
    }
  }

  expectEnd(): void {
    this.skipSpace();
    if (this.pos < this.src.length) this.fail('unexpected text');
  }

  private parseItem(depth: number): Layer[] {
    this.skipSpace();
    if (this.src[this.pos] === '[') return this.parseGroup(depth + 1);
    const start = this.pos;
    const m = this.match(/[A-Za-z_][A-Za-z0-9_]*/y);
    if (m === null) this.fail('expected a layer name');
    this.skipSpace();
    const composite = Object.hasOwn(COMPOSITES, m[0].toLowerCase()) ? COMPOSITES[m[0].toLowerCase()] : undefined;
    if (composite !== undefined) {
      if (this.src[this.pos] !== '[') this.fail(`expected "[" after ${composite}: write ${composite}[layer > layer${composite === 'parallel' ? ' | layer' : ''}]`);
      return this.parseComposite(composite, start, depth + 1);
    }
    return [this.parseLayer(m[0], start)];
  }

  /** `residual[sequence]`, `serial[sequence]` or `parallel[sequence | sequence | ...]`, optionally `*N`. */
  private parseComposite(type: CompositeType, start: number, depth: number): Layer[] {
    if (depth > MAX_NESTING) this.fail(`groups nested more than ${MAX_NESTING} deep (the limit)`);
    this.pos++;
    const where = `${type} at column ${start + 1}`;
    const lists: Layer[][] = [];
    for (;;) {
      this.skipSpace();
      // an empty branch of parallel (the identity); elsewhere a sequence needs a layer
      const empty = type === 'parallel' && (this.src[this.pos] === '|' || this.src[this.pos] === ']');
      lists.push(empty ? [] : this.parseSequence(depth));
      this.skipSpace();
      if (this.src[this.pos] !== '|') break;
      if (type !== 'parallel') this.fail(`"|" separates branches of parallel[...] only, not of ${type}[...]`);
      this.pos++;
    }
    if (this.src[this.pos] !== ']') this.fail('missing "]"');
    this.pos++;
    let layer: Layer;
    try {
      layer = type === 'parallel' ? parallel(...lists) : type === 'residual' ? residual(...lists[0]) : serial(...lists[0]);
    } catch (e) {
      if (e instanceof SpecError) throw new SpecError(`${where}: ${e.message}`);
      throw e;
    }
    return this.parseRepeat([layer]);
  }

  /** `[sequence]` or `[sequence]*N`; the repeat is checked against the limits before it is expanded. */
  private parseGroup(depth: number): Layer[] {
    if (depth > MAX_NESTING) this.fail(`groups nested more than ${MAX_NESTING} deep (the limit)`);
    this.pos++;
    const group = this.parseSequence(depth);
    this.skipSpace();
    if (this.src[this.pos] !== ']') this.fail('missing "]"');
    this.pos++;
    return this.parseRepeat(group);
  }

  /** An optional `*N` after a group or composite: the items N times (the same layer objects). */
  private parseRepeat(group: Layer[]): Layer[] {
    this.skipSpace();
    if (this.src[this.pos] !== '*') return group;
    this.pos++;
    this.skipSpace();
    const countAt = this.pos;
    const m = this.match(/\d+/y);
    if (m === null) this.fail('expected a repeat count after "*"');
    const times = Number(m[0]);
    if (times < 1 || times > MAX_REPEAT) {
      this.fail(`repeat count ${quote(m[0], 12)} is out of range: it must be 1 to ${MAX_REPEAT}`, countAt);
    }
    const size = layerCount(group);
    if (size * times > MAX_LAYERS) {
      this.fail(`the repeat makes ${size * times} layers; a network has at most ${MAX_LAYERS}`, countAt);
    }
    const out: Layer[] = [];
    for (let r = 0; r < times; r++) for (const layer of group) out.push(layer);
    return out;
  }

  /** A leaf layer `name` or `name(args)`, its name already read (at `start`). */
  private parseLayer(name: string, start: number): Layer {
    const where = `layer ${quote(name, 30)} at column ${start + 1}`;
    const type = layerTypeFromName(name) ?? name.toLowerCase(); // an unknown name is reported by buildLayer
    const args: LayerArgs = this.src[this.pos] === '(' ? this.parseArgs(where) : { positional: [], named: new Map() };
    // Null prototype: a field called "__proto__" or "constructor" stays an ordinary (unknown) key.
    const fields: Record<string, ArgValue> = Object.create(null) as Record<string, ArgValue>;
    // numeric fields read numbers only; list and word fields (filter, padding) also extents, words, booleans
    const raw = layerRawFields(type);
    const lists = layerListFields(type);
    const order = layerFields(type);
    const read = (key: string, text: string): ArgValue => {
      if (order !== undefined && !order.includes(key)) return text; // an unknown field: buildLayer names it
      if (!raw.includes(key)) return readNumber(text, where);
      const v = readValue(text, where);
      return lists.includes(key) && typeof v === 'number' ? [v] : v; // a bare number in a list field: filter=3 is [3]
    };
    for (const [key, text] of args.named) fields[key] = read(key, text);
    if (order !== undefined) {
      if (args.positional.length > order.length) {
        throw new SpecError(`${where}: takes at most ${order.length} argument(s) (${order.join(', ') || 'none'}), got ${args.positional.length}`);
      }
      args.positional.forEach((text, i) => {
        if (args.named.has(order[i])) throw new SpecError(`${where}: "${order[i]}" given twice (by position and by name)`);
        fields[order[i]] = read(order[i], text);
      });
    } else {
      args.positional.forEach((text) => readNumber(text, where));
    }
    return buildLayer(type, fields, where);
  }

  /** `(arg, name=value, ...)`: numbers, extent lists, words, booleans; each name at most once. */
  private parseArgs(where: string): LayerArgs {
    const close = this.src.indexOf(')', this.pos);
    if (close < 0) this.fail('missing ")"');
    const inner = this.src.slice(this.pos + 1, close);
    this.pos = close + 1;
    const args: LayerArgs = { positional: [], named: new Map() };
    if (inner.trim() === '') return args;
    for (const part of inner.split(',')) {
      const kv = part.split('=');
      if (kv.length === 1) {
        args.positional.push(kv[0]);
        continue;
      }
      const key = kv[0].trim();
      if (kv.length !== 2 || !IDENTIFIER.test(key)) throw new SpecError(`${where}: cannot read argument ${quote(part.trim(), 30)}`);
      if (args.named.has(key)) throw new SpecError(`${where}: ${quote(key, 30)} given twice`);
      args.named.set(key, kv[1]);
    }
    return args;
  }

  /** Matches a sticky regex at `pos` and moves past it; null when it does not match here. */
  private match(re: RegExp): RegExpExecArray | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (m !== null) this.pos = re.lastIndex;
    return m;
  }

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  /** A one-line error: what is wrong, the column, and a short escaped excerpt of the text from there. */
  private fail(msg: string, at = this.pos): never {
    const near = at >= this.src.length ? 'at the end' : `at column ${at + 1}, near ${quote(this.src.slice(at, at + 20), 20)}`;
    throw new SpecError(`cannot parse the architecture: ${msg} ${near}`);
  }
}

/** A numeric field's value: a plain, finite decimal number. */
function readNumber(raw: string, where: string): number {
  const s = raw.trim();
  const v = DECIMAL.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v)) throw new SpecError(`${where}: ${quote(s, 30)} is not a finite number`);
  return v;
}

/**
 * A list or word field's value: a plain, finite decimal number; an extent list "3x3"; true/false; or a word (padding names),
 * upper-cased since the one-line form ignores case. Which field takes which kind is checked by the layer.
 */
function readValue(raw: string, where: string): ArgValue {
  const s = raw.trim();
  if (EXTENTS.test(s)) return s.split(/[x×]/).map((p) => Number(p.trim()));
  if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
  if (IDENTIFIER.test(s) && !/^(inf|infinity|nan)$/i.test(s)) return s.toUpperCase();
  const v = DECIMAL.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v)) throw new SpecError(`${where}: ${quote(s, 30)} is not a finite number, an extent list like 3x3 or a word like SAME`);
  return v;
}
