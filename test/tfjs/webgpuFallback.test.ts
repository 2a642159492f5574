import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy.js';
import { runCliAsync } from '../cliHelpers.js';
import { randomMatrix } from '../helpers.js';

/**
 * `--backend webgpu` where no WebGPU adapter can exist (no Vulkan driver: VK_ICD_FILENAMES names a missing file,
 * LD_LIBRARY_PATH is cleared) degrades to wasm with one line on stderr, never a crash, and computes exactly what
 * `--backend wasm` computes.
 */
const dir = mkdtempSync(join(tmpdir(), 'ntk-webgpu-fallback-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a missing WebGPU degrades to wasm', () => {
  it('ntk kernel --empirical --backend webgpu without a GPU driver: one notice, the wasm result', async () => {
    writeNpy(join(dir, 'x.npy'), { shape: [5, 4], data: randomMatrix(5, 4, 41).data });
    const env = { ...process.env, NTK_QUIET: '1', VK_ICD_FILENAMES: join(dir, 'no-such-icd.json'), LD_LIBRARY_PATH: '' };
    // asynchronous children, so that this worker keeps answering vitest while they run
    const run = (backend: string) =>
      runCliAsync(['kernel', '--arch', 'dense(16) > relu > dense(2)', '--x1', join(dir, 'x.npy'), '--empirical', '--backend', backend, '--out', join(dir, `${backend}.npy`)], { env });
    const gpu = await run('webgpu');
    expect(gpu.status, gpu.stderr).toBe(0);
    const notices = gpu.stderr.split('\n').filter((l) => l.startsWith('ntk: '));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^ntk: webgpu unavailable \(.+\); using wasm$/);
    expect(JSON.parse(gpu.stdout.trim().split('\n').pop()!)).toMatchObject({ backend: 'wasm' });
    const wasm = await run('wasm');
    expect(wasm.status, wasm.stderr).toBe(0);
    expect(Array.from(readNpy(join(dir, 'webgpu.npy')).data)).toEqual(Array.from(readNpy(join(dir, 'wasm.npy')).data));
  }, 60_000);
});
