import { spawn } from 'node:child_process';

export const BIN = new URL('../bin/ntk.js', import.meta.url).pathname;
export const CLI_ENV = { ...process.env, NTK_QUIET: '1' };

/** The CLI in a child process, without blocking this worker's event loop (long commands take a while). */
export function runCliAsync(args: string[], opts: { cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: CLI_ENV, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
