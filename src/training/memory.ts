import { totalmem } from 'node:os';
import { defaultMemoryLimit, formatBytes } from '../kernels/memory.js';
import { bindFinite } from '../layers/network.js';
import { InputError } from '../util/errors.js';
import type { TrainOptions } from './types.js';

/** A training run's estimated peak memory, in bytes, by part (tensors are float32; see trainMemoryBytes). */
export interface TrainMemoryEstimate {
  /** θ, the next θ of an update, the gradient and one update temporary; with momentum, v and the next v. */
  optimizer: number;
  /** The checkpoint: the values read back from the backend and the concatenated file buffer. */
  checkpoint: number;
  /** Layer outputs: forward and backward for a batch, forward for the train-evaluation and test sets at once. */
  activations: number;
  /** The data: the loaded float64 matrices and their float32 tensors. */
  data: number;
  /** The structured empirical NTK of the probe set (0 without --kernel-probe). */
  kernelProbe: number;
  total: number;
}

const F32 = 4;
const F64 = 8;

/**
 * Estimates the peak memory of `trainRun(o)` from the shapes alone, before any tensor exists, so a run that
 * cannot fit (`--width 100000000`) is refused at once instead of dying part-way. Counts, with P parameters,
 * S = P (or 2P with momentum) values of optimizer state, H = the summed output widths of the layers:
 *   optimizer   4·(2S + 2P)   current and next state, gradient, one temporary of the update
 *   checkpoint  4·2S          the values read back and the file buffer
 *   activations 4·H·(2B + nEval + nTest)
 *   data        12·(n + nTest)·(d + k)
 *   kernelProbe 4·(m·(d + H) + 3·k·m·maxWidth + 3m²) + 16m²   (m probe points; see structuredNtk)
 * The parts are added (not all are alive at once), so this is a ceiling more than a forecast.
 */
export function trainMemoryBytes(o: TrainOptions): TrainMemoryEstimate {
  const { x, y, xTest } = o.data;
  const n = x.rows;
  const d = x.cols;
  const k = y.cols;
  const net = bindFinite(o.spec, o.data.inputShape ?? d);
  const p = net.paramCount;
  const state = (o.momentum ?? 0) > 0 ? 2 * p : p;
  const outputs = net.widths.slice(1);
  const h = outputs.reduce((s, w) => s + w, 0);
  const batch = Math.min(o.batchSize ?? 128, n);
  const nEval = Math.min(n, o.evalTrainSize ?? 2048);
  const m = Math.min(o.kernelProbe ?? 0, n);
  const maxWidth = Math.max(...outputs);
  const optimizer = F32 * (2 * state + 2 * p);
  const checkpoint = F32 * 2 * state;
  const activations = F32 * h * (2 * batch + nEval + xTest.rows);
  const data = (F32 + F64) * (n + xTest.rows) * (d + k);
  const kernelProbe = m > 0 ? F32 * (m * (d + h) + 3 * k * m * maxWidth + 3 * m * m) + 2 * F64 * m * m : 0;
  return { optimizer, checkpoint, activations, data, kernelProbe, total: optimizer + checkpoint + activations + data + kernelProbe };
}

/**
 * Refuses a run whose estimated peak memory is over `o.maxMemoryBytes` (default: defaultMemoryLimit(), half
 * the machine's memory, at most 8 GiB), naming the estimate; refuses a limit above the machine's total memory.
 * `concurrentRuns` runs of this size training side by side (worker threads) need that many times the memory.
 */
export function checkTrainMemory(o: TrainOptions, concurrentRuns = 1): void {
  const total = totalmem();
  if (o.maxMemoryBytes !== undefined) {
    if (!(Number.isFinite(o.maxMemoryBytes) && o.maxMemoryBytes > 0)) throw new InputError(`the memory limit (--max-memory) must be a positive size, got ${o.maxMemoryBytes}`);
    if (o.maxMemoryBytes > total) throw new InputError(`the memory limit (--max-memory) of ${formatBytes(o.maxMemoryBytes)} is above this machine's total memory (${formatBytes(total)})`);
  }
  const limit = o.maxMemoryBytes ?? defaultMemoryLimit();
  const need = trainMemoryBytes(o).total * concurrentRuns;
  if (need > limit) {
    const p = bindFinite(o.spec, o.data.inputShape ?? o.data.x.cols).paramCount;
    const runs = concurrentRuns > 1 ? `${concurrentRuns} runs at once (--jobs) of ` : '';
    throw new InputError(
      `training ${runs}this network (${p < 1e6 ? p : p.toExponential(2)} parameters) needs about ${formatBytes(need)}, over the memory limit of ${formatBytes(limit)}; ` +
        'use a narrower network, a smaller --batch or fewer points, or raise the limit with --max-memory (library: maxMemoryBytes)',
    );
  }
}
