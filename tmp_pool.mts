import { bundledDataset } from './src/experiments/dataset.js';
import { runPool } from './src/experiments/runPool.js';
import { parseOneLineSpec } from './src/layers/json.js';
const data = bundledDataset('mnist:128:100');
const spec = parseOneLineSpec('[dense(32, wStd=1.41421356) > relu]*2 > dense(10, wStd=1.41421356)');
const pool = runPool(2);
const rs = await Promise.all([0.01, 0.03].map((l) => pool.run({ spec, data, batchSize: 32, evalsPerDecade: 12, lr: 0.5, budget: 20, lambda: l, dir: `/tmp/pooltest/${l}` })));
console.log(rs.map((r) => [r.result.finalTestAcc, r.result.backend]));
