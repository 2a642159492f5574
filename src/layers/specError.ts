import { InputError, MAX_MESSAGE_CHARS, quote } from '../util/errors.js';

/**
 * A network spec the toolkit cannot use: malformed JSON, unknown layer, missing or invalid field.
 * The message is cut to MAX_MESSAGE_CHARS: echoed values are already cut by quote(), but their escapes
 * (\x1b, \u2028 …) can make a quoted excerpt several times longer than the characters it shows.
 */
export class SpecError extends InputError {
  constructor(message: string) {
    super(message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message);
    this.name = 'SpecError';
  }
}

/**
 * A short, one-line description of any value found in a spec, for error messages: numbers as written, strings
 * cut and escaped by quote(), and only the kind of anything else. Never JSON.stringify: a deeply nested or huge
 * value would overflow the stack or flood the terminal.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${quote(value, 40)}`;
  if (Object.is(value, -0)) return '-0';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
