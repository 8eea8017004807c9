/** Aggregation layers; see aggregator.ts for how they compose. */
export type { Aggregator, AggregatorInput, AggregationContext, AggregateOutput, SumLayer, SumOutput } from './aggregator';
export { adaptiveClip } from './adaptive-clip';
export { centeredClipping } from './centered-clipping';
export { clip } from './clip';
export { dpMean } from './dp-mean';
export { gaussianNoise } from './gaussian-noise';
export { krum, krumSelect } from './krum';
export { median } from './median';
export { secureSum, scaleToPoissonCohort } from './secure-sum';
export { buildAggregation } from './stack';
export { sum } from './sum';
export { trimmedMean } from './trimmed-mean';
export { mean, meanWeights, weightedMean, type Weighting } from './weighted-mean';
