import { quote } from '../util/errors.js';
import { SpecError } from './specError.js';

/** One open object or array during the scan. */
interface Frame {
  /** The keys seen so far (objects), null for arrays. */
  readonly keys: Set<string> | null;
  /** The key being read (objects) or the element index (arrays): the frame's child in error paths. */
  child: string | number;
  /** Objects: the next string is a key (after "{" or ","), not a value. */
  expectKey: boolean;
}

/**
 * Checks the structure of text that JSON.parse has already accepted, which JSON.parse itself does not:
 * a key given twice in one object (JSON.parse silently keeps the last one, so `"wStd":1, "wStd":2` would drop
 * a value without a word) and nesting deeper than `maxDepth`. A single iterative pass, no recursion, so any
 * depth is safe. Keys are compared decoded ("w\u0053td" is "wStd"). Throws a SpecError naming the place.
 */
export function checkJsonStructure(text: string, source: string, maxDepth: number): void {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '{' || c === '[') {
      if (stack.length >= maxDepth) {
        throw new SpecError(`${source}: nested more than ${maxDepth} levels deep at ${pathOf(stack)} (a spec needs 3)`);
      }
      stack.push({ keys: c === '{' ? new Set() : null, child: 0, expectKey: c === '{' });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top.keys === null) top.child = (top.child as number) + 1;
      else top.expectKey = true;
      i++;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      const top = stack[stack.length - 1];
      if (top !== undefined && top.keys !== null && top.expectKey) {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (top.keys.has(key)) {
          throw new SpecError(`${source}: field ${quote(key, 40)} appears twice in ${pathOf(stack.slice(0, -1))} (give each field once)`);
        }
        top.keys.add(key);
        top.child = key;
        top.expectKey = false;
      }
      i = end;
    } else {
      i++;
    }
  }
}

/** Index just past the closing quote of the JSON string starting at `start` (the text is valid JSON). */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    const q = text.indexOf('"', j);
    // Count the backslashes before the quote: an odd number escapes it.
    let b = q - 1;
    while (text[b] === '\\') b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    j = q + 1;
  }
}

/** Where the child of the innermost of `parents` sits, as "layers[0]" ("the top-level object" when there are none). */
function pathOf(parents: readonly Frame[]): string {
  const segments = parents.map((f) => {
    if (typeof f.child === 'number') return `[${f.child}]`;
    return /^[A-Za-z_$][\w$]{0,30}$/.test(f.child) ? `.${f.child}` : `[${quote(f.child, 20)}]`;
  });
  const path = segments.join('').replace(/^\./, '');
  if (path === '') return 'the top-level object';
  return path.length > 100 ? `…${path.slice(-100)}` : path;
}
