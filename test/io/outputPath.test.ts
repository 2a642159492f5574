import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeNpy } from '../../src/io/npy.js';
import {
  OUTPUT_MARKER,
  checkOutputDir,
  checkOutputFile,
  checkWorkDir,
  openWorkDir,
  readOutputMarker,
  resolveOutputPath,
  writeOutputDir,
} from '../../src/io/outputPath.js';
import { removeRunFiles } from '../../src/training/validate.js';
import { InputError } from '../../src/util/errors.js';

let root: string;
let cwd: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ntk-outpath-'));
  cwd = process.cwd();
  process.chdir(root);
});
afterEach(() => process.chdir(cwd));

/** Every file under `dir` with its content: what must not change when ntk refuses. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = readFileSync(p, 'latin1');
    }
  };
  walk(dir, '');
  return out;
}

const refused = (f: () => unknown, pattern: RegExp) => {
  expect(f).toThrow(InputError);
  expect(f).toThrow(pattern);
};

describe('resolveOutputPath', () => {
  it('refuses empty paths, the current folder and its ancestors, the home folder and the root', () => {
    refused(() => resolveOutputPath(''), /must name/);
    refused(() => resolveOutputPath('   '), /must name/);
    refused(() => resolveOutputPath('.'), /current folder/);
    refused(() => resolveOutputPath('./'), /current folder/);
    refused(() => resolveOutputPath(root), /current folder/);
    refused(() => resolveOutputPath('..'), /current folder or contains it/);
    refused(() => resolveOutputPath('/'), /current folder|root|home/);
    refused(() => resolveOutputPath(process.env.HOME ?? '/root'), /home folder|current folder/);
    expect(resolveOutputPath('results')).toBe(join(root, 'results'));
  });

  it('refuses a path below a file and a symbolic link', () => {
    writeFileSync('plain.txt', 'x');
    refused(() => resolveOutputPath('plain.txt/sub/out'), /is a file, not a folder/);
    mkdirSync('real');
    symlinkSync(join(root, 'real'), 'link');
    refused(() => resolveOutputPath('link'), /symbolic link/);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder the user cannot write to', () => {
    mkdirSync('ro');
    chmodSync('ro', 0o555);
    refused(() => resolveOutputPath('ro/out'), /permission denied/);
  });
});

describe('folders written whole (checkOutputDir / writeOutputDir)', () => {
  it('writes the files and the marker; refuses to replace without --force; replaces ntk\'s own folder with it', () => {
    writeOutputDir('res', 'flow', { 'a.json': '{"v":1}\n', 'b.npy': { npy: { shape: [2], data: new Float64Array([1, 2]) } } });
    expect(readdirSync('res').sort()).toEqual([OUTPUT_MARKER, 'a.json', 'b.npy']);
    expect(readOutputMarker('res')).toEqual({ tool: 'ntk-l2', kind: 'flow', files: ['a.json', 'b.npy'] });
    refused(() => writeOutputDir('res', 'flow', { 'a.json': '{"v":2}\n' }), /pass --force/);
    writeOutputDir('res', 'flow', { 'a.json': '{"v":2}\n' }, { force: true });
    expect(readdirSync('res').sort()).toEqual([OUTPUT_MARKER, 'a.json']);
    expect(readFileSync('res/a.json', 'utf8')).toBe('{"v":2}\n');
    // no temporary or old folders are left beside it
    expect(readdirSync('.')).toEqual(['res']);
  });

  it('never replaces a folder ntk did not make, nor one holding a file ntk did not write, whatever the flags', () => {
    mkdirSync('mine');
    writeFileSync('mine/thesis.tex', 'precious');
    const before = snapshot(root);
    refused(() => writeOutputDir('mine', 'flow', { 'a.json': '{}' }, { force: true }), /did not create/);
    writeOutputDir('res', 'flow', { 'a.json': '{}' });
    writeFileSync('res/notes.txt', 'mine too');
    refused(() => writeOutputDir('res', 'flow', { 'a.json': '{}' }, { force: true }), /notes\.txt.*did not write/);
    refused(() => checkOutputDir('res', 'scan', true), /output of ntk flow, not scan/);
    expect(readFileSync('mine/thesis.tex', 'utf8')).toBe('precious');
    expect(readFileSync('res/notes.txt', 'utf8')).toBe('mine too');
    expect(snapshot(join(root, 'mine'))).toEqual(Object.fromEntries(Object.entries(before).map(([k, v]) => [k.replace(/^mine\//, ''), v])));
  });

  it('accepts a missing or empty folder and refuses a file', () => {
    mkdirSync('empty');
    writeOutputDir('empty', 'scan', { 'x.csv': '1\n' });
    expect(readdirSync('empty').sort()).toEqual([OUTPUT_MARKER, 'x.csv']);
    writeOutputDir('deep/er/res', 'scan', { 'x.csv': '1\n' });
    expect(existsSync('deep/er/res/x.csv')).toBe(true);
    writeFileSync('file', 'x');
    refused(() => checkOutputDir('file', 'scan', true), /is a file/);
  });
});

describe('folders that grow (checkWorkDir / openWorkDir)', () => {
  it('creates and marks a folder, reopens it, and refuses a foreign or other-kind folder', () => {
    const dir = openWorkDir('runs/one', 'run');
    expect(readOutputMarker(dir)).toEqual({ tool: 'ntk-l2', kind: 'run' });
    expect(openWorkDir('runs/one', 'run')).toBe(dir);
    refused(() => checkWorkDir('runs/one', 'sweep'), /ntk run folder, not a sweep folder/);
    mkdirSync('theirs');
    writeFileSync('theirs/data.csv', '1,2');
    refused(() => openWorkDir('theirs', 'sweep'), /did not create/);
    expect(readdirSync('theirs')).toEqual(['data.csv']);
    mkdirSync('blank');
    openWorkDir('blank', 'sweep');
    expect(readOutputMarker('blank')?.kind).toBe('sweep');
  });

  it('a folder holding only the temporary marker file of a killed ntk (SIGKILL between mkdir and rename) is reopened, not refused', () => {
    // the name writeFileAtomic gives the marker's temporary file: ".NAME.PID.12-HEX.tmp"; a process that has exited
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    const left = `.${OUTPUT_MARKER}.${dead}.0123456789ab.tmp`;
    mkdirSync('killed');
    writeFileSync(join('killed', left), '{"tool":"ntk-l2","ki');
    expect(checkWorkDir('killed', 'run')).toBe(join(root, 'killed'));
    openWorkDir('killed', 'run');
    expect(readOutputMarker('killed')).toEqual({ tool: 'ntk-l2', kind: 'run' });
    expect(readdirSync('killed')).toEqual([OUTPUT_MARKER]); // the leftover is gone
    // one of a live process (a write in progress) is left alone; beside any other file the folder stays foreign
    const live = `.${OUTPUT_MARKER}.${process.pid}.0123456789ab.tmp`;
    mkdirSync('busy');
    writeFileSync(join('busy', live), '');
    openWorkDir('busy', 'run');
    expect(readdirSync('busy').sort()).toEqual([live, OUTPUT_MARKER].sort());
    mkdirSync('mixed');
    writeFileSync(join('mixed', left), '');
    writeFileSync(join('mixed', 'notes.txt'), 'mine');
    refused(() => openWorkDir('mixed', 'run'), /did not create/);
    expect(readdirSync('mixed').sort()).toEqual([left, 'notes.txt'].sort());
  });

  it('removeRunFiles (train --force) removes only the run\'s own files', () => {
    const dir = openWorkDir('run', 'run');
    for (const f of ['result.json', 'log.jsonl', 'checkpoint-40.f32', 'notes.txt']) writeFileSync(join(dir, f), 'x');
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ dataFile: 'checkpoint-40.f32' }));
    mkdirSync(join(dir, 'plots'));
    removeRunFiles(dir);
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, 'notes.txt', 'plots']);
  });

  it('a checkpoint naming a file outside its own pattern is refused, not followed', () => {
    const dir = openWorkDir('run2', 'run');
    writeFileSync('victim.txt', 'keep');
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ dataFile: '../victim.txt' }));
    refused(() => removeRunFiles(dir), /not a checkpoint ntk wrote/);
    expect(readFileSync('victim.txt', 'utf8')).toBe('keep');
  });
});

describe('single output files (checkOutputFile)', () => {
  it('refuses folders, existing files without --force, and non-.npy files even with it', () => {
    mkdirSync('K.npy');
    refused(() => checkOutputFile('K.npy'), /is a folder/);
    writeFileSync('notes.npy', 'not an array');
    refused(() => checkOutputFile('notes.npy'), /pass --force/);
    refused(() => checkOutputFile('notes.npy', { force: true }), /not an \.npy file/);
    writeNpy('old.npy', { shape: [1], data: new Float64Array([1]) });
    expect(checkOutputFile('old.npy', { force: true })).toBe(join(root, 'old.npy'));
    expect(checkOutputFile('new/K.npy')).toBe(join(root, 'new/K.npy'));
    expect(existsSync(dirname(join(root, 'new/K.npy')))).toBe(false); // checking creates nothing
  });
});
