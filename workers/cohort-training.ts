/**
 * A worker's share of a cohort: claim the next untrained client, train it
 * with its delta written straight into the shared output, repeat until none is
 * left or the run is aborted. One client's error is that client's failure; the
 * others go on.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { findInvalidUpdate } from '../kernel/federated/update-checks';
import { trainLocally } from './local-training';
import type { CachedModel } from './model-cache';
import type { CohortClientResult, CohortResult, CohortTask, TrainTask } from './task-types';

export async function trainCohortShare(tf: typeof tfjs, cached: CachedModel, task: CohortTask, backendName: string): Promise<CohortResult> {
  const { dimension } = cached;
  const count = task.clientIds.length;
  if (task.deltas.length !== count * dimension)
    throw new RangeError(`the deltas' buffer has ${task.deltas.length} values, ${count} clients need ${count * dimension}`);
  const clients: CohortClientResult[] = [];
  // Deadlines take the per-client path (a client past its deadline must be stoppable alone), so none here.
  const startTimes = new Float64Array(1);
  while (Atomics.load(task.abortFlag, 0) === 0) {
    const slot = Atomics.add(task.next, 0, 1);
    if (slot >= count) break;
    Atomics.store(task.claims, slot, task.worker + 1);
    const clientId = task.clientIds[slot];
    const into = task.deltas.subarray(slot * dimension, (slot + 1) * dimension);
    const client: TrainTask = {
      type: 'train',
      backend: task.backend,
      spec: task.spec,
      data: task.data,
      clientId,
      indices: task.indices.subarray(task.offsets[slot], task.offsets[slot + 1]),
      globalWeights: task.globalWeights,
      config: task.configs[slot],
      seed: task.seeds[slot],
      abortFlag: task.abortFlag,
      deadlineMs: 0,
      startTimes,
      startSlot: 0,
    };
    try {
      const fault = task.faults?.[clientId];
      if (fault === 'throw') throw new Error(`injected failure in client ${clientId}`);
      const { delta, type: _, ...result } = await trainLocally(tf, cached, client, backendName, into);
      if (fault === 'nan' && delta) delta[0] = NaN;
      // Checked here, beside the training, so that the main thread need not read every update once more.
      const invalid = delta ? findInvalidUpdate(delta, dimension) : undefined;
      clients.push({ slot, ...result, ...(invalid ? { invalid } : {}) });
    } catch (error) {
      clients.push({ slot, clientId, error: (error as Error)?.message ?? String(error) });
    }
  }
  return { type: 'train-cohort', clients };
}
