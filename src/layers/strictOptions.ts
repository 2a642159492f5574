import { quote } from '../util/errors.js';
import { SpecError, describeValue } from './specError.js';

/** What an option of a JS layer builder holds. */
export type OptionKind = 'number' | 'boolean' | 'string' | 'numberList' | 'function';

/**
 * Checks the options object a JS layer builder was given (dense(64, { wStd: 2 }), conv(…, { filter, … }), …) as
 * strictly as the spec parsers check a layer's fields: an unknown key (a typo such as `wstd`) or a value of the
 * wrong kind is a one-line SpecError naming the allowed keys, instead of the default being used silently.
 * Undefined values count as absent (the registry passes every optional field, present or not). Only own keys
 * are read. The builders still check the values' ranges themselves.
 */
export function checkOptions(layer: string, opts: unknown, allowed: Readonly<Record<string, OptionKind>>, what = 'option'): void {
  if (opts === undefined) return;
  const names = Object.keys(allowed);
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new SpecError(`${layer}: the ${what}s must be an object with keys among ${names.join(', ')}, got ${describeValue(opts)}`);
  }
  const record = opts as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (!Object.hasOwn(allowed, key)) {
      const near = names.find((n) => n.toLowerCase() === key.toLowerCase());
      throw new SpecError(`${layer}: unknown ${what} ${quote(key, 40)} (allowed: ${names.join(', ')}${near ? `; did you mean ${near}?` : ''})`);
    }
    if (value === undefined) continue;
    const kind = allowed[key];
    const ok =
      kind === 'numberList'
        ? Array.isArray(value) && value.every((v) => typeof v === 'number')
        : kind === 'function'
          ? typeof value === 'function'
          : typeof value === kind;
    if (!ok) throw new SpecError(`${layer}: ${key} must be ${KIND_NAMES[kind]}, got ${describeValue(value)}`);
  }
}

const KIND_NAMES: Record<OptionKind, string> = {
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  numberList: 'an array of numbers',
  function: 'a function',
};
