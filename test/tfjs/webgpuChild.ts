// Child process of test/tfjs/webgpu.test.ts: runs the checks on the webgpu backend and prints one JSON line.
// A process of its own because Dawn's Vulkan loader path (LD_LIBRARY_PATH) must be set before Node starts.
import { probeWebGpu } from '../../src/tfjs/webgpu.js';
import { runChecks } from './webgpuChecks.js';

const probe = await probeWebGpu();
if (!probe.adapter) {
  process.stdout.write(JSON.stringify({ skip: probe.reason }) + '\n');
} else {
  // tfjs-backend-webgpu runs ops on tensors still held on the CPU below 1000 entries with its CPU kernels (the
  // flag WEBGPU_CPU_FORWARD); our small check sizes would then test little GPU code, so every op goes to the GPU
  const { initTfjs, tf } = await import('../../src/tfjs/backend.js');
  // what 'auto' does with this adapter (a software one must not be picked), before asking for webgpu
  const auto = await initTfjs('auto');
  await initTfjs('webgpu'); // registers the backend's flags
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const results = await runChecks('webgpu');
  process.stdout.write(JSON.stringify({ ...results, auto: { backend: auto.backend, reason: auto.reason }, software: probe.adapter.software }) + '\n');
}
