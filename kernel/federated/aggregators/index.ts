/** Aggregation layers; see aggregator.ts for how they compose. */
export type { Aggregator, AggregatorInput, AggregationContext, AggregateOutput, SumLayer, SumOutput } from './aggregator';
export { adaptiveClip } from './adaptive-clip';
export { centeredClipping } from './centered-clipping';
export { clip } from './clip';
export { dpMean } from './dp-mean';
export { gaussianNoise } from './gaussian-noise';
export { krum, krumSelect } from './krum';
export { median } from './median';
export { checkSecureEncoding, encodeUpdate, type SecureEncoding } from './secure-encoding';
export {
  scaleToPoissonCohort,
  secureAggregator,
  type SecureAggregator,
  type SecurePlan,
  type SecureStack,
  type SecureSumOutcome,
  type SecureSumRequest,
} from './secure-stack';
export { buildAggregation } from './stack';
export { sum } from './sum';
export { trimmedMean } from './trimmed-mean';
export { mean, meanWeights, weightedMean, type Weighting } from './weighted-mean';
