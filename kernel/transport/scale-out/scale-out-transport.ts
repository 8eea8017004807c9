/**
 * A simulation spread over this process and `fedbook worker` processes: each
 * round, the cohort is dealt over this process's pool and the connected
 * workers (assignment.ts); a worker receives the client's indices and a
 * reference to the dataset, and trains with the same worker code, backend and
 * seed, so the update is the one this process would have computed.
 *
 * A client whose worker cannot return its update (the worker died, left, or
 * failed the task) trains here instead, in the same round: the round completes
 * with the same updates as an all-local run. A client past its deadline on a
 * worker is a 'timeout' failure, as it would be here.
 */
import type { FederatedData } from '../../federated/partition/federated-data';
import { splitHeldOut } from '../../federated/partition/held-out';
import type { ClientFailure, ClientTrainConfig } from '../../federated/types';
import { findInvalidUpdate } from '../../federated/update-checks';
import type { ClientTask, ClientTrainResult, ClientTransport, TrainCohortOutcome, TrainCohortRequest } from '../client-transport';
import { RunAbortedError } from '../in-process/cohort-training';
import type { TaskAnswer } from '../remote/task-book';
import type { TrainReply } from '../remote/wire';
import { clientTrainResult } from '../train-result';
import { assignCohort } from './assignment';
import type { ScaleOutLink } from './scale-out-server';
import type { ScaleOutMetrics } from '../../contract';

/** Slack on a worker's deadline for its queue and a first dataset transfer; the worker itself stops each client at the deadline. */
const WORKER_DEADLINE_SLACK_MS = 30_000;

export interface ScaleOutTransportOptions {
  /** This process's transport over the same partition (the in-process pool). */
  readonly local: ClientTransport;
  readonly data: FederatedData;
  readonly backend: string;
  /** Threads of this process's pool: its share of the cohort against the workers' threads. */
  readonly localThreads: number;
  readonly link: ScaleOutLink;
}

const EMPTY: TrainCohortOutcome = { results: [], failures: [], bytesDown: 0, bytesUp: 0, clientMs: 0 };

