import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The WebGPU adapter Dawn offers, as `ntk info` and results files name it. */
export interface WebGpuAdapter {
  /** GPU vendor, as the adapter reports it. */
  vendor: string;
  /** GPU architecture, as reported. */
  architecture: string;
  /** Device name, as reported. */
  device: string;
  /** Driver description, as reported. */
  description: string;
  /** A software (CPU) implementation such as SwiftShader or llvmpipe: correct but slower than wasm. */
  software: boolean;
}

/** What probing for WebGPU found: the adapter (or null) and, in words, why it can or cannot be used. */
export interface WebGpuProbe {
  /** The adapter found, or null. */
  adapter: WebGpuAdapter | null;
  /** Whether 'auto' would pick it: a hardware adapter. */
  hardware: boolean;
  /** Why it was (not) found or (not) used, in words. */
  reason: string;
}

/** The package that gives Node.js WebGPU (Google's Dawn): an optional peer of ntk-l2 (docs/guide.md "GPU"). */
export const WEBGPU_PACKAGE = 'webgpu';

interface DawnAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface DawnAdapter {
  info?: DawnAdapterInfo;
  isFallbackAdapter?: boolean;
}
interface DawnGpu {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<DawnAdapter | null>;
}
interface DawnModule {
  create(flags: string[]): DawnGpu;
  globals: Record<string, unknown>;
}

let probed: Promise<WebGpuProbe> | null = null;
let gpu: DawnGpu | null = null;

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render/i;

/**
 * Whether Vulkan can work on Linux: a loader (libvulkan.so.1) where the dynamic linker looks (LD_LIBRARY_PATH, its
 * cache, the default folders) and a driver manifest (VK_ICD_FILENAMES / VK_DRIVER_FILES, or a .json in the
 * standard icd.d folders). Without them Dawn finds no adapter and prints a multi-line warning on stderr, so it is
 * not asked. Other systems (Metal, D3D12) always have their driver interface.
 */
export function vulkanAvailable(): { ok: boolean; reason: string } {
  if (process.platform !== 'linux') return { ok: true, reason: '' };
  const libDirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), '/lib', '/usr/lib', '/lib64', '/usr/lib64', `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`];
  let loader = libDirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
  if (!loader) {
    try {
      loader = readFileSync('/etc/ld.so.cache').includes('libvulkan.so.1');
    } catch {
      loader = false;
    }
  }
  if (!loader) return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1) found, so no WebGPU adapter' };
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) return { ok: true, reason: '' };
  const icdDirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
  const driver = icdDirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
  return driver ? { ok: true, reason: '' } : { ok: false, reason: 'no Vulkan driver (no ICD manifest in /usr/share/vulkan/icd.d or /etc/vulkan/icd.d; VK_ICD_FILENAMES unset), so no WebGPU adapter' };
}

/**
 * Loads Dawn (the optional `webgpu` package) and asks it for its high-performance adapter, once per process.
 * Never throws.
 */
export function probeWebGpu(): Promise<WebGpuProbe> {
  const vulkan = vulkanAvailable();
  if (!vulkan.ok) return Promise.resolve({ adapter: null, hardware: false, reason: vulkan.reason });
  probed ??= (async (): Promise<WebGpuProbe> => {
    let dawn: DawnModule;
    try {
      dawn = (await import(WEBGPU_PACKAGE)) as DawnModule;
    } catch (e) {
      const missing = (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
      return { adapter: null, hardware: false, reason: missing ? `the optional package "${WEBGPU_PACKAGE}" is not installed (npm install ${WEBGPU_PACKAGE}@0.6.2)` : `"${WEBGPU_PACKAGE}" failed to load: ${(e as Error).message.split('\n')[0]}` };
    }
    try {
      Object.assign(globalThis, dawn.globals);
      gpu = dawn.create([]);
      const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!a) return { adapter: null, hardware: false, reason: 'Dawn found no WebGPU adapter (no Vulkan, Metal or D3D12 driver)' };
      const info = a.info ?? {};
      const adapter: WebGpuAdapter = {
        vendor: info.vendor ?? '',
        architecture: info.architecture ?? '',
        device: info.device ?? '',
        description: info.description ?? '',
        software: Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter) || SOFTWARE.test(`${info.architecture} ${info.device} ${info.description}`),
      };
      const name = adapterName(adapter);
      return adapter.software
        ? { adapter, hardware: false, reason: `WebGPU adapter ${name} is a software renderer (slower than wasm): not picked automatically` }
        : { adapter, hardware: true, reason: `hardware WebGPU adapter ${name}` };
    } catch (e) {
      return { adapter: null, hardware: false, reason: `Dawn failed: ${(e as Error).message.split('\n')[0]}` };
    }
  })();
  return probed;
}

/** "vendor architecture (description)", leaving out what the driver does not report. */
export function adapterName(a: WebGpuAdapter): string {
  const head = [a.vendor, a.architecture].filter(Boolean).join(' ') || 'unknown';
  return a.description ? `${head} (${a.description})` : head;
}

/**
 * Makes Dawn's GPU the `navigator.gpu` that `@tensorflow/tfjs-backend-webgpu` looks for, then loads that
 * package (it registers the 'webgpu' backend only if navigator.gpu exists when it loads). Call after a probe
 * found an adapter.
 */
export async function registerWebGpuBackend(): Promise<void> {
  if (!gpu) throw new Error('internal: registerWebGpuBackend before a successful probeWebGpu');
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  }
  if (g.navigator!.gpu !== gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
}
