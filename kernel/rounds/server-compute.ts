/**
 * What the server computes for itself, as opposed to what its clients do: the
 * model's layout (for the seeded initial weights) and centralised evaluation
 * on a test set. In process it runs on the same worker pool as the clients.
 */
import type { ModelSpec } from '../../workers/model-spec';
import type { DescribeResult } from '../../workers/task-types';
import type { Dataset } from '../data/dataset';
import type { ClientPool } from '../transport/in-process/client-pool';
import { evaluateOnPool, type EvaluationMetrics } from '../transport/in-process/evaluation';

export interface ServerCompute {
  describe(spec: ModelSpec): Promise<DescribeResult>;
  evaluate(spec: ModelSpec, weights: Float32Array, data: Dataset, signal?: AbortSignal): Promise<EvaluationMetrics>;
}

export function poolCompute(pool: () => ClientPool, backend: string): ServerCompute {
  return {
    describe: (spec) => pool().run<DescribeResult>({ type: 'describe', backend, spec }),
    evaluate: (spec, weights, data, signal) => evaluateOnPool(pool(), backend, spec, weights, data, signal),
  };
}
