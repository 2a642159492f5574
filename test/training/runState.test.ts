import { beforeAll, describe, expect, it } from 'vitest';
import { parseOneLineSpec } from '../../src/layers/json.js';
import { bindFinite } from '../../src/layers/network.js';
import { initTfjs, tf } from '../../src/tfjs/backend.js';
import { autoL2 } from '../../src/training/autoL2.js';
import type { CheckpointMeta } from '../../src/training/checkpoint.js';
import { initialRunState, restoredRunState, stateTensors, type RunStateSettings } from '../../src/training/runState.js';

describe('run state: what a checkpoint saves and restores', () => {
  beforeAll(async () => {
    await initTfjs('auto');
  });

  it('a state saved through stateTensors and restored is the same state: θ, v, the network state, batch order, policy, step, Λ', () => {
    const net = bindFinite(parseOneLineSpec('dense(8, wStd=1.4) > relu > dense(2, wStd=1.4)'), 3);
    const settings = (): RunStateSettings => ({ seed: 5, momentum: 0.9, n: 23, batchSize: 4, policy: autoL2({ lambda0: 0.1, interval: 1, refractory: 0 }) });
    const a = initialRunState(net, settings());
    expect(a.step).toBe(0);
    expect(a.integratedLambda).toBe(0);
    // v starts at 0, shaped as θ
    expect(a.velocity!.flat().map((v) => v.shape)).toEqual(a.params.flat().map((p) => p.shape));
    expect(a.velocity!.flat().every((v) => v.dataSync().every((x) => x === 0))).toBe(true);
    // move it away from step 0: other θ and v, a network state, batches handed out, a policy that has decayed
    a.params = a.params.map((g) => g.map((p) => tf.mul(p, 0.5)));
    a.velocity = a.velocity!.map((g) => g.map((v) => tf.add(v, 0.25)));
    a.netState = [tf.tensor([1, 2, 3]), tf.tensor([[4], [5]])];
    for (let k = 0; k < 9; k++) a.batches.next();
    for (let k = 0; k < 4; k++) a.policy.observe(k, 1, 0.5); // no progress: Auto L2 decays
    expect(a.policy.current()).toBeLessThan(0.1);
    a.step = 9;
    a.integratedLambda = 0.37;
    const tensors = stateTensors(a);
    expect(tensors).toHaveLength(2 * a.params.flat().length + 2);
    const meta: CheckpointMeta = {
      step: a.step,
      integratedLambda: a.integratedLambda,
      shapes: tensors.map((t) => t.shape),
      batches: JSON.parse(JSON.stringify(a.batches.state())),
      policy: JSON.parse(JSON.stringify(a.policy.state())),
      logLines: 0,
      fingerprint: '',
      dataFile: 'checkpoint-9.f32',
    };
    const b = restoredRunState(net, settings(), meta, tensors.map((t) => Float32Array.from(t.dataSync())));
    const values = (ts: tf.Tensor[]) => ts.map((t) => [t.shape, Array.from(t.dataSync())]);
    expect(values(stateTensors(b))).toEqual(values(tensors));
    expect(b.netState.map((t) => t.shape)).toEqual([[3], [2, 1]]);
    expect([b.step, b.integratedLambda, b.policy.current()]).toEqual([9, 0.37, a.policy.current()]);
    for (let k = 0; k < 12; k++) expect(Array.from(b.batches.next())).toEqual(Array.from(a.batches.next()));
  });

  it('plain SGD keeps no momentum buffers; the same seed gives the same θ', () => {
    const net = bindFinite(parseOneLineSpec('dense(4) > relu > dense(1)'), 2);
    const s: RunStateSettings = { seed: 1, momentum: 0, n: 10, batchSize: 3, policy: autoL2({ lambda0: 0.1 }) };
    const a = initialRunState(net, s);
    const b = initialRunState(net, s);
    expect(a.velocity).toBeNull();
    expect(stateTensors(a)).toHaveLength(a.params.flat().length);
    expect(a.params.flat().map((p) => Array.from(p.dataSync()))).toEqual(b.params.flat().map((p) => Array.from(p.dataSync())));
  });
});
