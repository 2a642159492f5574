import type { Layer } from './types.js';

/**
 * The layers built by ntk-l2's own constructors. Only these can be rebuilt from their JSON form in another
 * thread; a layer written in user code (or a built-in one with a method replaced) is a different object, so
 * the kernel's worker threads are used only when every layer is in this set, and user layers are computed on
 * the calling thread instead of failing there.
 */
const BUILTIN = new WeakSet<Layer>();

/** Marks `layer` as built by ntk-l2 (its JSON form rebuilds it exactly); returns it. */
export function builtin<L extends Layer>(layer: L): L {
  BUILTIN.add(layer);
  return layer;
}

/** Whether `layer` came from one of ntk-l2's constructors unchanged. */
export function isBuiltin(layer: Layer): boolean {
  return BUILTIN.has(layer);
}
