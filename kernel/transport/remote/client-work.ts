/**
 * What a remote client does with a task: exactly what an in-process client
 * does, on the same worker code (workers/client-worker.ts on a one-thread
 * Piscina pool: same backends, same seeded shuffles, same held-out split), over
 * its own examples. Only the update and metrics leave; never the examples.
 */
import type { EvaluateResult, SharedData } from '../../../workers/task-types';
import type { Dataset } from '../../data/dataset';
import { splitHeldOut } from '../../federated/partition/held-out';
import { trainOne, type ClientPool } from '../in-process/client-pool';
import { sharedDataOf } from '../in-process/shared-data';
import { misfit } from './remote-transport';
import type { EvaluateReply, EvaluateTaskMessage, TrainReply, TrainTaskMessage } from './wire';

export class TaskRefused extends Error {
  override name = 'TaskRefused';
}

export interface ClientWork {
  train(message: TrainTaskMessage): Promise<Omit<TrainReply, 'type' | 'task'>>;
  evaluate(message: EvaluateTaskMessage): Promise<Omit<EvaluateReply, 'type' | 'task'>>;
  /** Stops the running training between two batches (its answer then says 'aborted'). */
  cancel(): void;
}

export function createClientWork(dataset: Dataset, pool: () => ClientPool, backend: string): ClientWork {
  const data: SharedData = sharedDataOf(dataset);
  const all = Int32Array.from({ length: dataset.length }, (_, i) => i);
  const abortFlag = new Int32Array(new SharedArrayBuffer(4));
  /** The data as the model reads it: examples of the model's input shape (a flat [784] row fits a [28, 28, 1] model). */
  const shapedFor = (message: TrainTaskMessage | EvaluateTaskMessage): SharedData => {
    const problem = misfit(message.spec, { inputShape: dataset.exampleShape, numClasses: dataset.numClasses });
    if (problem) throw new TaskRefused(problem);
    return { ...data, exampleShape: [...message.spec.inputShape] };
  };
  return {
    async train(message) {
      const shaped = shapedFor(message);
      Atomics.store(abortFlag, 0, 0);
      const indices = message.config.heldOut ? splitHeldOut(all, message.config.heldOut, message.clientId).train : all;
      const result = await trainOne(pool(), {
        backend,
        spec: message.spec,
        data: shaped,
        clientId: message.clientId,
        indices,
        globalWeights: message.weights,
        config: message.config,
        seed: message.seed,
        abortFlag,
        deadlineMs: message.deadlineMs,
      });
      return {
        status: result.status,
        delta: result.delta,
        numExamples: result.numExamples,
        trainLoss: result.trainLoss,
        trainAccuracy: result.trainAccuracy,
        steps: result.steps,
        backend: result.backend,
        path: result.path,
        ms: result.ms,
      };
    },
    async evaluate(message) {
      const shaped = shapedFor(message);
      const indices = message.heldOut ? splitHeldOut(all, message.heldOut, message.clientId).heldOut : all;
      const result = await pool().run<EvaluateResult>({
        type: 'evaluate',
        backend,
        spec: message.spec,
        data: shaped,
        weights: message.weights,
        start: 0,
        end: 0,
        indices,
      });
      return { lossSum: result.lossSum, correct: result.correct, count: result.count, backend: result.backend };
    },
    cancel() {
      Atomics.store(abortFlag, 0, 1);
    },
  };
}
