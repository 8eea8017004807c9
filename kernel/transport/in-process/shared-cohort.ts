/**
 * The cohort trained as W tasks, one per worker, instead of one task per
 * client: the workers claim clients from a shared counter (no dispatch, clone
 * or transfer per client, no worker idle while clients remain) and write each
 * delta into one shared buffer lent for the round. Used when no client has a
 * deadline: a client past its deadline must be stoppable without its
 * thread's other clients (cohort-training.ts trains those one task each).
 */
import type { ClientFailure } from '../../federated/types';
import type { CohortResult, CohortTask, TrainResult } from '../../../workers/task-types';
import type { CohortTrainingRequest } from './cohort-training';
import { borrowShared, returnShared } from './shared-buffers';

/** A client's reply (with what its worker found wrong in the update, if it checked), a failure record, or what its task threw. */
export type ClientEnd = { reply: TrainResult & { invalid?: string } } | { failure: ClientFailure } | { error: unknown };

/** Per client of the cohort, in cohort order (the deltas are views of the shared buffer). */
export interface SharedCohortReplies {
  replies: ClientEnd[];
  /** Gives the round's buffers back; the replies' deltas must not be read after it. */
  release: () => void;
}

/** True when every client of the cohort can train as part of a shared task (see the file's comment). */
export function canShareCohort(request: Pick<CohortTrainingRequest, 'tasks' | 'clientDeadlineMs' | 'faults'>): boolean {
  if (request.clientDeadlineMs > 0) return false;
  for (const { clientId, config } of request.tasks) {
    const fault = request.faults?.get(clientId);
    if (fault && fault !== 'throw' && fault !== 'nan') return false;
    // A per-client array (SCAFFOLD's correction) would be cloned to every worker: one task per client sends it once.
    if (Object.values(config).some((value) => ArrayBuffer.isView(value))) return false;
  }
  return true;
}

export async function trainSharedCohort(
  request: CohortTrainingRequest,
  globalWeights: Float32Array,
  abortFlag: Int32Array,
  signals: readonly AbortSignal[],
): Promise<SharedCohortReplies> {
  const { tasks, pool } = request;
  const count = tasks.length;
  const dimension = globalWeights.length;
  const offsets = new Int32Array(count + 1);
  tasks.forEach((task, i) => {
    offsets[i + 1] = offsets[i] + task.indices.length;
  });
  const indexBuffer = borrowShared(4 * offsets[count]);
  const indices = new Int32Array(indexBuffer);
  tasks.forEach((task, i) => indices.set(task.indices, offsets[i]));
  const deltaBuffer = borrowShared(4 * count * dimension);
  const deltas = new Float32Array(deltaBuffer);
  const counters = new Int32Array(new SharedArrayBuffer(4 * (count + 1)));
  const next = counters.subarray(0, 1);
  const claims = counters.subarray(1);
  const faults: CohortTask['faults'] = {};
  for (const [clientId, fault] of request.faults ?? []) if (fault === 'throw' || fault === 'nan') faults[clientId] = fault;
  const shared: Omit<CohortTask, 'worker'> = {
    type: 'train-cohort',
    backend: request.backend,
    spec: request.spec,
    data: request.data,
    clientIds: tasks.map((task) => task.clientId),
    indices,
    offsets,
    seeds: tasks.map((task) => task.seed),
    configs: tasks.map((task) => task.config),
    globalWeights,
    next,
    claims,
    deltas,
    abortFlag,
    ...(Object.keys(faults).length ? { faults } : {}),
  };
  // One signal per worker task: the caller made min(workers, cohort) of them.
  const workers = signals.length;
  const settled = await Promise.allSettled(Array.from({ length: workers }, (_, worker) => pool.run<CohortResult>({ ...shared, worker }, signals[worker])));

  const replies: SharedCohortReplies['replies'] = new Array(count);
  settled.forEach((result) => {
    if (result.status !== 'fulfilled') return;
    for (const client of result.value.clients) {
      if ('error' in client) {
        replies[client.slot] = { error: new Error(client.error) };
        continue;
      }
      const { slot, ...reply } = client;
      const delta = reply.status === 'ok' ? deltas.subarray(slot * dimension, (slot + 1) * dimension) : undefined;
      replies[slot] = { reply: { type: 'train', ...reply, ...(delta ? { delta } : {}) } };
    }
  });
  const deaths = settled.map((result) => (result.status === 'rejected' ? result.reason : undefined));
  for (let slot = 0; slot < count; slot++) {
    if (replies[slot]) continue;
    const claimedBy = claims[slot];
    const clientId = tasks[slot].clientId;
    // Claimed by a thread that died, or never claimed because every thread did.
    replies[slot] =
      claimedBy > 0
        ? { error: deaths[claimedBy - 1] ?? new Error('its worker thread returned no result for it') }
        : { failure: { clientId, reason: 'crash', message: `client ${clientId} was not trained: every worker thread of the round failed` } };
  }
  let released = false;
  return {
    replies,
    release() {
      // Only after every task ended normally: a thread being terminated might still write.
      if (released || deaths.some((death) => death !== undefined)) return;
      released = true;
      returnShared(deltaBuffer);
      returnShared(indexBuffer);
    },
  };
}
