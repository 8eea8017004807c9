/**
 * Entry point of a Piscina worker thread: one simulated client at a time.
 * Dispatches tasks; models and the backend are cached per thread so that
 * workers stay warm across rounds.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { getBackend, getModel } from './model-cache';
import { trainLocally } from './local-training';
import { describeCompiledPath } from './compiled/compiled-training';
import { evaluateSlice } from './evaluation';
import { trainCohortShare } from './cohort-training';
import type { TrainTask, WorkerResult, WorkerTask } from './task-types';

async function handle(task: WorkerTask): Promise<WorkerResult> {
  const { tf, name, detail } = await getBackend(task.backend);
  const cached = await getModel(tf, task.spec);
  switch (task.type) {
    case 'describe':
      return {
        type: 'describe',
        backend: name,
        backendDetail: task.backend === 'auto' ? [detail, describeCompiledPath(tf, cached)].filter(Boolean).join('; ') : detail,
        weights: cached.variables.map(({ variable, shape }) => ({ name: variable.originalName ?? variable.name, shape, trainable: variable.trainable })),
      };
    case 'evaluate':
      return evaluateSlice(tf, cached, task, name);
    case 'train':
      task.startTimes[task.startSlot] = Date.now();
      injectFault(task);
      return corruptIfAsked(task, await trainLocally(tf, cached, task, name));
    case 'train-cohort':
      return trainCohortShare(tf, cached, task, name);
  }
}

function injectFault(task: TrainTask): void {
  if (task.fault === 'throw') throw new Error(`injected failure in client ${task.clientId}`);
  if (task.fault === 'exit') process.exit(3);
  if (task.fault === 'hang') {
    // Busy-wait until the deadline passes so the pool's hard deadline must act.
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      /* simulated stuck client */
    }
  }
}

function corruptIfAsked(task: TrainTask, result: WorkerResult): WorkerResult {
  if (result.type !== 'train' || !result.delta) return result;
  if (task.fault === 'nan') result.delta[0] = NaN;
  if (task.fault === 'wrong-length') return { ...result, delta: result.delta.subarray(1).slice() };
  return result;
}

// Piscina calls the default export; the delta is moved back, not copied.
export default async function run(task: WorkerTask): Promise<WorkerResult | unknown> {
  const result = await handle(task);
  if (result.type === 'train' && result.delta) {
    return move({ [transferableSymbol]: [result.delta.buffer], [valueSymbol]: result } as never);
  }
  return result;
}
