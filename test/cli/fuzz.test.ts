/**
 * CLI fuzz test: a seeded corpus of bad command lines (test/fuzz/corpus.ts), each run as a real `ntk` child
 * process in a temporary "user folder". The contract for every bad input:
 *   - exit code 2;
 *   - stderr is exactly one line "ntk: error: <message>" with a message of at most 300 characters;
 *   - no stack trace ("internal error", "    at " frames);
 *   - the file system is unchanged: the user folder (paths and content hashes) is identical afterwards.
 * Cases run two at a time (each worker slot has its own user folder), with a per-case timeout. All cases
 * run in beforeAll; each `it` (one per subcommand, plus "usage" for commander's own errors) fails with the
 * list of its failing cases, so one run shows everything that is broken.
 *
 * The corpus is generated from valid base command lines, one thing broken at a time, and a seeded stratified
 * sample of it runs by default (every broken flag is hit; see QUOTA in test/fuzz/corpus.ts).
 * FUZZ_SEED=<n> picks another sample and other junk values (the seed is printed in failure messages);
 * FUZZ_ONLY=<group> runs one group; FUZZ_ALL=1 the whole corpus; FUZZ_KEEP=1 keeps the temporary folders.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import { buildCorpus, buildFixtures, sampleCorpus, type FuzzCase } from '../fuzz/corpus.js';

const BIN = new URL('../../bin/ntk.js', import.meta.url).pathname;
const SEED = Number(process.env.FUZZ_SEED ?? 20260401) >>> 0;
const ONLY = process.env.FUZZ_ONLY;
const CASE_TIMEOUT_MS = 15_000; // a refusal takes 1–3 s; anything near this is a hang
const CONCURRENCY = 2;
const MAX_MESSAGE = 300;
const PREFIX = 'ntk: error: ';
const GROUPS = ['kernel', 'flow', 'scan', 'train', 'sweep', 'predict-lambda', 'autol2', 'figures', 'figure', 'usage'] as const;

interface Outcome {
  c: FuzzCase;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
  stdout: string;
  fsDiff: string[];
  ms: number;
  problems: string[];
}

let root = '';
let fx = '';
let template = '';
let baseline = new Map<string, string>();
let fxBaseline = new Map<string, string>();
let fxAfter = new Map<string, string>();
const outcomes: Outcome[] = [];
let corpus: FuzzCase[] = [];
let wallSeconds = 0;

/** The user's folder before any command: unrelated files, and folders ntk did not make. */
function makeUserFolder(dir: string): void {
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'results'), { recursive: true });
  mkdirSync(join(dir, 'old.npy'), { recursive: true });
  writeFileSync(join(dir, 'thesis.tex'), '\\documentclass{article}\n\\begin{document}My thesis.\\end{document}\n');
  writeFileSync(join(dir, 'data', 'keep.csv'), '1,2,3\n4,5,6\n');
  writeFileSync(join(dir, 'results', 'figure1.pdf'), '%PDF-1.4 not really\n');
  writeFileSync(join(dir, 'old.npy', 'readme.txt'), 'a folder that happens to be called old.npy\n');
  writeFileSync(join(dir, 'notes.npy'), 'plain text, not an .npy file\n');
  writeNpy(join(dir, 'data', 'mine.npy'), { shape: [2, 2], data: Float64Array.from([1, 0, 0, 1]) });
}

/** path → content hash (files), 'dir' (folders) or the link target. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const abs = join(dir, rel);
    for (const name of readdirSync(abs)) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      if (st.isSymbolicLink()) out.set(r, `link:${readlinkSync(join(dir, r))}`);
      else if (st.isDirectory()) {
        out.set(r, `dir:${(st.mode & 0o7777).toString(8)}`);
        walk(r);
      } else out.set(r, `file:${(st.mode & 0o7777).toString(8)}:${createHash('sha1').update(readFileSync(join(dir, r))).digest('hex')}`);
    }
  };
  walk('');
  return out;
}

function diff(before: Map<string, string>, after: Map<string, string>): string[] {
  const d: string[] = [];
  for (const p of after.keys()) if (!before.has(p)) d.push(`+${p}`);
  for (const [p, h] of before) {
    if (!after.has(p)) d.push(`-${p}`);
    else if (after.get(p) !== h) d.push(`~${p}`);
  }
  return d;
}

function runCase(c: FuzzCase, cwd: string): Promise<Omit<Outcome, 'fsDiff' | 'problems'>> {
  return new Promise((resolve) => {
    const started = Date.now();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(process.execPath, [BIN, ...c.args], { cwd, env: { ...process.env, NTK_QUIET: '1' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ c, code: null, signal: null, timedOut: false, stdout: '', stderr: `(harness: spawn failed: ${(e as Error).message})`, ms: 0 });
      return;
    }
    const kill = () => {
      try {
        process.kill(-child!.pid!, 'SIGKILL'); // the whole process group (Chromium, workers…)
      } catch {
        child!.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, CASE_TIMEOUT_MS);
    child.stdout!.on('data', (d: Buffer) => {
      if (stdout.length < 100_000) stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 100_000) stderr += d.toString();
    });
    child.on('error', (e) => {
      stderr += `(harness: ${e.message})`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ c, code, signal, timedOut, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** What the contract says is wrong with one outcome (empty: it holds). */
