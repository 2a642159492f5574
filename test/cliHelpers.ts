import { spawn } from 'node:child_process';

export const BIN = new URL('../bin/ntk.js', import.meta.url).pathname;
export const CLI_ENV = { ...process.env, NTK_QUIET: '1' };

/** Output of a finished child process. */
export interface ChildResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node ARGS` in a child process, without blocking this worker's event loop (vitest keeps its RPC answered). */
export function runNodeAsync(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The CLI in a child process, without blocking this worker's event loop (long commands take a while). */
export function runCliAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ChildResult> {
  return runNodeAsync([BIN, ...args], { env: opts.env ?? CLI_ENV, cwd: opts.cwd });
}
