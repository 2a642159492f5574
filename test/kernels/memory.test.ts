import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { flowMemoryBytes, parseMemoryLimit } from '../../src/kernels/memory.js';

describe('memory limits', () => {
  it('parseMemoryLimit refuses more than the machine has, and zero', () => {
    expect(parseMemoryLimit('1G')).toBe(2 ** 30);
    expect(() => parseMemoryLimit('100T')).toThrow(/--max-memory 100\.00 TiB is more than this machine's total memory/);
    expect(() => parseMemoryLimit(String(totalmem() + 1))).toThrow(/total memory/);
    expect(() => parseMemoryLimit('0')).toThrow(/must be positive/);
    expect(() => parseMemoryLimit('lots')).toThrow(/cannot read memory size/);
  });

  it('flowMemoryBytes counts f_train and f_test for a flow, curves per λ for a scan', () => {
    const flow = flowMemoryBytes({ n: 100, m: 50, k: 10, times: 1e6 });
    expect(flow).toBeGreaterThan(8 * 1e6 * 150 * 10); // at least f_train + f_test
    const s1 = flowMemoryBytes({ n: 100, m: 50, k: 10, times: 300, lambdas: 1 });
    const s2 = flowMemoryBytes({ n: 100, m: 50, k: 10, times: 300, lambdas: 1001 });
    expect(s2 - s1).toBe(1000 * 4 * 300 * 32);
  });
});