export function createScaleOutTransport(options: ScaleOutTransportOptions): ClientTransport {
  const { local, data, link } = options;
  const indicesFor = (clientId: number, config: ClientTrainConfig): Int32Array =>
    config.heldOut ? splitHeldOut(data.clients[clientId], config.heldOut, clientId).train : data.clients[clientId];
  const trainHere = (request: TrainCohortRequest, clients: readonly ClientTask[], signal?: AbortSignal): Promise<TrainCohortOutcome> =>
    clients.length ? local.train({ ...request, clients }, signal) : Promise.resolve(EMPTY);

  /** Sends one worker its clients; each answer, silence or departure settles one promise. */
  function dispatch(
    request: TrainCohortRequest,
    worker: string,
    clients: readonly ClientTask[],
    taskIds: Map<string, string>,
  ): { answers: Promise<TaskAnswer>[]; bytesDown: number } {
    const threads = link.worker(worker)?.threads ?? 1;
    const timeoutMs = request.deadlineMs > 0 ? request.deadlineMs * Math.ceil(clients.length / threads) + WORKER_DEADLINE_SLACK_MS : 0;
    const dataset = link.offer(data.dataset);
    // The weights travel once per worker and round (messages to one worker arrive in order, before its tasks).
    const weightsId = link.newTaskId();
    let bytesDown = link.send(worker, { type: 'round-weights', id: weightsId, weights: request.weights }, request.round);
    const answers = clients.map(
      ({ clientId, seed, config }) =>
        new Promise<TaskAnswer>((settle) => {
          const task = link.newTaskId();
          taskIds.set(task, worker);
          link.tasks.add(
            task,
            { clientName: worker, clientId, round: request.round, kind: 'train', expects: 'train-result', settle },
            timeoutMs,
            `client ${clientId} on worker '${worker}' did not answer within ${timeoutMs} ms`,
          );
          const sent = link.send(
            worker,
            {
              type: 'sim-train',
              task,
              clientId,
              backend: options.backend,
              spec: request.spec,
              weightsId,
              seed,
              config,
              deadlineMs: request.deadlineMs,
              dataset,
              indices: indicesFor(clientId, config),
            },
            request.round,
          );
          if (sent === 0) link.tasks.failTasks([task], 'dropped', `worker '${worker}' is not connected`);
          bytesDown += sent;
        }),
    );
    return { answers, bytesDown };
  }

  return {
    kind: 'scale-out',
    numClients: data.numClients,

    async train(request, signal): Promise<TrainCohortOutcome> {
      if (signal?.aborted) throw new RunAbortedError('the run was aborted before the round started');
      const placement = assignCohort(request.clients.length, options.localThreads, link.connectedWorkers());
      const here: ClientTask[] = [];
      const byWorker = new Map<string, ClientTask[]>();
      request.clients.forEach((task, i) => {
        const worker = placement[i];
        if (worker === undefined) here.push(task);
        else byWorker.set(worker, [...(byWorker.get(worker) ?? []), task]);
      });
      const taskIds = new Map<string, string>();
      const onAbort = (): void => {
        for (const task of link.tasks.failTasks([...taskIds.keys()], 'aborted', 'the run was aborted'))
          link.send(taskIds.get(task)!, { type: 'cancel', task }, request.round);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const sent = [...byWorker].map(([worker, clients]) => ({ worker, clients, ...dispatch(request, worker, clients, taskIds) }));
        const [localOutcome, ...remote] = await Promise.all([trainHere(request, here, signal), ...sent.map((s) => Promise.all(s.answers))]);
        if (signal?.aborted) throw new RunAbortedError(`the run was aborted during round ${request.round}`);
        const outcome = {
          results: [...localOutcome.results],
          failures: [...localOutcome.failures],
          bytesUp: localOutcome.bytesUp,
          clientMs: localOutcome.clientMs,
        };
        const retry: ClientTask[] = [];
        const trainedOn: Record<string, number> = {};
        sent.forEach(({ worker, clients }, w) => {
          const slot = link.worker(worker);
          remote[w].forEach((answer, i) => {
            const sorted = sortAnswer(clients[i].clientId, worker, answer, request, indicesFor(clients[i].clientId, clients[i].config).length);
            if (sorted.kind === 'retry') {
              retry.push(clients[i]);
              if (slot) slot.failures++;
              return;
            }
            if (sorted.kind === 'failure') outcome.failures.push(sorted.failure);
            else {
              outcome.results.push(sorted.result);
              outcome.bytesUp += sorted.bytes;
              outcome.clientMs += sorted.result.ms;
              trainedOn[worker] = (trainedOn[worker] ?? 0) + 1;
              if (slot) slot.clientsTrained++;
            }
          });
        });
        const retried = await trainHere(request, retry, signal);
        return {
          results: [...outcome.results, ...retried.results],
          failures: [...outcome.failures, ...retried.failures],
          bytesDown: localOutcome.bytesDown + retried.bytesDown + sent.reduce((sum, s) => sum + s.bytesDown, 0),
          bytesUp: outcome.bytesUp + retried.bytesUp,
          clientMs: outcome.clientMs + retried.clientMs,
          paths: mergePaths(localOutcome.paths, retried.paths, remotePaths(outcome.results, localOutcome.results.length)),
          metrics: {
            ...localOutcome.metrics,
            transport: 'scale-out',
            scaleOut: { here: here.length, workers: trainedOn, ...(retry.length ? { retriedHere: retry.length } : {}) } satisfies ScaleOutMetrics,
          },
        };
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },

    // Held-out evaluation is a forward pass over a few examples per client: it stays on this process's pool.
    evaluate: (request, signal) => local.evaluate(request, signal),
  };
}

type Sorted = { kind: 'result'; result: ClientTrainResult; bytes: number } | { kind: 'failure'; failure: ClientFailure } | { kind: 'retry' };

/** A worker's answer: an update, a failure the client would have had here too, or a client to train here instead. */
function sortAnswer(clientId: number, worker: string, answer: TaskAnswer, request: TrainCohortRequest, examples: number): Sorted {
  if (!answer.ok)
    return answer.failure.reason === 'timeout' || answer.failure.reason === 'aborted' ? { kind: 'failure', failure: answer.failure } : { kind: 'retry' };
  const reply = answer.reply as TrainReply;
  if (reply.status === 'timeout')
    return {
      kind: 'failure',
      failure: { clientId, reason: 'timeout', message: `client ${clientId} exceeded its deadline of ${request.deadlineMs} ms (on worker '${worker}')` },
    };
  if (reply.status !== 'ok' || !reply.delta)
    return { kind: 'failure', failure: { clientId, reason: 'aborted', message: `client ${clientId} stopped on worker '${worker}' (${reply.status})` } };
  const problem = findInvalidUpdate(reply.delta, request.weights.length);
  if (problem)
    return {
      kind: 'failure',
      failure: { clientId, reason: 'invalid', message: `client ${clientId} sent an invalid update from worker '${worker}': ${problem}` },
    };
  // The example count weights the update in the mean: it must be the count the server sent, not one the worker chose.
  if (reply.numExamples !== examples)
    return {
      kind: 'failure',
      failure: {
        clientId,
        reason: 'invalid',
        message: `client ${clientId} on worker '${worker}' reports ${reply.numExamples} examples; it was sent ${examples}`,
      },
    };
  return { kind: 'result', result: clientTrainResult(clientId, reply, reply.delta), bytes: answer.bytes };
}

type Paths = NonNullable<TrainCohortOutcome['paths']>;

/** Training paths of the workers' results (those after the first `skip`, which trained here). */
function remotePaths(results: readonly ClientTrainResult[], skip: number): Paths {
  const paths: Record<string, { clients: number }> = {};
  for (const result of results.slice(skip)) {
    const path = result.path ?? result.backend;
    paths[path] = { clients: (paths[path]?.clients ?? 0) + 1 };
  }
  return paths;
}

function mergePaths(...all: (Paths | undefined)[]): Paths {
  const merged: Record<string, { clients: number; note?: string }> = {};
  for (const paths of all) {
    for (const [path, { clients, note }] of Object.entries(paths ?? {})) {
      const entry = (merged[path] ??= { clients: 0 });
      entry.clients += clients;
      if (note && !entry.note) entry.note = note;
    }
  }
  return merged;
}
