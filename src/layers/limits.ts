/**
 * Size limits on an architecture spec, checked before any work is done, so that a hostile or mistyped spec
 * ("[relu]*999999999", a thousand nested brackets, a 1 GB file) is refused in one line instead of running the
 * heap or the stack out. Each is far above any network the toolkit can evaluate.
 */

/** Longest spec text (JSON or one-line form), in characters; an architecture file is read only up to this size. */
export const MAX_SPEC_CHARS = 4 * 1024 * 1024;

/** Most layers a network may have, after expanding every `[group]*N` repeat. */
export const MAX_LAYERS = 10_000;

/** Largest repeat count N in `[group]*N`. */
export const MAX_REPEAT = 1000;

/** Deepest nesting: `[` groups in the one-line form, objects/arrays in the JSON form (a spec needs 3). */
export const MAX_NESTING = 32;

/** Largest width of one Dense layer (a 1e7 × 1e7 weight matrix is already far beyond memory). */
export const MAX_WIDTH = 10_000_000;
