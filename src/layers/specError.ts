import { InputError } from '../util/errors.js';

/** A network spec the toolkit cannot use: malformed JSON, unknown layer, missing or invalid field. */
export class SpecError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}
