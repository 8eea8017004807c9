/**
 * The batches a client trains on, in the one order every training path must
 * take (so that a seed gives the same client updates whichever path runs):
 * E epochs, each a seeded shuffle of the client's examples, cut into batches
 * and poisoned if the client is a simulated attacker. Stops early on an abort
 * of the run or past the client's deadline, and returns why it stopped.
 */
import { createRng } from '../kernel/federated/random';
import { gatherBatch, poisonBatch } from './batches';
import type { TrainTask } from './task-types';

export type BatchesEnd = 'ok' | 'aborted' | 'timeout';

/** The batch size a client uses: B, or its whole dataset when B is 0 or Infinity (FedSGD). */
export function clientBatchSize(task: Pick<TrainTask, 'config' | 'indices'>): number {
  const { batchSize } = task.config;
  const n = task.indices.length;
  return batchSize > 0 && Number.isFinite(batchSize) ? Math.min(batchSize, n) : n;
}

/** Yields each batch's example count after writing it into `x` and `y` (which hold at least one batch). */
export function* clientBatches(task: TrainTask, x: Float32Array, y: Int32Array, size: number, deadlineAt: number): Generator<number, BatchesEnd> {
  const { config, data } = task;
  const batchSize = clientBatchSize(task);
  const order = Int32Array.from(task.indices);
  const rng = createRng(task.seed);
  for (let epoch = 0; epoch < config.localEpochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < order.length; start += batchSize) {
      if (Atomics.load(task.abortFlag, 0) !== 0) return 'aborted';
      if (Date.now() > deadlineAt) return 'timeout';
      const count = gatherBatch(data, order, start, Math.min(start + batchSize, order.length), x, y);
      if (config.poison) poisonBatch(config.poison, order, start, count, size, x, y);
      yield count;
    }
  }
  return 'ok';
}
