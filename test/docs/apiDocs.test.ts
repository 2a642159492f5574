// The API reference builds, and every export of src/index.ts has a doc comment: `npm run docs:api:check` runs
// TypeDoc (typedoc.json: validation.notDocumented, treatWarningsAsErrors) without writing docs/api/.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('API reference', () => {
  it('builds with no warning: every export documented, every {@link} resolved', async () => {
    const { status, output } = await new Promise<{ status: number | null; output: string }>((resolve, reject) => {
      const child = spawn('npm', ['run', '-s', 'docs:api:check'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ status: code, output }));
    });
    expect(output).not.toMatch(/\[warning\]|\[error\]/);
    expect(status, output).toBe(0);
  }, 240_000);
});
