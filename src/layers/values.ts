import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs';
import { tfRuntime } from '../tfjs/runtime.js';
import { SpecError } from './specError.js';
import type { FiniteDelta, FiniteValue, KernelBlock } from './types.js';

/** The batch of a single finite value; a list (after parallel) is refused in one line. */
export function singleValue(x: FiniteValue, name: string): Tensor2D {
  if (isList(x)) throw new SpecError(`${name} takes a single input, got a list of ${x.length}: add fanInSum after parallel`);
  return x;
}

/** The sensitivities of a single finite value; a list is refused in one line. */
export function singleDelta(d: FiniteDelta, name: string): Tensor3D {
  if (isList(d)) throw new SpecError(`${name}: expected the sensitivities of a single value, got a list of ${d.length}`);
  return d;
}

/** The list of a list value; a single value is refused in one line. */
export function listOf<T>(x: T | readonly T[], name: string): readonly T[] {
  if (!isList(x)) throw new SpecError(`${name} takes a list of inputs (put it after parallel), got a single value`);
  return x;
}

/** Whether a value is a list (Array.isArray does not narrow readonly arrays). */
export function isList<T>(x: T | readonly T[]): x is readonly T[] {
  return Array.isArray(x);
}

/** Runs `f` in a tfjs scope: the tensors it returns are kept, every other tensor it made is freed. */
export function tidyValue<T extends FiniteValue | FiniteDelta>(f: () => T): T {
  return tfRuntime().tidy(() => f() as Tensor | Tensor[]) as unknown as T;
}

/** Runs `f` in a tfjs scope keeping a pair of values (input sensitivities of two point sets; tidy walks nested lists). */
export function tidyPair(f: () => readonly [FiniteDelta, FiniteDelta]): readonly [FiniteDelta, FiniteDelta] {
  return tfRuntime().tidy(() => f() as unknown as Tensor[]) as unknown as readonly [FiniteDelta, FiniteDelta];
}

/** The tensors of a value, in order. */
export function tensorsOf(v: FiniteValue | FiniteDelta): Tensor[] {
  return isList<Tensor>(v) ? [...v] : [v];
}

/** Frees the tensors of `v` that are not in `keep` (a value may share tensors with its input: identity). */
export function disposeValue(v: FiniteValue | FiniteDelta, keep: ReadonlySet<Tensor>): void {
  for (const t of tensorsOf(v)) if (!keep.has(t)) t.dispose();
}

/** A copy of a kernel record (parallel gives each branch its own: kernels update records in place). */
export function copyBlock(b: KernelBlock): KernelBlock {
  return {
    nr: b.nr,
    nc: b.nc,
    spatial: b.spatial,
    mode: b.mode,
    nngp: b.nngp.slice(),
    ntk: b.ntk ? b.ntk.slice() : null,
    cov1: b.cov1.slice(),
    ntk1: b.ntk1 ? b.ntk1.slice() : null,
    cov2: b.cov2.slice(),
    ntk2: b.ntk2 ? b.ntk2.slice() : null,
  };
}
