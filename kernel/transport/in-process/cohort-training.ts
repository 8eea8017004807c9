/**
 * Trains one round's cohort in parallel on the client pool and sorts the
 * outcomes into updates and failures. A client that throws, crashes its
 * thread, overruns its deadline or returns a bad update becomes a failure
 * record; only an abort of the whole run throws.
 */
import { findInvalidUpdate } from '../../federated/update-checks';
import type { ClientFailure, ClientTrainConfig } from '../../federated/types';
import type { ModelSpec } from '../../../workers/model-spec';
import type { InjectedFault, SharedData, TrainResult } from '../../../workers/task-types';
import type { ClientPool } from './client-pool';
import { clientTrainResult } from '../train-result';
import { borrowShared, returnShared } from './shared-buffers';
import { canShareCohort, trainSharedCohort, type ClientEnd } from './shared-cohort';
import type { ClientTrainResult } from '../client-transport';

/** How long a client may keep running after an abort or its deadline before its thread is stopped. */
export const ABORT_GRACE_MS = 800;

export class RunAbortedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunAbortedError';
  }
}

export interface CohortTrainingRequest {
  pool: ClientPool;
  backend: string;
  spec: ModelSpec;
  data: SharedData;
  /** One entry per client of the cohort: its examples, seed and config. */
  tasks: readonly { clientId: number; indices: Int32Array; seed: number; config: ClientTrainConfig }[];
  /** The round's global weights (copied here into shared memory, once for the whole cohort). */
  weights: Float32Array;
  clientDeadlineMs: number;
  signal?: AbortSignal;
  faults?: ReadonlyMap<number, InjectedFault>;
}

export interface CohortOutcome {
  updates: ClientTrainResult[];
  failures: ClientFailure[];
  /** Clients per training path ('compiled-native', 'tfjs-wasm', ...), with why the compiled step was not used. */
  paths: Map<string, { clients: number; note?: string }>;
  bytesUp: number;
  /** Sum of the clients' own training times, ms (the train phase minus this / workers is dispatch and transfer). */
  clientMs: number;
  /** Gives the round's shared buffers back for the next round: the updates' deltas must not be read after it. */
  release: () => void;
}

type Reply = Extract<ClientEnd, { reply: unknown }>['reply'];

export async function trainCohort(request: CohortTrainingRequest): Promise<CohortOutcome> {
  const { pool, tasks, signal } = request;
  const cohort = tasks.map((task) => task.clientId);
  if (signal?.aborted) throw new RunAbortedError('the run was aborted before the round started');
  const shared = canShareCohort(request);
  const abortFlag = new Int32Array(new SharedArrayBuffer(4));
  const controllers = (shared ? Array.from({ length: Math.min(pool.workers, cohort.length) }) : cohort).map(() => new AbortController());
  const timers: NodeJS.Timeout[] = [];
  const stopAll = (): void => {
    Atomics.store(abortFlag, 0, 1);
    timers.push(setTimeout(() => controllers.forEach((c) => c.abort()), ABORT_GRACE_MS));
  };
  signal?.addEventListener('abort', stopAll, { once: true });
  const weightsBuffer = borrowShared(request.weights.byteLength);
  const globalWeights = new Float32Array(weightsBuffer);
  globalWeights.set(request.weights);
  try {
    if (shared) {
      const { replies, release } = await trainSharedCohort(
        request,
        globalWeights,
        abortFlag,
        controllers.map((c) => c.signal),
      );
      if (signal?.aborted) throw new RunAbortedError('the run was aborted mid-round');
      returnShared(weightsBuffer);
      // The worker checked each update beside its training.
      return { ...sortOutcomes(cohort, replies, (reply) => reply.invalid, 0), release };
    }
    const replies = await trainOnePerTask(request, globalWeights, abortFlag, controllers, timers);
    if (signal?.aborted) throw new RunAbortedError('the run was aborted mid-round');
    const dimension = request.weights.length;
    const outcome = sortOutcomes(cohort, replies, (reply) => findInvalidUpdate(reply.delta!, dimension), request.clientDeadlineMs);
    // A thread stopped past its deadline may still be reading the weights: leave them to the GC then.
    if (replies.every((end) => !('error' in end))) returnShared(weightsBuffer);
    return { ...outcome, release: () => {} };
  } finally {
    signal?.removeEventListener('abort', stopAll);
    timers.forEach((timer) => clearTimeout(timer));
  }
}

