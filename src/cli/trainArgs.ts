import type { Command } from 'commander';
import { parseSpec, specToJson } from '../layers/json.js';
import type { NetworkSpec, NetworkSpecJson } from '../layers/types.js';
import { TF_BACKEND_NAMES, type TfBackendName } from '../tfjs/backendNames.js';
import type { LossName } from '../training/loss.js';
import { defaultJobs } from '../experiments/jobs.js';
import { openWorkDir } from '../io/outputPath.js';
import { defaultMemoryLimit, parseBytes } from '../kernels/memory.js';
import type { TrainOptions } from '../training/trainer.js';
import { acquireRunLock } from '../training/runLock.js';
import { checkTrainMemory } from '../training/memory.js';
import { checkTrainOptions } from '../training/validate.js';
import { InputError, quote } from '../util/errors.js';
import { addDataOptions, type DataCliOptions } from './dataArgs.js';
import { MAX_LAMBDAS, parseInteger, parseNumber } from './parse.js';

/** Flags shared by every command that trains finite networks. */
export interface TrainCliOptions extends DataCliOptions {
  arch: string;
  width?: string;
  loss: string;
  batch: string;
  momentum: string;
  backend: string;
  evals: string;
  jobs?: string;
  maxMemory?: string;
  out: string;
  quiet?: boolean;
  /** --setup: a named setup of the paper (applied to the other options before the action; see setupArgs.ts). */
  setup?: string;
}

export const DEFAULT_ARCH = '[dense(512, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)';

export function addTrainOptions(cmd: Command): Command {
  cmd.option('--arch <spec>', 'architecture (file, JSON or one-line form)', DEFAULT_ARCH).option('--width <n>', 'override the width of every Dense layer and the channels of every conv but the readout');
  return addDataOptions(cmd, 'mnist:2048:1000')
    .option('--loss <name>', 'mse ((1/2n)Σ|f − y|², the theory\'s loss) or xent (softmax cross-entropy)', 'mse')
    .option('--batch <b>', 'mini-batch size (≥ n: full-batch gradient descent)', '128')
    .option('--momentum <μ>', 'heavy-ball momentum (0: plain SGD, the gradient flow\'s Euler steps)', '0')
    .option('--backend <b>', 'tfjs backend: auto, webgpu (GPU through Dawn, when installed), wasm, cpu or tensorflow (tfjs-node[-gpu], when installed)', 'auto')
    .option('--evals <k>', 'evaluations per decade of steps (log-spaced)', '24')
    .option('--max-memory <size>', `refuse a run whose estimated peak memory exceeds this (e.g. 16G; default ${Math.round(defaultMemoryLimit() / 2 ** 30)}G, at most the machine's memory)`)
    .option('--quiet', 'no progress bar');
}

/** `--jobs` for commands that train several runs: how many train at once, each in its own worker thread. */
export function addJobsOption(cmd: Command): Command {
  return cmd.option('--jobs <n>', 'runs trained at once, each in a worker thread (default: the number of cores for wasm/cpu, 1 for tensorflow)');
}

/** The value of `--jobs`, or the backend's default when the flag is absent. */
export function parseJobs(text: string | undefined, backend: TfBackendName): number {
  return text === undefined ? defaultJobs(backend) : parseInteger(text, '--jobs', 1);
}

/** `--net-seeds`: distinct non-negative integers, comma-separated. */
export function parseSeedList(text: string): number[] {
  const items = text.split(',');
  if (items.length > MAX_LAMBDAS) throw new InputError(`--net-seeds has ${items.length} values, over the limit of ${MAX_LAMBDAS}`);
  const seeds = items.map((v) => parseInteger(v.trim(), '--net-seeds', 0));
  if (new Set(seeds).size !== seeds.length) throw new InputError(`--net-seeds must differ, got ${quote(text)}`);
  return seeds;
}

export interface ParsedTrainOptions {
  spec: NetworkSpec;
  loss: LossName;
  batchSize: number;
  momentum: number;
  backend: TfBackendName;
  evalsPerDecade: number;
  /** Parallel runs (--jobs, or the backend's default). */
  jobs: number;
  /** --max-memory in bytes (checked against each run's estimate by checkTrainOptions). */
  maxMemoryBytes?: number;
}

