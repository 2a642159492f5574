import { quote } from '../util/errors.js';
import { MAX_LAYERS, MAX_NESTING, MAX_REPEAT, MAX_SPEC_CHARS } from './limits.js';
import { buildLayer, layerFields, layerTypeFromName } from './registry.js';
import { checkSpec, serial } from './serial.js';
import { SpecError } from './specError.js';
import type { Layer, NetworkSpec, Parameterization } from './types.js';

/**
 * The one-line form for the command line:
 *   [ntk: | standard:] layer > layer > ...
 * where a layer is `name` or `name(arg, ...)` with positional or key=value arguments, and
 * `[layers]*N` repeats a group. Example:
 *   "[dense(512, wStd=1.4) > relu]*2 > dense(10)"
 *   "standard: dense(256, 1, 0.1) > erf > dense(1)"
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

/** A layer's arguments as written: positional values in order, named ones by name. */
interface LayerArgs {
  readonly positional: number[];
  readonly named: Map<string, number>;
}

/** A plain decimal number ("1", "-0.5", "1.4e-3"); no hex, no "Infinity", no empty string. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
    for (;;) {
      const start = this.pos;
      const items = this.parseItem(depth);
      if (out.length + items.length > MAX_LAYERS) this.fail(`the network has more than ${MAX_LAYERS} layers (the limit)`, start);
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
    return this.src[this.pos] === '[' ? this.parseGroup(depth + 1) : [this.parseLayer()];
  }

  /** `[sequence]` or `[sequence]*N`; the repeat is checked against the limits before it is expanded. */
  private parseGroup(depth: number): Layer[] {
    if (depth > MAX_NESTING) this.fail(`groups nested more than ${MAX_NESTING} deep (the limit)`);
    this.pos++;
    const group = this.parseSequence(depth);
    this.skipSpace();
    if (this.src[this.pos] !== ']') this.fail('missing "]"');
    this.pos++;
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
    if (group.length * times > MAX_LAYERS) {
      this.fail(`the repeat makes ${group.length * times} layers; a network has at most ${MAX_LAYERS}`, countAt);
    }
    const out: Layer[] = [];
    for (let r = 0; r < times; r++) for (const layer of group) out.push(layer);
    return out;
  }

  private parseLayer(): Layer {
    const start = this.pos;
    const m = this.match(/[A-Za-z_][A-Za-z0-9_]*/y);
    if (m === null) this.fail('expected a layer name');
    const where = `layer ${quote(m[0], 30)} at column ${start + 1}`;
    const type = layerTypeFromName(m[0]) ?? m[0].toLowerCase(); // an unknown name is reported by buildLayer
    this.skipSpace();
    const args: LayerArgs = this.src[this.pos] === '(' ? this.parseArgs(where) : { positional: [], named: new Map() };
    // Null prototype: a field called "__proto__" or "constructor" stays an ordinary (unknown) key.
    const fields: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const [key, value] of args.named) fields[key] = value;
    const order = layerFields(type);
    if (order !== undefined) {
      if (args.positional.length > order.length) {
        throw new SpecError(`${where}: takes at most ${order.length} argument(s) (${order.join(', ') || 'none'}), got ${args.positional.length}`);
      }
      args.positional.forEach((value, i) => {
        if (args.named.has(order[i])) throw new SpecError(`${where}: "${order[i]}" given twice (by position and by name)`);
        fields[order[i]] = value;
      });
    }
    return buildLayer(type, fields, where);
  }

  /** `(arg, name=value, ...)`: numbers only, each name at most once. */
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
        args.positional.push(readNumber(kv[0], where));
        continue;
      }
      const key = kv[0].trim();
      if (kv.length !== 2 || !IDENTIFIER.test(key)) throw new SpecError(`${where}: cannot read argument ${quote(part.trim(), 30)}`);
      if (args.named.has(key)) throw new SpecError(`${where}: ${quote(key, 30)} given twice`);
      args.named.set(key, readNumber(kv[1], where));
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

/** An argument value: a plain, finite decimal number. */
function readNumber(raw: string, where: string): number {
  const s = raw.trim();
  const v = DECIMAL.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(v)) throw new SpecError(`${where}: ${quote(s, 30)} is not a finite number`);
  return v;
}
