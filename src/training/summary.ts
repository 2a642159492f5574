import { localResolution } from './evalSchedule.js';
import type { EvalRecord, TrainResult } from './types.js';

/** What a run reports besides its records and the numbers `summarize` reads off them. */
export type RunFacts = Omit<TrainResult, 'records' | 'tStarAcc' | 'tStarLoss' | 'bestTestAcc' | 'bestTestLoss' | 'accAtEdge' | 'lossAtEdge' | 'tStarAccResolution' | 'tStarLossResolution' | 'finalTestAcc' | 'finalTestLoss' | 'dtype'>;

/**
 * t* and the bests from the evaluation records: the first time of the best test accuracy, the time of the lowest
 * test loss, whether each is the last evaluation (then t* is only a lower bound), how finely the evaluations around
 * each t* resolve it (relative gap to a neighbour), and the final values.
 */
export function summarize(records: EvalRecord[], rest: RunFacts): TrainResult {
  let iAcc = 0;
  let iLoss = 0;
  records.forEach((r, i) => {
    if (r.testAcc > records[iAcc].testAcc) iAcc = i; // first time the best accuracy is reached
    if (r.testLoss < records[iLoss].testLoss) iLoss = i;
  });
  const last = records[records.length - 1];
  const steps = records.map((r) => r.step);
  return {
    records,
    tStarAcc: records[iAcc].t,
    tStarLoss: records[iLoss].t,
    bestTestAcc: records[iAcc].testAcc,
    bestTestLoss: records[iLoss].testLoss,
    accAtEdge: iAcc === records.length - 1,
    lossAtEdge: iLoss === records.length - 1,
    tStarAccResolution: localResolution(steps, records[iAcc].step),
    tStarLossResolution: localResolution(steps, records[iLoss].step),
    finalTestAcc: last.testAcc,
    finalTestLoss: last.testLoss,
    dtype: 'float32 (tfjs)',
    ...rest,
  };
}
