#!/usr/bin/env node
// Builds the optional native addons with node-gyp: native/build/Release/ntk_kernels.node (the analytic kernel's
// hot loops, plain C, built first) and ntk_linalg.node (linear algebra against OpenBLAS + LAPACKE). Run as ntk-l2's npm "install" script, or by hand:
//
//   node scripts/build-native.mjs          (NTK_VERBOSE=1 shows node-gyp's output)
//
// This script NEVER fails: whatever goes wrong (no compiler, no OpenBLAS/LAPACKE headers, no
// node-gyp, no Python) it prints one line to stderr and exits 0; ntk-l2 then uses its
// pure-TypeScript linear algebra. NTK_SKIP_NATIVE=1 skips the build altogether.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const addonPath = join(nativeDir, 'build', 'Release', 'ntk_linalg.node');
const kernelsPath = join(nativeDir, 'build', 'Release', 'ntk_kernels.node');
const logPath = join(nativeDir, 'build-native.log');
const verbose = process.env.NTK_VERBOSE === '1';
const HOW =
  'to enable it: apt-get install libopenblas-dev liblapacke-dev (or your platform\'s OpenBLAS + LAPACKE), ' +
  'then `npm rebuild ntk-l2` or `node scripts/build-native.mjs`';

function notBuilt(why, logHint = '') {
  reportKernels();
  process.stderr.write(
    `ntk-l2: native linalg (OpenBLAS/LAPACKE) was not built: ${why}${logHint}; ` +
      `ntk-l2 falls back to pure TypeScript (slower); ${HOW}.\n`,
  );
  process.exit(0);
}

function main() {
  if (process.env.NTK_SKIP_NATIVE === '1') {
    notBuilt('skipped because NTK_SKIP_NATIVE=1');
  }
  if (!existsSync(join(nativeDir, 'binding.gyp'))) {
    notBuilt(`native/binding.gyp is missing from ${root}`);
  }

  const gyp = findNodeGyp();
  if (!gyp) notBuilt('node-gyp not found (set npm_config_node_gyp or install node-gyp)');

  const args = [...gyp.prefixArgs, 'rebuild'];
  // Without a nodedir node-gyp downloads Node's headers; prefer headers installed next to this node
  // (e.g. /usr/include/node for Debian's nodejs package) so an offline build works.
  if (!process.env.npm_config_nodedir) {
    const prefix = resolve(dirname(process.execPath), '..');
    if (existsSync(join(prefix, 'include', 'node', 'node_api.h')) && existsSync(join(prefix, 'include', 'node', 'common.gypi'))) {
      args.push(`--nodedir=${prefix}`);
    }
  }

  const res = spawnSync(gyp.cmd, args, {
    cwd: nativeDir,
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    timeout: 10 * 60 * 1000,
    maxBuffer: 64 * 1024 * 1024,
    env: process.env,
  });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  if (res.error || res.status !== 0) {
    const hint = verbose ? '' : saveLog(`$ ${gyp.cmd} ${args.join(' ')}\n${output}`);
    if (res.error) {
      const e = /** @type {NodeJS.ErrnoException} */ (res.error);
      notBuilt(e.code === 'ETIMEDOUT' ? 'node-gyp timed out' : `could not run node-gyp (${e.code ?? e.message})`, hint);
    }
    notBuilt(diagnose(output, res.status, res.signal), hint);
  }
  if (!existsSync(addonPath)) {
    notBuilt('node-gyp succeeded but native/build/Release/ntk_linalg.node is missing');
  }

  // Load it in a separate process: a broken link (missing shared library) must not take this one down.
  const check = spawnSync(
    process.execPath,
    ['-e', 'const m = require(process.argv[1]); const r = m.dgemm(new Float64Array([2]), 1, 1, new Float64Array([3]), 1, 1, false, false, 1, 0); if (r[0] !== 6) throw new Error("dgemm smoke test gave " + r[0]); process.stdout.write(m.info().config);', addonPath],
    { encoding: 'utf8', timeout: 60 * 1000 },
  );
  if (check.status !== 0) {
    const msg = firstMatch(check.stderr ?? '', /^(Error: .*)$/m) ?? `exit code ${check.status}`;
    notBuilt(`the addon was built but does not load (${truncate(msg, 160)})`);
  }
  reportKernels();
  process.stderr.write(`ntk-l2: native linalg built (${check.stdout.trim()}): ${addonPath}\n`);
}

