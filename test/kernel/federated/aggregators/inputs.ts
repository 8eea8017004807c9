/** Tiny aggregator inputs and contexts for hand-computed cases. */
import { createRng } from '../../../../kernel/federated/random';
import type { AggregatorInput } from '../../../../kernel/federated/aggregators/aggregator';

export const input = (clientId: number, vector: number[], numExamples = 1): AggregatorInput => ({ clientId, vector: Float32Array.from(vector), numExamples });
export const context = (dimension: number, expectedCohort = 1) => ({ round: 1, dimension, expectedCohort, rng: createRng(1) });