export async function parseTrainOptions(o: TrainCliOptions): Promise<ParsedTrainOptions> {
  let spec: NetworkSpec = parseSpec(o.arch);
  if (o.width !== undefined) {
    const { withHiddenWidth } = await import('../layers/network.js');
    spec = withHiddenWidth(spec, parseInteger(o.width, '--width'));
  }
  if (o.loss !== 'mse' && o.loss !== 'xent') throw new InputError(`--loss must be mse or xent, got "${o.loss}"`);
  const momentum = parseNumber(o.momentum, '--momentum');
  if (!(momentum >= 0 && momentum < 1)) throw new InputError(`--momentum must be in [0, 1), got "${o.momentum}"`);
  if (!TF_BACKEND_NAMES.includes(o.backend as TfBackendName)) throw new InputError(`--backend must be auto, webgpu, wasm, cpu or tensorflow, got "${o.backend}"`);
  return {
    spec,
    loss: o.loss,
    batchSize: parseInteger(o.batch, '--batch'),
    momentum,
    backend: o.backend as TfBackendName,
    evalsPerDecade: parseInteger(o.evals, '--evals'),
    jobs: parseJobs(o.jobs, o.backend as TfBackendName),
    maxMemoryBytes: o.maxMemory === undefined ? undefined : parseBytes(o.maxMemory),
  };
}

/** What a results file records about the network trained: see `networkMeta`. */
export interface NetworkMeta {
  /** --setup as given (its values already applied to the other options), or null. */
  setup: string | null;
  /** --arch as given (or as --setup set it). */
  architecture: string;
  /**
   * --width as given (every hidden dense width / conv channel count set to it), or null: also null when --setup
   * took it as the setup's own width multiplier (then `architecture` is the setup's network at that width).
   */
  width: number | null;
  /** The network actually trained (--width applied), in its JSON form. */
  network: NetworkSpecJson;
  /** Its dense widths and conv channel counts in order (nested layers included): [256, 256, 10] for --width 256. */
  widths: number[];
}

/**
 * The metadata of the network a training command trained: the --arch text alone says 512 when --width 256
 * trained 256 units, so the trained spec and its widths are recorded next to it.
 */
export function networkMeta(arch: string, width: string | undefined, spec: NetworkSpec, setup?: string): NetworkMeta {
  const network = specToJson(spec);
  const widths: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'dense' && typeof o.width === 'number') widths.push(o.width);
      if (o.type === 'conv' && typeof o.channels === 'number') widths.push(o.channels);
      for (const [key, child] of Object.entries(o)) if (key !== 'type') walk(child);
    }
  };
  walk(network.layers);
  return { setup: setup ?? null, architecture: arch, width: width === undefined ? null : parseInteger(width, '--width'), network, widths };
}

/** A positive number from a flag. */
export function parsePositive(text: string, flag: string): number {
  const v = parseNumber(text, flag);
  if (!(v > 0)) throw new InputError(`${flag} must be > 0, got "${text}"`);
  return v;
}

/** A list of positive numbers: "0.5,1" or start:end:count (log-spaced). */
export function parsePositiveList(text: string, flag: string): number[] {
  const parts = text.split(':');
  if (parts.length === 3) {
    const a = parsePositive(parts[0], flag);
    const b = parsePositive(parts[1], flag);
    const n = parseInteger(parts[2], `${flag} count`, 1);
    // every value is at least one training run: a count beyond this is a typo, refused before any allocation
    if (n > MAX_LAMBDAS) throw new InputError(`${flag} count is ${n}, over the limit of ${MAX_LAMBDAS}`);
    return Array.from({ length: n }, (_, i) => (n === 1 ? a : a * (b / a) ** (i / (n - 1))));
  }
  const items = text.split(',');
  if (items.length > MAX_LAMBDAS) throw new InputError(`${flag} has ${items.length} values, over the limit of ${MAX_LAMBDAS}`);
  return items.map((s) => parsePositive(s, flag));
}

/**
 * The folder of a command that trains several runs (sweep, predict-lambda, autol2): checks one of its runs
 * (the network against the data) before anything is created, then creates and marks the folder and locks it
 * for this process, so a second command on the same folder is refused before it trains anything. Returns the
 * release function. Call checkWorkDir first, before loading data, to fail fast on a bad --out.
 */
export function openExperimentDir(out: string, kind: string, oneRun: TrainOptions, jobs: number): () => void {
  checkTrainOptions(oneRun);
  checkTrainMemory(oneRun, jobs); // --jobs runs of this size side by side
  return acquireRunLock(openWorkDir(out, kind));
}