let kernelsReported = false;

/**
 * One line on the kernel-loops addon (it needs no BLAS, so it may be built when linalg is not): loaded in a separate
 * process, so a broken build cannot take this one down.
 */
function reportKernels() {
  if (kernelsReported || process.env.NTK_SKIP_NATIVE === '1') return;
  kernelsReported = true;
  if (!existsSync(kernelsPath)) {
    process.stderr.write('ntk-l2: native kernel loops were not built; the analytic kernels use their pure-TypeScript loops (slower).\n');
    return;
  }
  const check = spawnSync(
    process.execPath,
    ['-e', 'const m = require(process.argv[1]); if (typeof m.abreluCross !== "function" || typeof m.convSeparable !== "function") throw new Error("missing exports");', kernelsPath],
    { encoding: 'utf8', timeout: 60 * 1000 },
  );
  process.stderr.write(
    check.status === 0
      ? `ntk-l2: native kernel loops built: ${kernelsPath}\n`
      : 'ntk-l2: native kernel loops were built but do not load; the analytic kernels use their pure-TypeScript loops (slower).\n',
  );
}

/** Locates node-gyp: $npm_config_node_gyp, npm's bundled copy, then node-gyp on PATH. */
function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const execDir = dirname(process.execPath);
  candidates.push(
    join(execDir, '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(execDir, 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), // Windows layout
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/local/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js', // Debian's packaged node-gyp
  );
  if (process.env.npm_execpath) {
    // npm_execpath = .../npm/bin/npm-cli.js
    candidates.push(join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a local dependency */
  }
  for (const c of candidates) {
    if (c && existsSync(c)) {
      return /\.(c|m)?js$/.test(c) ? { cmd: process.execPath, prefixArgs: [c] } : { cmd: c, prefixArgs: [] };
    }
  }
  const which = spawnSync(process.platform === 'win32' ? 'where' : 'which', ['node-gyp'], { encoding: 'utf8' });
  const onPath = which.status === 0 ? which.stdout.split(/\r?\n/)[0].trim() : '';
  return onPath ? { cmd: onPath, prefixArgs: [] } : null;
}

/** Turns node-gyp's output into a short reason. */
function diagnose(out, status, signal) {
  const header = firstMatch(out, /fatal error: ([\w./-]+\.h): No such file or directory/);
  if (header) {
    const pkg = /lapacke/i.test(header) ? 'LAPACKE headers missing' : /blas/i.test(header) ? 'OpenBLAS headers missing' : `${header} missing`;
    if (/node_api|js_native_api/.test(header)) return `Node.js headers (${header}) not found`;
    return `${header} not found (${pkg})`;
  }
  const lib = firstMatch(out, /cannot find -l(\w+)/);
  if (lib) return `library -l${lib} not found at link time`;
  if (/(gcc|cc|g\+\+|c\+\+|clang)(: command)? not found|No such file or directory.*\b(cc|gcc)\b|CC.*not found/i.test(out)) {
    return 'no C compiler (cc/gcc) found';
  }
  if (/make: (command )?not found|spawn make ENOENT|Can't find "make"/i.test(out)) return '`make` not found';
  if (/Could not find any Python|find Python|python.*not found/i.test(out)) return 'node-gyp could not find Python 3';
  if (/getaddrinfo|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|ENOTFOUND/.test(out)) {
    return 'node-gyp could not download Node.js headers (offline?)';
  }
  const err = firstMatch(out, /^.*\berror\b:? (.*)$/m);
  const base = signal ? `node-gyp killed by ${signal}` : `node-gyp exited with code ${status}`;
  return err ? `${base}: ${truncate(err, 160)}` : base;
}

function saveLog(text) {
  try {
    writeFileSync(logPath, text);
    return ` (full log: ${logPath}, or rerun with NTK_VERBOSE=1)`;
  } catch {
    return ' (rerun with NTK_VERBOSE=1 for the full log)';
  }
}

function firstMatch(text, re) {
  const m = re.exec(text);
  return m ? m[1] : null;
}

function truncate(s, n) {
  s = s.trim();
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

try {
  main();
} catch (e) {
  // never fail the install
  notBuilt(`unexpected error in scripts/build-native.mjs (${e instanceof Error ? e.message : String(e)})`);
}
