/** Centralised evaluation on the worker pool: the test set is split across the workers. */
import type { ModelSpec } from '../../../workers/model-spec';
import type { EvaluateResult } from '../../../workers/task-types';
import type { Dataset } from '../../data/dataset';
import type { ClientPool } from './client-pool';
import { sharedDataOf } from './shared-data';

export interface EvaluationMetrics {
  accuracy: number;
  loss: number;
  examples: number;
  backend: string;
}

export async function evaluateOnPool(
  pool: ClientPool,
  backend: string,
  spec: ModelSpec,
  weights: Float32Array,
  dataset: Dataset,
  signal?: AbortSignal,
): Promise<EvaluationMetrics> {
  const data = sharedDataOf(dataset);
  const slices = Math.max(1, Math.min(pool.workers, Math.ceil(dataset.length / 500)));
  const per = Math.ceil(dataset.length / slices);
  const results = await Promise.all(
    Array.from({ length: slices }, (_, i) =>
      pool.run<EvaluateResult>(
        {
          type: 'evaluate',
          backend,
          spec,
          data,
          weights,
          start: i * per,
          end: Math.min(dataset.length, (i + 1) * per),
        },
        signal,
      ),
    ),
  );
  const count = results.reduce((sum, r) => sum + r.count, 0);
  return {
    accuracy: results.reduce((sum, r) => sum + r.correct, 0) / count,
    loss: results.reduce((sum, r) => sum + r.lossSum, 0) / count,
    examples: count,
    backend: results[0].backend,
  };
}
