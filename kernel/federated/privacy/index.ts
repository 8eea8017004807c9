/**
 * Privacy and security of updates: what the engine and the `fed` API use.
 * DP-FedAvg with fixed or adaptive clipping, a Rényi accountant, and secure
 * aggregation with dropouts. The aggregation layers that use them are in ../aggregators.
 */
export { privacyAfter } from './privacy-after';
export { createAdaptiveSpec, createGaussianSpec, validatePrivacySpec } from './privacy-spec';
export type { AdaptivePrivacySpec, GaussianPrivacySpec, PrivacySpec } from './privacy-spec';
export { resolveSecureAggregation } from './secure-aggregation-option';
export type { SecureAggregationOption } from './secure-aggregation-option';
export { computeRdp, DEFAULT_ORDERS, epsilonFor, noiseMultiplierFor } from './rdp-accountant';
export { SecureAggregationError } from './secagg/server';
export { secureSumOfVectors } from './secagg/secure-sum-layer';
export type { SecAggMetrics } from '../../contract';
