import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The import graph of src/, read from the sources (static `import … from`, `export … from` and `import('…')` of
// relative paths; type-only imports count too). Run this file to check the structure after a move.
const root = resolve(new URL('../..', import.meta.url).pathname);
const src = join(root, 'src');
const files = (function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
})(src);

interface Edge {
  to: string;
  typeOnly: boolean;
}
const graph = new Map<string, Edge[]>();
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const edges: Edge[] = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4];
    edges.push({ to: relative(src, resolve(dirname(f), spec.replace(/\.js$/, '.ts'))), typeOnly: m[2] !== undefined });
  }
  graph.set(relative(src, f), edges);
}

/** The import cycles among src/ files (each once, as a path that returns to its start). */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const { to } of graph.get(f) ?? []) {
      if (state.get(to) === 'open') found.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to) && graph.has(to)) visit(to);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  return found;
}

describe('the structure of src/', () => {
  it('reads the imports (the graph is not empty, every relative import names a file of src/)', () => {
    expect(graph.get('training/trainer.ts')!.map((e) => e.to)).toContain('training/trainStep.ts');
    const missing = [...graph].flatMap(([f, es]) => es.filter((e) => !graph.has(e.to)).map((e) => `${f} -> ${e.to}`));
    expect(missing).toEqual([]);
  });

  it('has no import cycles (type-only imports included)', () => {
    expect(cycles().map((c) => c.join(' -> '))).toEqual([]);
  });

  it('lower floors do not import higher ones: data/ never imports training/; figures/ take only types from experiments/', () => {
    const bad = [...graph].flatMap(([f, es]) =>
      es.filter((e) => (f.startsWith('data/') && e.to.startsWith('training/')) || (f.startsWith('figures/') && e.to.startsWith('experiments/') && !e.typeOnly)).map((e) => `${f} -> ${e.to}`),
    );
    expect(bad).toEqual([]);
  });
});
