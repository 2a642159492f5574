/**
 * Images and sequences through every command that takes inputs (`kernel --x1/--x2`, the `--x/--x-test` and
 * `--data … --image-size` of scan and train), as a user runs them: the compiled bin in a child process.
 * Truth: closed forms computed here from the .npy values, and pairs of routes that must agree (flatten + MLP on
 * images vs the MLP on the same values as rows; a 1-D conv on sequences vs a 1×k 2-D conv on 1×L images).
 * Bad input: one line on stderr, exit 2, and the output path does not exist afterwards.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { readNpy, writeNpy } from '../../src/io/npy.js';

const BIN = new URL('../../bin/ntk.js', import.meta.url).pathname;
/** The CLI as a user runs it: the compiled bin in a child process (used once: starting node costs seconds on a loaded box). */
const spawnCli = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NTK_QUIET: '1' } });

/**
 * The CLI's entry point `main` in this process, with stdout and stderr captured: the same code the bin runs after
 * its two-line launcher, without a node start per case. Returns the exit code main gives the launcher.
 */
async function run(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  try {
    const status = await main(['node', 'ntk', ...args]);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

/** A deterministic pseudo-random value in [−1, 1) (a hash of the index: no shared generator with the code under test). */
const val = (i: number, salt: number) => (Math.sin(i * 12.9898 + salt * 78.233) * 43758.5453) % 1;

const N = 5; // training images
const NT = 3; // test images
const H = 6;
const W = 6;
const C = 2;
const PER = H * W * C;

let dir = '';
const p = (name: string) => join(dir, name);
const imgValues = (n: number, salt: number) => Float64Array.from({ length: n * PER }, (_, i) => val(i, salt));
const conv = (channels: number | string, extra = '') =>
  `{"type":"conv","channels":${channels},"filter":[3,3],"strides":[1,1],"padding":"SAME","wStd":1.41421356,"bStd":0${extra}}`;
const net = (...layers: string[]) => `{"layers":[${layers.join(',')}]}`;
const CNN = net(conv(8), '{"type":"relu"}', '{"type":"flatten"}', '{"type":"dense","width":3,"wStd":1.41421356}');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ntk-cli-images-'));
  const x = imgValues(N, 1);
  const xt = imgValues(NT, 2);
  writeNpy(p('img.npy'), { shape: [N, H, W, C], data: Float32Array.from(x) }); // float32 on disk
  writeNpy(p('imgT.npy'), { shape: [NT, H, W, C], data: xt });
  writeNpy(p('flat.npy'), { shape: [N, PER], data: Float64Array.from(Float32Array.from(x)) }); // the same values as rows
  writeNpy(p('flatT.npy'), { shape: [NT, PER], data: xt });
  writeNpy(p('labels.npy'), { shape: [N], data: Float64Array.from([0, 1, 2, 1, 0]) });
  writeNpy(p('labelsT.npy'), { shape: [NT], data: Float64Array.from([2, 0, 1]) });
  // sequences N×L×C, and the same values as N×1×L×C images
  const seq = Float64Array.from({ length: N * 8 * 3 }, (_, i) => val(i, 3));
  writeNpy(p('seq.npy'), { shape: [N, 8, 3], data: seq });
  writeNpy(p('seqImg.npy'), { shape: [N, 1, 8, 3], data: seq });
  // broken inputs
  const nan = imgValues(N, 1);
  nan[((2 * H + 4) * W + 1) * C + 1] = NaN;
  writeNpy(p('nan.npy'), { shape: [N, H, W, C], data: nan });
  writeNpy(p('rank5.npy'), { shape: [1, N, H, W, C], data: imgValues(N, 1) });
  writeNpy(p('c0.npy'), { shape: [N, H, W, 0], data: new Float64Array(0) });
  const whole = readFileSync(p('imgT.npy'));
  writeFileSync(p('short.npy'), whole.subarray(0, whole.length - 8));
  writeNpy(p('small.npy'), { shape: [NT, 5, 5, C], data: Float64Array.from({ length: NT * 50 }, (_, i) => val(i, 4)) });
  // uint8 pixels, written with a hand-made header (numpy's '|u1')
  let hdr = `{'descr': '|u1', 'fortran_order': False, 'shape': (${NT}, ${H}, ${W}, ${C}), }`;
  while ((10 + hdr.length + 1) % 64 !== 0) hdr += ' ';
  hdr += '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre, 0);
  pre[6] = 1;
  pre.writeUInt16LE(hdr.length, 8);
  const u8 = Uint8Array.from({ length: NT * PER }, (_, i) => (i * 53) % 256);
  writeFileSync(p('u8.npy'), Buffer.concat([pre, Buffer.from(hdr, 'latin1'), Buffer.from(u8)]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The C-order value (n, h, w, c) of a float64 array of images. */
const at = (d: ArrayLike<number>, n: number, s: number, c: number) => d[n * PER + s * C + c];
const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    err = Math.max(err, Math.abs(a[i] - b[i]));
  }
  return err / scale;
};

/** Runs a command that must be refused: exit 2, one line matching `message`, and `out` not created. */
async function refused(args: string[], out: string, message: RegExp): Promise<void> {
  const r = await run(args);
  expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ntk: error: /);
  expect(lines[0]).toMatch(message);
  expect(r.stdout).toBe('');
  expect(existsSync(out), `${out} was written`).toBe(false);
}

describe('ntk kernel on images and sequences', () => {
  it('globalAvgPool > dense: NNGP = NTK = σ_w²·(Σ_s x_s)·(Σ_t x′_t)/(S²·C), from a float32 X1 and a float64 X2 (closed form, ≤ 1e-12)', async () => {
    const arch = net('{"type":"globalAvgPool"}', '{"type":"dense","width":1,"wStd":1.3}');
    for (const get of ['ntk', 'nngp']) {
      const out = p(`gap_${get}.npy`);
      const args = ['kernel', '--arch', arch, '--x1', p('img.npy'), '--x2', p('imgT.npy'), '--get', get, '--out', out];
      // once through the bin in a child process, as a user runs it; once through main in this process
      const r = get === 'ntk' ? spawnCli(args) : await run(args);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ shape: [N, NT], kernel: get });
      const k = readNpy(out);
      const x1 = Float64Array.from(Float32Array.from(imgValues(N, 1)));
      const x2 = imgValues(NT, 2);
      const want = new Float64Array(N * NT);
      for (let i = 0; i < N; i++) {
        for (let j = 0; j < NT; j++) {
          let s = 0;
          for (let c = 0; c < C; c++) {
            let a = 0;
            let b = 0;
            for (let q = 0; q < H * W; q++) {
              a += at(x1, i, q, c);
              b += at(x2, j, q, c);
            }
            s += a * b;
          }
          want[i * NT + j] = (1.69 * s) / ((H * W) ** 2 * C);
        }
      }
      expect(maxRel(k.data, want)).toBeLessThan(1e-12);
    }
  });

  it('uint8 images are read as their 0..255 values (the same closed form)', async () => {
    const out = p('u8K.npy');
    const r = await run(['kernel', '--arch', net('{"type":"globalAvgPool"}', '{"type":"dense","width":1}'), '--x1', p('u8.npy'), '--get', 'nngp', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const k = readNpy(out);
    const u = Float64Array.from({ length: NT * PER }, (_, i) => (i * 53) % 256);
    const sums = (n: number, c: number) => {
      let a = 0;
      for (let q = 0; q < H * W; q++) a += at(u, n, q, c);
      return a;
    };
    const want = Array.from({ length: NT * NT }, (_, ij) => {
      const i = Math.floor(ij / NT);
      const j = ij % NT;
      return (sums(i, 0) * sums(j, 0) + sums(i, 1) * sums(j, 1)) / ((H * W) ** 2 * C);
    });
    expect(maxRel(k.data, want)).toBeLessThan(1e-12);
  });

  it('flatten + MLP on images equals the MLP on the same values as rows (spatial and flat engines, ≤ 1e-12)', async () => {
    const mlp = '{"type":"dense","width":16,"wStd":1.4,"bStd":0.1},{"type":"relu"},{"type":"dense","width":1,"wStd":1.4}';
    const a = p('fl_img.npy');
    const b = p('fl_flat.npy');
    expect((await run(['kernel', '--arch', `{"layers":[{"type":"flatten"},${mlp}]}`, '--x1', p('img.npy'), '--x2', p('imgT.npy'), '--out', a])).status).toBe(0);
    expect((await run(['kernel', '--arch', `{"layers":[${mlp}]}`, '--x1', p('flat.npy'), '--x2', p('flatT.npy'), '--out', b])).status).toBe(0);
    expect(maxRel(readNpy(a).data, readNpy(b).data)).toBeLessThan(1e-12);
  });

  it('rank 3 is N×L×C: a 1-D conv on sequences equals a 1×3 2-D conv on the same values as N×1×L×C images (≤ 1e-12)', async () => {
    const tail = '{"type":"relu"},{"type":"globalAvgPool"},{"type":"dense","width":1,"wStd":1.41421356}';
    const a = p('seq1d.npy');
    const b = p('seq2d.npy');
    const r1 = await run(['kernel', '--arch', `{"layers":[{"type":"conv","channels":4,"filter":[3],"padding":"SAME","wStd":1.41421356},${tail}]}`, '--x1', p('seq.npy'), '--out', a]);
    expect(r1.status, r1.stderr).toBe(0);
    const r2 = await run(['kernel', '--arch', `{"layers":[{"type":"conv","channels":4,"filter":[1,3],"padding":"SAME","wStd":1.41421356},${tail}]}`, '--x1', p('seqImg.npy'), '--out', b]);
    expect(r2.status, r2.stderr).toBe(0);
    expect(maxRel(readNpy(a).data, readNpy(b).data)).toBeLessThan(1e-12);
  });

  it('--empirical on images: 4 networks of 256 channels, the mean within 5 standard errors of the analytic NTK (and --stderr written)', async () => {
    const arch = net(conv(8), '{"type":"relu"}', '{"type":"globalAvgPool"}', '{"type":"dense","width":1,"wStd":1.41421356}');
    const emp = p('emp.npy');
    const se = p('emp_se.npy');
    const an = p('an.npy');
    const r = await run(['kernel', '--arch', arch, '--x1', p('img.npy'), '--empirical', '--width', '256', '--seeds', '4', '--out', emp, '--stderr', se]);
    expect(r.status, r.stderr).toBe(0);
    expect((await run(['kernel', '--arch', arch, '--x1', p('img.npy'), '--out', an])).status).toBe(0);
    const e = readNpy(emp).data;
    const s = readNpy(se).data;
    const a = readNpy(an).data;
    // 25 entries; 5 standard errors (of a 4-sample mean, whose own estimate is rough) bound each difference
    for (let i = 0; i < a.length; i++) expect(Math.abs(e[i] - a[i]), `entry ${i}`).toBeLessThan(5 * s[i] + 1e-6 * Math.abs(a[i]));
    // and the empirical kernel is not trivially close: the seeds differ (a nonzero standard error)
    expect(Math.max(...Array.from(s))).toBeGreaterThan(0);
  });

  it('bad image input: one line, exit 2, no --out', async () => {
    const out = p('never.npy');
    const k = (arch: string, x1: string, ...more: string[]) => ['kernel', '--arch', arch, '--x1', p(x1), '--out', out, ...more];
    await refused(k('dense(8) > relu > dense(1)', 'img.npy'), out, /layers\[0\] \(dense\): dense takes flat vectors, got spatial values 6×6×2: add flatten or globalAvgPool first/);
    await refused(k('dense(8) > relu > dense(1)', 'img.npy', '--empirical'), out, /dense takes flat vectors/);
    await refused(k(net('{"type":"avgPool","window":[8,8],"strides":[8,8],"padding":"VALID"}', '{"type":"flatten"}', '{"type":"dense","width":1}'), 'img.npy'), out, /avgPool: window 8×8 is larger than the input 6×6/);
    await refused(k(net(conv(4, ',"padding":"FULL"').replace('"padding":"SAME",', ''), '{"type":"flatten"}', '{"type":"dense","width":1}'), 'img.npy'), out, /padding must be .*got "FULL"/);
    await refused(k(net(conv(0), '{"type":"flatten"}', '{"type":"dense","width":1}'), 'img.npy'), out, /conv: channels must be a positive integer.*got 0/);
    await refused(k(CNN, 'c0.npy'), out, /empty inputs \(shape \(5, 6, 6, 0\)\)/);
    await refused(k(CNN, 'flat.npy'), out, /layers\[0\] \(conv\): conv needs a spatial input/);
    await refused(k(CNN, 'seq.npy'), out, /conv is 2-D, got an input of spatial shape 8/);
    await refused(k(CNN, 'rank5.npy'), out, /got a 5-D array of shape \(1, 5, 6, 6, 2\)/);
    await refused(k(net(conv(4), '{"type":"batchNorm"}', '{"type":"flatten"}', '{"type":"dense","width":1}'), 'img.npy'), out, /batchNorm has no closed-form kernel/);
    await refused(k(CNN, 'short.npy'), out, /truncated \.npy file/);
    await refused(k(CNN, 'nan.npy'), out, /example 2 has NaN at x\[2, 4, 1, 1\]/);
    await refused(k(CNN, 'img.npy', '--x2', p('small.npy')), out, /different image shapes/);
    await refused(k(CNN, 'img.npy', '--x2', p('flatT.npy')), out, /X2 is an N×d matrix but the other input is images/);
    // pooling needs the full spatial covariance: (H·W)² entries per pair, estimated and refused before any work
    const gap = net(conv(4), '{"type":"relu"}', '{"type":"globalAvgPool"}', '{"type":"dense","width":1}');
    await refused(k(gap, 'img.npy', '--max-memory', '256K'), out, /the 5×5 NTK of 6×6×2 images \(full spatial covariances\) needs about [\d.]+ MiB, over the memory limit of 256\.0 KiB/);
  });
});

describe('scan and train on images', () => {
  it('scan: flatten + MLP on --image-size 28 digits gives the t* table of the MLP on the flat digits (≤ 1e-10)', async () => {
    const mlp = '{"type":"dense","width":64,"wStd":1.41421356},{"type":"relu"},{"type":"dense","width":10,"wStd":1.41421356}';
    const a = p('scanImg');
    const b = p('scanFlat');
    const common = ['--data', 'mnist:24:16', '--lambdas', '1e-2,1e-1', '--quiet'];
    const r1 = await run(['scan', '--arch', `{"layers":[{"type":"flatten"},${mlp}]}`, '--image-size', '28', ...common, '--out', a]);
    expect(r1.status, r1.stderr).toBe(0);
    const r2 = await run(['scan', '--arch', `{"layers":[${mlp}]}`, ...common, '--out', b]);
    expect(r2.status, r2.stderr).toBe(0);
    const ta = JSON.parse(readFileSync(join(a, 'tstar.json'), 'utf8')) as { data: string; rows: { bestTestMse: number; lambdaTStarMse: number }[] };
    const tb = JSON.parse(readFileSync(join(b, 'tstar.json'), 'utf8')) as { data: string; rows: { bestTestMse: number; lambdaTStarMse: number }[] };
    expect(ta.data).toContain('28×28×1 images');
    expect(tb.data).not.toContain('images');
    ta.rows.forEach((row, i) => {
      expect(Math.abs(row.bestTestMse - tb.rows[i].bestTestMse) / tb.rows[i].bestTestMse).toBeLessThan(1e-10);
      expect(Math.abs(row.lambdaTStarMse - tb.rows[i].lambdaTStarMse) / tb.rows[i].lambdaTStarMse).toBeLessThan(1e-10);
    });
  });

  it('scan: a conv-first net makes --data give 7×7 images with --image-size 7, files give images by rank; L counts conv and dense', async () => {
    const arch = net(conv(8), '{"type":"relu"}', '{"type":"globalAvgPool"}', '{"type":"dense","width":10,"wStd":1.41421356}');
    const a = p('scanCnn');
    const r = await run(['scan', '--arch', arch, '--data', 'mnist:12:8', '--image-size', '7', '--lambdas', '1e-2,1e-1', '--quiet', '--out', a]);
    expect(r.status, r.stderr).toBe(0);
    const t = JSON.parse(readFileSync(join(a, 'tstar.json'), 'utf8')) as { data: string; depth: number; n: number };
    expect(t.data).toContain('7×7×1 images');
    expect([t.depth, t.n]).toEqual([2, 12]);
    const f = p('scanFiles');
    const arch3 = net(conv(8), '{"type":"relu"}', '{"type":"globalAvgPool"}', '{"type":"dense","width":3,"wStd":1.41421356}');
    const rf = await run(['scan', '--arch', arch3, '--x', p('img.npy'), '--y', p('labels.npy'), '--x-test', p('imgT.npy'), '--y-test', p('labelsT.npy'), '--lambdas', '1e-2,1e-1', '--quiet', '--out', f]);
    expect(rf.status, rf.stderr).toBe(0);
    expect((JSON.parse(readFileSync(join(f, 'tstar.json'), 'utf8')) as { data: string }).data).toContain('6×6×2 per example');
  });

  it('the first-layer rule: without --image-size a conv-first net gets 28×28×1 digits (train, with a kernel probe)', async () => {
    const out = p('run28');
    const arch = net(conv(4), '{"type":"relu"}', '{"type":"globalAvgPool"}', '{"type":"dense","width":10}');
    const r = await run(['train', '--arch', arch, '--data', 'mnist:16:8', '--lambda', '1e-2', '--budget', '1', '--batch', '8', '--kernel-probe', '4', '--quiet', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    // parameters counted by hand: conv 3·3·1·4 and dense 4·10 (bStd = 0: no bias vectors); a flat 784 input would fail the conv
    const res = JSON.parse(readFileSync(join(out, 'result.json'), 'utf8')) as { paramCount: number };
    expect(res.paramCount).toBe(3 * 3 * 1 * 4 + 4 * 10);
    expect(readFileSync(join(out, 'result.json'), 'utf8')).toContain('28×28×1 images');
  });

  it('train: flatten + MLP on image files follows the MLP on the same values as rows (same seed, same losses)', async () => {
    const mlp = '{"type":"dense","width":32,"wStd":1.41421356},{"type":"relu"},{"type":"dense","width":3,"wStd":1.41421356}';
    const a = p('trainImg');
    const b = p('trainFlat');
    const common = ['--y', p('labels.npy'), '--y-test', p('labelsT.npy'), '--lambda', '1e-2', '--budget', '2', '--batch', '5', '--quiet'];
    const r1 = await run(['train', '--arch', `{"layers":[{"type":"flatten"},${mlp}]}`, '--x', p('img.npy'), '--x-test', p('imgT.npy'), ...common, '--out', a]);
    expect(r1.status, r1.stderr).toBe(0);
    const r2 = await run(['train', '--arch', `{"layers":[${mlp}]}`, '--x', p('flat.npy'), '--x-test', p('flatT.npy'), ...common, '--out', b]);
    expect(r2.status, r2.stderr).toBe(0);
    const fa = JSON.parse(r1.stdout) as { finalTestLoss: number; steps: number };
    const fb = JSON.parse(r2.stdout) as { finalTestLoss: number; steps: number };
    expect(fa.steps).toBe(fb.steps);
    // float32 on the same backend; a reshape changes no value, so only summation order could differ
    expect(Math.abs(fa.finalTestLoss - fb.finalTestLoss)).toBeLessThan(1e-6 * Math.abs(fb.finalTestLoss));
  });

  it('sweep and autol2 on image files (--jobs 1): every run trained the CNN on 6×6×2 images (84 parameters, counted by hand; L = 2)', async () => {
    const arch = net(conv(4), '{"type":"relu"}', '{"type":"globalAvgPool"}', '{"type":"dense","width":3,"wStd":1.41421356}');
    const files = ['--x', p('img.npy'), '--y', p('labels.npy'), '--x-test', p('imgT.npy'), '--y-test', p('labelsT.npy')];
    const sw = p('sweepImg');
    const r1 = await run(['sweep', '--arch', arch, ...files, '--lambdas', '1e-1,3e-1', '--budget-factor', '0.3', '--jobs', '1', '--quiet', '--out', sw]);
    expect(r1.status, r1.stderr).toBe(0);
    const al = p('autol2Img');
    const r2 = await run(['autol2', '--arch', arch, ...files, '--budget', '1', '--grid', '0.01', '--net-seeds', '0', '--jobs', '1', '--quiet', '--out', al]);
    expect(r2.status, r2.stderr).toBe(0);
    // one JSON line each; the metadata records the network trained (conv 4 channels, dense 3), not only --arch
    expect(JSON.parse(r1.stdout)).toMatchObject({ out: sw, runs: 2, widths: [4, 3] });
    expect(JSON.parse(r2.stdout)).toMatchObject({ out: al, seeds: [0], widths: [4, 3] });
    expect(JSON.parse(readFileSync(join(al, 'autol2.json'), 'utf8'))).toMatchObject({ architecture: arch, width: null, widths: [4, 3] });
    const results = [sw, al].flatMap((d) => readdirSync(join(d, 'runs')).map((r) => join(d, 'runs', r, 'result.json')));
    expect(results).toHaveLength(4); // two λ of the sweep; Auto L2 and one constant λ
    for (const f of results) {
      const res = JSON.parse(readFileSync(f, 'utf8')) as { paramCount: number; depth: number };
      // conv 3·3·2·4 weights and dense 4·3 weights (bStd = 0: no biases)
      expect([res.paramCount, res.depth], f).toEqual([3 * 3 * 2 * 4 + 4 * 3, 2]);
    }
  });

  it('bad image data for scan and train: one line, exit 2, no --out folder', async () => {
    const out = p('neverDir');
    const files = (x: string, xt: string) => ['--x', p(x), '--y', p('labels.npy'), '--x-test', p(xt), '--y-test', p('labelsT.npy')];
    const scan = (arch: string, ...more: string[]) => ['scan', '--arch', arch, '--lambdas', '1e-2,1e-1', '--quiet', '--out', out, ...more];
    const train = (arch: string, ...more: string[]) => ['train', '--arch', arch, '--lambda', '1e-2', '--budget', '1', '--quiet', '--out', out, ...more];
    await refused(scan('dense(8) > relu > dense(3)', ...files('img.npy', 'imgT.npy')), out, /dense takes flat vectors, got spatial values 6×6×2/);
    await refused(train('dense(8) > relu > dense(3)', ...files('img.npy', 'imgT.npy')), out, /dense takes flat vectors, got spatial values 6×6×2/);
    await refused(scan(CNN, ...files('flat.npy', 'flatT.npy')), out, /conv needs a spatial input/);
    await refused(train(CNN, ...files('flat.npy', 'flatT.npy')), out, /conv needs a spatial input/);
    await refused(train(CNN, ...files('img.npy', 'flatT.npy')), out, /X and X test differ in shape per example/);
    await refused(train(CNN, ...files('nan.npy', 'imgT.npy')), out, /X \(--x\) \(.*nan\.npy\): example 2 has NaN/);
    await refused(train(CNN, ...files('img.npy', 'imgT.npy'), '--standardize', 'features'), out, /not offered for images/);
    await refused(train(CNN, ...files('img.npy', 'imgT.npy'), '--image-size', '14'), out, /--image-size is for the bundled digits/);
    await refused(train(CNN, '--data', 'mnist:16:8', '--image-size', '9'), out, /--image-size must be 28, 14 or 7/);
    await refused(train('dense(8) > relu > dense(10)', '--data', 'mnist:16:8', '--image-size', '7'), out, /dense takes flat vectors, got spatial values 7×7×1/);
    const gap = net(conv(8), '{"type":"relu"}', '{"type":"globalAvgPool"}', '{"type":"dense","width":10,"wStd":1.41421356}');
    await refused(scan(gap, '--data', 'mnist:40:20', '--image-size', '14', '--max-memory', '16M'), out, /the 40×40 NTK of 14×14×1 images \(full spatial covariances\) needs about \d+\.\d MiB, over the memory limit of 16\.0 MiB/);
  });
});
