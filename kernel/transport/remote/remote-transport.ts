/**
 * The ClientTransport over a federation's clients: a round's cohort becomes one
 * task message per client; each answer, silence, departure or bad update
 * becomes a result or a failure record. Only an abort of the run rejects.
 */
import { findInvalidUpdate } from '../../federated/update-checks';
import type { ClientFailure } from '../../federated/types';
import type { ModelSpec } from '../../../workers/model-spec';
import type { ClientEvaluation, ClientTransport, EvaluateCohortOutcome, TrainCohortOutcome, ClientTrainResult } from '../client-transport';
import { RunAbortedError } from '../in-process/cohort-training';
import type { ClientRegistry, ClientSlot } from './client-registry';
import { clientTrainResult } from '../train-result';
import type { TaskAnswer, TaskBook } from './task-book';
import type { EvaluateReply, ServerMessage, TrainReply } from './wire';
import type { ClientStateEntry } from '../../contract/client-states';
import { answerEnd, liveClientEntry, refusalEntry, roundClientEntry, type Refusal, type TaskEnd } from './client-states';

/** How long after its deadline a client's answer is still awaited (it stops itself at the deadline). */
export const DEADLINE_GRACE_MS = 2000;

export interface RemoteLink {
  readonly registry: ClientRegistry;
  readonly tasks: TaskBook;
  /** Sends a message to a connected client; returns the bytes sent (0 when it is not connected). */
  send(slot: ClientSlot, message: ServerMessage, round: number): number;
  newTaskId(): string;
  setRound(round: number): void;
  readonly defaultDeadlineMs: number;
  /** Connections turned away at the door after `since` (Date.now()). */
  refusalsSince(since: number): Refusal[];
}

/**
 * Every client's entry for the round that ends now (sampled ones by how their task ended), remembered on
 * its slot for `describe()`, followed by the connections refused during the round.
 */
export function recordClientStates(link: RemoteLink, ends: ReadonlyMap<number, TaskEnd>, now = Date.now()): ClientStateEntry[] {
  const since = link.registry.roundEndedAt;
  const entries = link.registry
    .all()
    .filter((slot) => slot.id !== undefined)
    .map((slot) => {
      slot.last = roundClientEntry(slot, ends.get(slot.id!), since, now);
      slot.current = undefined;
      return slot.last;
    });
  link.registry.roundEndedAt = now;
  return [...entries, ...link.refusalsSince(since).map(refusalEntry)];
}

/** Every client's state now (as describe() gives it), then the connections refused since the last round. */
export function liveClientStates(link: Pick<RemoteLink, 'registry' | 'refusalsSince'>, now = Date.now()): ClientStateEntry[] {
  const since = link.registry.roundEndedAt;
  const entries = link.registry
    .all()
    .filter((slot) => slot.id !== undefined)
    .map((slot) => liveClientEntry(slot, slot.last, slot.trainingSince !== undefined, since, now));
  return [...entries, ...link.refusalsSince(since).map(refusalEntry)];
}

type Dispatch = (slot: ClientSlot, task: string) => ServerMessage;