/** One task per client, each stoppable alone: what a deadline (or a test's crashing client) needs. */
async function trainOnePerTask(
  request: CohortTrainingRequest,
  globalWeights: Float32Array,
  abortFlag: Int32Array,
  controllers: readonly AbortController[],
  timers: NodeJS.Timeout[],
): Promise<ClientEnd[]> {
  const { pool, tasks } = request;
  // Tasks queue for a free thread, so a deadline counts from when the client starts, which the worker writes here.
  const startTimes = new Float64Array(new SharedArrayBuffer(8 * tasks.length));
  if (request.clientDeadlineMs > 0) {
    const watchdog = setInterval(() => {
      const now = Date.now();
      startTimes.forEach((startedAt, i) => {
        if (startedAt > 0 && now - startedAt > request.clientDeadlineMs + ABORT_GRACE_MS) controllers[i].abort();
      });
    }, 100);
    timers.push(watchdog);
  }
  const settled = await Promise.allSettled(
    tasks.map(({ clientId, indices, seed, config }, i) => {
      return pool.run<TrainResult>(
        {
          type: 'train',
          backend: request.backend,
          spec: request.spec,
          data: request.data,
          clientId,
          indices,
          globalWeights,
          config,
          seed,
          abortFlag,
          deadlineMs: request.clientDeadlineMs,
          startTimes,
          startSlot: i,
          fault: request.faults?.get(clientId),
        },
        controllers[i].signal,
      );
    }),
  );
  return settled.map((result) => (result.status === 'fulfilled' ? { reply: result.value } : { error: result.reason }));
}

function sortOutcomes(
  cohort: readonly number[],
  ends: readonly ClientEnd[],
  findProblem: (reply: Reply) => string | undefined,
  deadlineMs: number,
): Omit<CohortOutcome, 'release'> {
  const outcome: Omit<CohortOutcome, 'release'> = { updates: [], failures: [], paths: new Map(), bytesUp: 0, clientMs: 0 };
  ends.forEach((end, i) => {
    const clientId = cohort[i];
    if ('failure' in end) {
      outcome.failures.push(end.failure);
      return;
    }
    if ('error' in end) {
      outcome.failures.push(failureFromError(clientId, end.error, deadlineMs));
      return;
    }
    const { reply } = end;
    const path = outcome.paths.get(reply.path) ?? { clients: 0, ...(reply.pathNote ? { note: reply.pathNote } : {}) };
    path.clients++;
    outcome.paths.set(reply.path, path);
    outcome.clientMs += reply.ms;
    if (reply.status === 'timeout') {
      outcome.failures.push({ clientId, reason: 'timeout', message: `client ${clientId} exceeded its deadline of ${deadlineMs} ms` });
      return;
    }
    if (reply.status === 'aborted' || !reply.delta) {
      outcome.failures.push({ clientId, reason: 'aborted', message: `client ${clientId} stopped: the run was aborted` });
      return;
    }
    outcome.bytesUp += reply.delta.byteLength;
    const problem = findProblem(reply);
    if (problem) {
      outcome.failures.push({ clientId, reason: 'invalid', message: `client ${clientId} sent an invalid update: ${problem}` });
      return;
    }
    outcome.updates.push(clientTrainResult(clientId, reply, reply.delta));
  });
  return outcome;
}

function failureFromError(clientId: number, reason: unknown, deadlineMs: number): ClientFailure {
  const error = reason as { name?: string; message?: string };
  const message = error?.message ?? String(reason);
  if (error?.name === 'AbortError') {
    return deadlineMs > 0
      ? { clientId, reason: 'timeout', message: `client ${clientId} exceeded its deadline of ${deadlineMs} ms and its thread was stopped` }
      : { clientId, reason: 'aborted', message: `client ${clientId} was stopped: the run was aborted` };
  }
  if (/exit|terminated/i.test(message)) {
    return { clientId, reason: 'crash', message: `client ${clientId}'s worker thread died: ${message}` };
  }
  return { clientId, reason: 'error', message: `client ${clientId} failed: ${message}` };
}
