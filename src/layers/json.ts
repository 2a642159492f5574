import { existsSync, readFileSync } from 'node:fs';
import { LAYER_TYPES, buildLayer } from './registry.js';
import { checkSpec, serial, type Network } from './serial.js';
import { SpecError } from './specError.js';
import type { Layer, NetworkSpec, NetworkSpecJson, Parameterization } from './types.js';

/**
 * The JSON form, e.g.
 * {"parameterization":"ntk","layers":[{"type":"dense","width":512,"wStd":1.5,"bStd":0.05},{"type":"relu"}]}
 */
export function specFromJson(value: unknown): Network {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SpecError('spec must be a JSON object with a "layers" array');
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (key !== 'parameterization' && key !== 'layers') {
      throw new SpecError(`spec: unknown field "${key}" (allowed: parameterization, layers)`);
    }
  }
  const parameterization = obj.parameterization ?? 'ntk';
  if (parameterization !== 'ntk' && parameterization !== 'standard') {
    throw new SpecError(`spec: parameterization must be "ntk" or "standard", got ${JSON.stringify(parameterization)}`);
  }
  if (!Array.isArray(obj.layers)) throw new SpecError('spec: "layers" must be an array of layer objects');
  const layers: Layer[] = obj.layers.map((raw: unknown, i: number) => {
    const where = `layers[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new SpecError(`${where}: each layer must be an object like {"type":"relu"}`);
    }
    const { type, ...fields } = raw as Record<string, unknown>;
    if (typeof type !== 'string') throw new SpecError(`${where}: missing "type" (one of ${Object.keys(LAYER_TYPES).join(', ')})`);
    return buildLayer(type, fields, where);
  });
  const spec: Network = { ...serial(...layers), parameterization: parameterization as Parameterization };
  checkSpec(spec);
  return spec;
}

export function specToJson(spec: NetworkSpec): NetworkSpecJson {
  return { parameterization: spec.parameterization, layers: spec.layers.map((l) => ({ ...l.json })) };
}

/**
 * The one-line form for the command line:
 *   [ntk: | standard:] layer > layer > ...
 * where a layer is `name` or `name(arg, ...)` with positional or key=value arguments, and
 * `[layers]*N` repeats a group. Example:
 *   "[dense(512, wStd=1.4) > relu]*2 > dense(10)"
 *   "standard: dense(256, 1, 0.1) > erf > dense(1)"
 */
export function parseOneLineSpec(text: string): Network {
  let src = text.trim();
  let parameterization: Parameterization = 'ntk';
  const prefix = /^(ntk|standard)\s*:/i.exec(src);
  if (prefix) {
    parameterization = prefix[1].toLowerCase() as Parameterization;
    src = src.slice(prefix[0].length);
  }
  const parser = new OneLineParser(src);
  const layers = parser.parseSequence();
  parser.expectEnd();
  const spec: Network = { ...serial(...layers), parameterization };
  checkSpec(spec);
  return spec;
}

class OneLineParser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parseSequence(): Layer[] {
    const out: Layer[] = [...this.parseItem()];
    for (;;) {
      this.skipSpace();
      if (this.src[this.pos] !== '>') return out;
      this.pos++;
      out.push(...this.parseItem());
    }
  }

  expectEnd(): void {
    this.skipSpace();
    if (this.pos < this.src.length) this.fail(`unexpected "${this.src[this.pos]}"`);
  }

  private parseItem(): Layer[] {
    this.skipSpace();
    if (this.src[this.pos] === '[') {
      this.pos++;
      const group = this.parseSequence();
      this.skipSpace();
      if (this.src[this.pos] !== ']') this.fail('missing "]"');
      this.pos++;
      this.skipSpace();
      let times = 1;
      if (this.src[this.pos] === '*') {
        this.pos++;
        this.skipSpace();
        const m = /^\d+/.exec(this.src.slice(this.pos));
        if (!m || Number(m[0]) < 1) this.fail('expected a positive repeat count after "*"');
        this.pos += m![0].length;
        times = Number(m![0]);
      }
      return Array.from({ length: times }, () => group).flat();
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    if (!m) this.fail('expected a layer name');
    const name = m![0].toLowerCase();
    this.pos += m![0].length;
    const where = `layer "${m![0]}" at column ${this.pos - m![0].length + 1}`;
    const positional: number[] = [];
    const named: Record<string, number> = {};
    this.skipSpace();
    if (this.src[this.pos] === '(') {
      const close = this.src.indexOf(')', this.pos);
      if (close < 0) this.fail('missing ")"');
      const inner = this.src.slice(this.pos + 1, close).trim();
      this.pos = close + 1;
      if (inner.length > 0) {
        for (const part of inner.split(',')) {
          const kv = part.split('=');
          const num = (s: string): number => {
            const v = Number(s.trim());
            if (s.trim() === '' || !Number.isFinite(v)) throw new SpecError(`${where}: "${s.trim()}" is not a finite number`);
            return v;
          };
          if (kv.length === 2) named[kv[0].trim()] = num(kv[1]);
          else if (kv.length === 1) positional.push(num(kv[0]));
          else throw new SpecError(`${where}: cannot read argument "${part.trim()}"`);
        }
      }
    }
    const entry = (LAYER_TYPES as Record<string, { required: readonly string[]; optional: readonly string[] }>)[name];
    const fields: Record<string, number> = { ...named };
    if (entry) {
      const order = [...entry.required, ...entry.optional];
      if (positional.length > order.length) {
        throw new SpecError(`${where}: takes at most ${order.length} argument(s) (${order.join(', ') || 'none'}), got ${positional.length}`);
      }
      positional.forEach((v, i) => {
        if (order[i] in named) throw new SpecError(`${where}: "${order[i]}" given twice`);
        fields[order[i]] = v;
      });
    }
    return [buildLayer(name, fields, where)];
  }

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos])) this.pos++;
  }

  private fail(msg: string): never {
    throw new SpecError(`cannot parse architecture "${this.src}": ${msg} at column ${this.pos + 1}`);
  }
}

/**
 * Reads a spec from what a user typed: a path to a .json file, a JSON string, or the one-line form.
 */
export function parseSpec(arg: string): Network {
  const text = arg.trim();
  if (text.startsWith('{')) return specFromJson(parseJsonText(text, 'the --arch JSON'));
  if (/\.json$/i.test(text) || (existsSync(text) && !/[>()]/.test(text))) {
    if (!existsSync(text)) throw new SpecError(`architecture file not found: ${text}`);
    return specFromJson(parseJsonText(readFileSync(text, 'utf8'), text));
  }
  return parseOneLineSpec(text);
}

function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SpecError(`${where} is not valid JSON: ${(e as Error).message}`);
  }
}