export function createRemoteTransport(link: RemoteLink): ClientTransport {
  /** Sends one task per client and waits for every answer, silence or departure. */
  async function runTasks(
    round: number,
    clientIds: readonly number[],
    deadlineMs: number,
    kind: 'train' | 'evaluate',
    make: Dispatch,
    signal?: AbortSignal,
    onChange?: () => void,
  ) {
    if (signal?.aborted) throw new RunAbortedError('the run was aborted before the round started');
    link.setRound(round);
    let bytesDown = 0;
    const roundTrips = new Map<number, number>();
    const ids: string[] = [];
    const owners = new Map<string, ClientSlot>();
    const answers = clientIds.map(
      (clientId) =>
        new Promise<TaskAnswer>((settle) => {
          const slot = link.registry.byClientId(clientId);
          if (!slot?.connected) {
            settle({ ok: false, failure: { clientId, reason: 'dropped', message: `client ${clientId}${slot ? ` ('${slot.name}')` : ''} is not connected` } });
            return;
          }
          const task = link.newTaskId();
          ids.push(task);
          owners.set(task, slot);
          const sentAt = Date.now();
          if (kind === 'train') slot.trainingSince = sentAt;
          const settleTimed = (answer: TaskAnswer): void => {
            const roundTripMs = Date.now() - sentAt;
            if (kind === 'train' && slot.trainingSince === sentAt) {
              slot.trainingSince = undefined;
              slot.current = answerEnd(answer, roundTripMs);
            }
            roundTrips.set(clientId, roundTripMs);
            settle(answer);
            onChange?.();
          };
          link.tasks.add(
            task,
            { clientName: slot.name, clientId, round, kind, expects: kind === 'train' ? 'train-result' : 'evaluate-result', settle: settleTimed },
            deadlineMs + DEADLINE_GRACE_MS,
            `client ${clientId} ('${slot.name}') did not answer within its deadline of ${deadlineMs} ms`,
          );
          bytesDown += link.send(slot, make(slot, task), round);
        }),
    );
    const onAbort = (): void => {
      for (const task of link.tasks.failTasks(ids, 'aborted', 'the run was aborted')) link.send(owners.get(task)!, { type: 'cancel', task }, round);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    onChange?.();
    try {
      const settled = await Promise.all(answers);
      if (signal?.aborted) throw new RunAbortedError(`the run was aborted during round ${round}`);
      return { settled, bytesDown, roundTrips };
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  return {
    kind: 'remote',
    get numClients() {
      return link.registry.numClients;
    },

    async train(request, signal): Promise<TrainCohortOutcome> {
      const deadlineMs = request.deadlineMs > 0 ? request.deadlineMs : link.defaultDeadlineMs;
      // A round aborted before it recorded its states leaves its answers behind: this round starts afresh.
      for (const slot of link.registry.all()) slot.current = undefined;
      const misfits: ClientFailure[] = [];
      const fitting = request.clients.filter(({ clientId }) => {
        const slot = link.registry.byClientId(clientId);
        const problem = slot?.connected ? misfit(request.spec, slot) : undefined;
        if (problem) {
          misfits.push({ clientId, reason: 'invalid', message: `client ${clientId} ('${slot!.name}'): ${problem}` });
          link.send(slot!, { type: 'notice', message: `round ${request.round}: the server left you out: ${problem}` }, request.round);
        }
        return !problem;
      });
      const byId = new Map(fitting.map((task) => [task.clientId, task]));
      const { settled, bytesDown, roundTrips } = await runTasks(
        request.round,
        fitting.map((t) => t.clientId),
        deadlineMs,
        'train',
        (slot, task) => {
          const { clientId, seed, config } = byId.get(slot.id!)!;
          return { type: 'train', task, clientId, spec: request.spec, weights: request.weights, seed, config, deadlineMs };
        },
        signal,
        request.onClientStates && (() => request.onClientStates!(liveClientStates(link))),
      );
      const outcome = { results: [] as ClientTrainResult[], failures: [...misfits], bytesDown, bytesUp: 0, clientMs: 0 };
      const ends = new Map<number, TaskEnd>(misfits.map((f) => [f.clientId, { ok: false, reason: f.reason, message: f.message }]));
      settled.forEach((answer, i) => {
        const clientId = fitting[i].clientId;
        const slot = link.registry.byClientId(clientId)!;
        const roundTripMs = roundTrips.get(clientId);
        const fail = (failure: ClientFailure): void => {
          outcome.failures.push(failure);
          ends.set(clientId, { ok: false, reason: failure.reason, message: failure.message, roundTripMs });
          if (slot) slot.failures++;
        };
        if (!answer.ok) return fail(answer.failure);
        const reply = answer.reply as TrainReply;
        outcome.bytesUp += answer.bytes;
        outcome.clientMs += reply.ms;
        const failure = checkTrainReply(clientId, slot, reply, request.weights.length, deadlineMs);
        if (failure) return fail(failure);
        slot.roundsTrained++;
        ends.set(clientId, { ok: true, trainMs: reply.ms, roundTripMs });
        outcome.results.push(clientTrainResult(clientId, reply, reply.delta!));
      });
      const rejected = link.tasks.takeRejectedCount();
      const gone = link.registry
        .all()
        .filter((slot) => !slot.connected && slot.id !== undefined)
        .map((slot) => `${slot.id}:${slot.name}`);
      return {
        ...outcome,
        metrics: {
          transport: 'remote',
          connectedClients: link.registry.connected().length,
          ...(gone.length ? { disconnectedClients: gone } : {}),
          ...(rejected ? { rejectedMessages: rejected } : {}),
          clientStates: recordClientStates(link, ends),
        },
      };
    },

    async evaluate(request, signal): Promise<EvaluateCohortOutcome> {
      const ids = request.clients.map((c) => c.clientId);
      const heldOut = new Map(request.clients.map((c) => [c.clientId, c.heldOut]));
      const { settled } = await runTasks(
        request.round,
        ids,
        link.defaultDeadlineMs,
        'evaluate',
        (slot, task) => ({ type: 'evaluate', task, clientId: slot.id!, spec: request.spec, weights: request.weights, heldOut: heldOut.get(slot.id!) }),
        signal,
      );
      const outcome = { results: [] as ClientEvaluation[], failures: [] as ClientFailure[] };
      settled.forEach((answer, i) => {
        if (!answer.ok) return void outcome.failures.push(answer.failure);
        const reply = answer.reply as EvaluateReply;
        if (reply.count > 0)
          outcome.results.push({ clientId: ids[i], loss: reply.lossSum / reply.count, accuracy: reply.correct / reply.count, examples: reply.count });
      });
      return outcome;
    },
  };
}

/** Why a client's data cannot train this model, or undefined when it fits. */
export function misfit(spec: ModelSpec, slot: Pick<ClientSlot, 'inputShape' | 'numClasses'>): string | undefined {
  const expected = spec.inputShape.reduce((a, b) => a * b, 1);
  const actual = slot.inputShape.reduce((a, b) => a * b, 1);
  if (expected !== actual || (spec.kind === 'cnn' && spec.inputShape.join('x') !== slot.inputShape.join('x'))) {
    return `the model expects examples of shape [${spec.inputShape}] (${expected} values) but this client's data has shape [${slot.inputShape}] (${actual} values)`;
  }
  if (slot.numClasses > spec.numClasses) return `the model has ${spec.numClasses} outputs but this client's labels go up to class ${slot.numClasses - 1}`;
  return undefined;
}

function checkTrainReply(clientId: number, slot: ClientSlot, reply: TrainReply, dimension: number, deadlineMs: number): ClientFailure | undefined {
  const who = `client ${clientId} ('${slot.name}')`;
  if (reply.status === 'timeout') return { clientId, reason: 'timeout', message: `${who} exceeded its deadline of ${deadlineMs} ms` };
  if (reply.status !== 'ok' || !reply.delta) return { clientId, reason: 'aborted', message: `${who} stopped before finishing (${reply.status})` };
  const problem = findInvalidUpdate(reply.delta, dimension);
  if (problem) return { clientId, reason: 'invalid', message: `${who} sent an invalid update: ${problem}` };
  if (reply.numExamples < 0 || reply.numExamples > slot.examples) {
    return { clientId, reason: 'invalid', message: `${who} claims ${reply.numExamples} examples but announced ${slot.examples}` };
  }
  return undefined;
}
