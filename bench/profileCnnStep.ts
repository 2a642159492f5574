/**
 * A short CNN training run for profiling (node --import tsx --cpu-prof bench/profileCnnStep.ts [cnn|wrn] [width] [steps]).
 */
import { name, steps, timedRun, width } from './cnnSyntheticRun.js';

const res = await timedRun();
console.log(`${name} width ${width}: ${res.examplesPerSecond.toFixed(0)} examples/s, ${((res.wallSeconds * 1000) / steps).toFixed(1)} ms/step`);
