import type { Command } from 'commander';
import { linalgInfo } from '../linalg/index.js';

export function registerInfoCommand(program: Command): void {
  program
    .command('info')
    .description('Which backends are active: float64 linear algebra (native OpenBLAS/LAPACK or the TypeScript fallback), TensorFlow.js (finite networks) and the WebGPU adapter, if any')
    .option('--no-tfjs', 'skip starting TensorFlow.js and probing WebGPU (faster)')
    .action(async (o: { tfjs: boolean }) => {
      let tfjs: unknown = 'not checked (--no-tfjs)';
      let webgpu: unknown = 'not checked (--no-tfjs)';
      if (o.tfjs) {
        const { initTfjs } = await import('../tfjs/backend.js');
        const { probeWebGpu } = await import('../tfjs/webgpu.js');
        const active = await initTfjs('auto');
        tfjs = active;
        // the adapter Dawn offers (vendor, architecture) and why 'auto' took it or not
        const probe = await probeWebGpu();
        webgpu = { adapter: probe.adapter, chosen: active.backend === 'webgpu', reason: probe.reason };
      }
      process.stdout.write(JSON.stringify({ linalg: linalgInfo(), tfjs, webgpu, node: process.version }) + '\n');
    });
}