function check(o: Omit<Outcome, "problems">): string[] {
  const p: string[] = [];
  if (o.timedOut) p.push(`hung (killed after ${CASE_TIMEOUT_MS / 1000} s)`);
  else if (o.code !== 2) p.push(`exit ${o.code ?? o.signal}`);
  if (/internal error/i.test(o.stderr)) p.push('internal error');
  if (/^\s+at /m.test(o.stderr)) p.push('stack trace');
  const lines = o.stderr.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== 1) p.push(`${lines.length} stderr lines`);
  if (lines.length >= 1) {
    if (!lines[0].startsWith(PREFIX)) p.push('no "ntk: error: " prefix');
    else if ([...lines[0].slice(PREFIX.length)].length > MAX_MESSAGE) p.push(`message of ${[...lines[0].slice(PREFIX.length)].length} chars`);
  }
  if (o.fsDiff.length) p.push(`fs changed: ${o.fsDiff.slice(0, 4).join(' ')}${o.fsDiff.length > 4 ? ` (+${o.fsDiff.length - 4})` : ''}`);
  return p;
}

const cut = (s: string, n: number) => {
  const flat = s.replace(/[\r\n]+/g, '⏎').replace(/[\u0000-\u001f\u007f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
};

function show(o: Outcome): string {
  const args = o.c.args.map((a) => (a.length > 60 ? `${a.slice(0, 40)}…(${a.length} chars)` : a)).map((a) => a.split(fx).join('$FX'));
  const cmd = cut(`ntk ${args.map((a) => (/^[\w@%+=:,./$-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`, 150);
  const first = o.stderr.split('\n').find((l) => l.trim() !== '') ?? '';
  return `  [${o.c.what}] ${cmd}\n      → ${o.problems.join('; ')} | stderr: ${cut(first, 140) || '(empty)'}`;
}

beforeAll(async () => {
  const t0 = Date.now();
  root = mkdtempSync(join(tmpdir(), 'ntk-fuzz-'));
  fx = join(root, 'fx');
  buildFixtures(fx, SEED);
  template = join(root, 'template');
  mkdirSync(template);
  makeUserFolder(template);
  baseline = snapshot(template);
  fxBaseline = snapshot(fx);
  const all = buildCorpus(fx, SEED);
  // FUZZ_ALL=1: the whole corpus (~800 cases, several minutes); FUZZ_CHECK_BASES=1: the valid base command lines
  // the cases are mutated from, which must succeed (group "valid"; slow: they train).
  corpus = process.env.FUZZ_CHECK_BASES ? all.filter((c) => c.group === 'valid') : process.env.FUZZ_ALL ? all.filter((c) => c.group !== 'valid') : sampleCorpus(all, SEED);
  if (ONLY) corpus = corpus.filter((c) => c.group === ONLY);
  const slots = Array.from({ length: CONCURRENCY }, (_, i) => {
    const d = join(root, `user${i}`);
    cpSync(template, d, { recursive: true });
    return d;
  });
  let next = 0;
  const worker = async (slot: string) => {
    for (;;) {
      const i = next++;
      if (i >= corpus.length) return;
      const r = await runCase(corpus[i], slot);
      const after = snapshot(slot);
      const fsDiff = diff(baseline, after);
      if (fsDiff.length) {
        // put the user folder back for the next case
        rmSync(slot, { recursive: true, force: true });
        cpSync(template, slot, { recursive: true });
      }
      const o = { ...r, fsDiff };
      outcomes[i] = { ...o, problems: check(o) };
    }
  };
  await Promise.all(slots.map(worker));
  fxAfter = snapshot(fx);
  wallSeconds = (Date.now() - t0) / 1000;
}, 900_000);

afterAll(() => {
  const counts: Record<string, number> = {};
  for (const c of corpus) counts[c.group] = (counts[c.group] ?? 0) + 1;
  const failing = outcomes.filter((o) => o?.problems.length).length;
  const slow = [...outcomes].filter(Boolean).sort((a, b) => b.ms - a.ms).slice(0, 3).map((o) => `${(o.ms / 1000).toFixed(1)} s ${o.c.group} [${o.c.what}]`);
  // eslint-disable-next-line no-console
  console.log(`fuzz seed ${SEED}: ${corpus.length} cases (${Object.entries(counts).map(([g, n]) => `${g} ${n}`).join(', ')}); ${failing} failing; ${wallSeconds.toFixed(1)} s; slowest: ${slow.join(', ')}`);
  if (root && !process.env.FUZZ_KEEP) rmSync(root, { recursive: true, force: true });
});

describe(`ntk CLI fuzz (seed ${SEED}): bad input → one "ntk: error:" line, exit 2, nothing written`, () => {
  it('the corpus has ≥ 300 cases over every subcommand', () => {
    if (ONLY) return;
    expect(corpus.length).toBeGreaterThanOrEqual(300);
    const groups = new Set(corpus.map((c) => c.group));
    for (const g of GROUPS) expect(groups.has(g), g).toBe(true);
    expect(corpus.some((c) => c.args[0] === 'info')).toBe(true);
  });

  for (const g of GROUPS) {
    it(`${g}: every bad input is refused cleanly`, () => {
      const mine = outcomes.filter((o) => o && o.c.group === g);
      if (ONLY && ONLY !== g) return;
      expect(mine.length).toBeGreaterThan(0);
      const bad = mine.filter((o) => o.problems.length);
      if (bad.length) {
        throw new Error(`seed ${SEED}: ${bad.length} of ${mine.length} ${g} cases break the contract (fixtures: $FX = ${fx}):\n${bad.map(show).join('\n')}`);
      }
    });
  }

  it('fixture files are untouched (nothing is written next to the inputs)', () => {
    expect(diff(fxBaseline, fxAfter)).toEqual([]);
  });
});
