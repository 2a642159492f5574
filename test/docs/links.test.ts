// Every relative link in README.md and docs/**/*.md (except the generated docs/api/) resolves to a file or folder
// of the repository, and every #anchor into a Markdown file names one of its headings (GitHub's slugs).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;


/** Markdown files checked: the README and every page under docs/ except the generated API reference. */
function markdownFiles(): string[] {
  const out = ['README.md'];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) {
        if (rel !== 'docs/api') walk(rel);
      } else if (e.name.endsWith('.md')) out.push(rel);
    }
  };
  walk('docs');
  return out;
}

/** GitHub's heading anchor: lower case, punctuation dropped (letters, digits, spaces, - and _ kept), spaces → '-'. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (outside code blocks), numbered like GitHub's when repeated. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Relative link targets of a Markdown file: [text](target) outside code blocks and inline code. */
function links(file: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) continue;
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1]!;
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push(target); // skip https:, mailto:, …
    }
  }
  return out;
}

describe('documentation links', () => {
  it('the slug rule matches GitHub on headings used here', () => {
    expect(slug('On a fresh machine, and what `npm start` makes')).toBe('on-a-fresh-machine-and-what-npm-start-makes');
    expect(slug('The L2 gradient flow at infinite width')).toBe('the-l2-gradient-flow-at-infinite-width');
    expect(slug('Output folders, your files, and errors')).toBe('output-folders-your-files-and-errors');
  });

  it('finds the pages and their links (the check below is not empty)', () => {
    const files = markdownFiles();
    expect(files).toContain('docs/guide.md');
    expect(links(join(ROOT, 'README.md')).length).toBeGreaterThan(10);
  });

  it('every relative link in README.md and docs/ resolves', () => {
    const broken: string[] = [];
    for (const rel of markdownFiles()) {
      const file = join(ROOT, rel);
      for (const target of links(file)) {
        const [path, anchor] = target.split('#') as [string, string | undefined];
        const dest = path === '' ? file : join(dirname(file), decodeURIComponent(path));
        const destRel = relative(ROOT, dest);
        if (!existsSync(dest)) {
          broken.push(`${rel}: ${target} (no such file)`);
          continue;
        }
        if (anchor && statSync(dest).isFile() && dest.endsWith('.md') && !anchors(dest).has(anchor)) {
          broken.push(`${rel}: ${target} (no heading #${anchor} in ${destRel})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });
});
