/**
 * The named setups (src/experiments/paperSetups.ts): every architecture parses, binds to its data (the CNN and WRN
 * to s×s×1 images and not to flat vectors, the MLP to 784-vectors) with 10 outputs, at the default and the full
 * width; the parameter counts equal closed forms counted here by hand from the written-out architectures.
 */
import { describe, expect, it } from 'vitest';
import { needsSpatialInput } from '../../src/cli/dataArgs.js';
import { PAPER_SETUPS, paperSetup } from '../../src/experiments/paperSetups.js';
import { parseSpec } from '../../src/layers/json.js';
import { bindFinite } from '../../src/layers/network.js';
import { outputShape } from '../../src/layers/serial.js';

/** CNN at base channels c on s×s×1: conv 3×3 1→c, conv 3×3 c→2c, two VALID 2×2 average pools, dense to 10 (no biases). */
const cnnParams = (c: number, s: number) => 9 * c + 9 * c * 2 * c + Math.floor(Math.floor(s / 2) / 2) ** 2 * 2 * c * 10;
/**
 * WRN at base channels c (BatchNorm without γ, β: no parameters): stem 9c; stage 1 two 3×3 c→c (18c²); stage 2
 * 3×3 c→2c, 3×3 2c→2c and the 1×1 projection c→2c (18 + 36 + 2 = 56c²); stage 3 3×3 2c→4c, 3×3 4c→4c, 1×1
 * 2c→4c (72 + 144 + 8 = 224c²); dense 4c→10.
 */
const wrnParams = (c: number) => 9 * c + 18 * c * c + 56 * c * c + 224 * c * c + 4 * c * 10;
/** MLP 784-w-w-10 without biases. */
const mlpParams = (w: number) => 784 * w + w * w + w * 10;

describe('paper setups', () => {
  it('paperSetup finds each setup by name and nothing else', () => {
    for (const name of ['cnn', 'wrn', 'mlp']) expect(paperSetup(name)?.name).toBe(name);
    for (const name of ['CNN', 'resnet', 'toString', '__proto__', '']) expect(paperSetup(name)).toBeUndefined();
  });

  for (const s of Object.values(PAPER_SETUPS)) {
    for (const width of [s.defaultWidth, s.fullWidth]) {
      it(`${s.name} at width ${width}: parses, binds to its data with 10 outputs, parameter count as counted by hand`, () => {
        const spec = parseSpec(s.arch(width));
        if (s.imageSize === undefined) {
          expect(needsSpatialInput(spec)).toBe(false);
          const net = bindFinite(spec, 784);
          expect([net.inputDim, net.outputDim]).toEqual([784, 10]);
          expect(net.paramCount).toBe(mlpParams(width));
        } else {
          const size = s.imageSize;
          expect(needsSpatialInput(spec)).toBe(true); // the CLI then loads the digits as images
          const net = bindFinite(spec, { spatial: [size, size], width: 1 });
          expect([net.inputDim, net.outputDim]).toEqual([size * size, 10]);
          expect(outputShape(spec, { spatial: [size, size], width: 1 })).toEqual({ spatial: [], width: 10 });
          expect(net.paramCount).toBe(s.name === 'cnn' ? cnnParams(width, size) : wrnParams(width));
          expect(() => bindFinite(spec, 784)).toThrow(); // a conv stack refuses flat vectors
        }
      });
    }

    it(`${s.name}: settings in range (η > 0, momentum in [0, 1), a known loss, default width ≤ full width)`, () => {
      expect(s.lr).toBeGreaterThan(0);
      expect(s.momentum >= 0 && s.momentum < 1).toBe(true);
      expect(['mse', 'xent']).toContain(s.loss);
      expect(Number.isInteger(s.batch) && s.batch >= 1).toBe(true);
      expect(s.defaultWidth).toBeLessThanOrEqual(s.fullWidth);
    });
  }

  it('the WRN has depth 10: nine convolutions (stem, two per stage, two 1×1 projections) and the dense readout', () => {
    // WRN's depth 6N + 4 with N = 1 block per stage: 1 + 3·2 convolutions on the main path + 2 projections + readout
    const json = JSON.stringify(parseSpec(PAPER_SETUPS.wrn.arch(4)).layers.map((l) => l.json));
    const convs = json.match(/"type":"conv"/g)?.length ?? 0;
    const dense = json.match(/"type":"dense"/g)?.length ?? 0;
    expect([convs, dense]).toEqual([9, 1]);
  });
});
