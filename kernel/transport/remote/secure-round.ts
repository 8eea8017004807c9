/**
 * A training round with secure aggregation across processes (Bonawitz et al.
 * 2017, semi-honest): the strategy's plan says how each client encodes its
 * update (α_i, clip, fixed-point scale); every client trains, encodes and keeps
 * it; then AdvertiseKeys, ShareKeys (envelopes routed through the server,
 * which cannot open them), MaskedInputCollection and Unmasking run over the
 * wire. The server only ever holds masked vectors and recovers the sum of the
 * survivors' encoded updates, as long as at least `threshold` clients are left
 * at each step; a client may drop at any step. The maths is SecAggServer's.
 */
import { secureAggregator, type SecurePlan, type SecureSumRequest } from '../../federated/aggregators/secure-stack';
import { decodeFixedPoint } from '../../federated/privacy/secagg/fixed-point';
import { SecAggServer, SecureAggregationError } from '../../federated/privacy/secagg/server';
import { heldOutCount } from '../../federated/partition/held-out';
import type { ClientFailure } from '../../federated/types';
import type { TrainCohortRequest } from '../client-transport';
import { RunAbortedError } from '../in-process/cohort-training';
import type { ClientSlot } from './client-registry';
import { DEADLINE_GRACE_MS, liveClientStates, misfit, recordClientStates, type RemoteLink } from './remote-transport';
import type { ClientStateEntry } from '../../contract/client-states';
import type { TaskEnd } from './client-states';
import { packBytes, sharesFrom, unpackBytes } from './secagg-session';
import type { TaskAnswer } from './task-book';
import { SECAGG_ENVELOPE_BYTES, type SecAggKeys, type SecAggMasked, type SecAggShares, type SecAggUnmasking, type ServerMessage, type TaskReply } from './wire';

export interface SecureTrainSettings {
  /** t: clients that must be left at every step. */
  readonly threshold: number;
  /** B: the bound on |Δ_ij| (a client's coordinates are clamped to it); client i's encoded bound is α_i·B. */
  readonly bound: number;
  /** How long a step after training may take before silent clients count as dropped (default 30 s). */
  readonly stepTimeoutMs?: number;
}

/** FedAvg's example-weighted mean over a secure sum, threshold t and bound B: the plan of `remote.transport.secureTrain`. */
export function weightedMeanPlanner(settings: SecureTrainSettings, dimension: number): SecureSumRequest {
  const { secure } = secureAggregator({ secure: { threshold: settings.threshold, dropouts: 0, bound: settings.bound }, weighting: 'examples' });
  return { plan: (cohort) => secure.plan(cohort, undefined, { round: 0, dimension, expectedCohort: cohort.length }) };
}

export interface SecureTrainOutcome {
  /** What each client was asked to encode (weights α_i, bounds, scale, threshold). */
  readonly plan: SecurePlan;
  /** Σ α_i·Δ_i over the survivors, as 32-bit words (mod 2^32) and decoded. */
  readonly words: Uint32Array;
  readonly sum: Float64Array;
  /** Client ids whose inputs are in the sum (their α_i are in `plan`). */
  readonly survivors: readonly number[];
  /** Each trained client's metrics (never its update). */
  readonly clients: readonly { clientId: number; numExamples: number; trainLoss: number; trainAccuracy: number; backend: string; ms: number }[];
  readonly failures: ClientFailure[];
  /** Clients that dropped after sending keys and before their masked input: not in the sum, failures of the round. */
  readonly droppedAfterKeys: readonly number[];
  /** Survivors that dropped (or answered badly) after their masked input: in the sum, so done, not failures. */
  readonly droppedAfterInput: readonly number[];
  readonly bytesDown: number;
  readonly bytesUp: number;
  /** Every client's state at the end of the round (survivors done, dropouts dropped), as a plain round records it. */
  readonly clientStates: ClientStateEntry[];
  /** Wall time of the protocol's steps after training, ms, and of it the server's own work (routing, unmasking). */
  readonly ms: number;
  readonly serverMs: number;
}

type Reply<T extends TaskReply['type']> = Extract<TaskReply, { type: T }>;

/** Sends one message per client and waits for each answer, silence or departure; an abort of the run ends the wait at once. */
async function ask<T extends TaskReply['type']>(
  link: RemoteLink,
  round: number,
  targets: readonly ClientSlot[],
  expects: T,
  kind: string,
  timeoutMs: number,
  make: (slot: ClientSlot, task: string) => ServerMessage,
  tally: { down: number; up: number },
  signal: AbortSignal | undefined,
  onSettled?: (slot: ClientSlot, answer: TaskAnswer) => void,
): Promise<{ replies: Map<number, Reply<T>>; failures: ClientFailure[] }> {
  if (signal?.aborted) throw new RunAbortedError(`the run was aborted during round ${round}`);
  const owners = new Map<string, ClientSlot>();
  const onAbort = (): void => {
    for (const task of link.tasks.failTasks([...owners.keys()], 'aborted', 'the run was aborted'))
      link.send(owners.get(task)!, { type: 'cancel', task }, round);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const settled = await Promise.all(
    targets.map(
      (slot) =>
        new Promise<TaskAnswer>((settle) => {
          const clientId = slot.id!;
          if (!slot.connected)
            return settle({ ok: false, failure: { clientId, reason: 'dropped', message: `client ${clientId} ('${slot.name}') is not connected` } });
          const task = link.newTaskId();
          owners.set(task, slot);
          const settleSeen = (answer: TaskAnswer): void => {
            onSettled?.(slot, answer);
            settle(answer);
          };
          link.tasks.add(
            task,
            { clientName: slot.name, clientId, round, kind, expects, settle: settleSeen },
            timeoutMs,
            `client ${clientId} ('${slot.name}') did not ${kind} within ${timeoutMs} ms`,
          );
          tally.down += link.send(slot, make(slot, task), round);
        }),
    ),
  ).finally(() => signal?.removeEventListener('abort', onAbort));
  if (signal?.aborted) throw new RunAbortedError(`the run was aborted during round ${round}`);
  const replies = new Map<number, Reply<T>>();
  const failures: ClientFailure[] = [];
  settled.forEach((answer, i) => {
    if (answer.ok) {
      replies.set(targets[i].id!, answer.reply as Reply<T>);
      tally.up += answer.bytes;
    } else failures.push(answer.failure);
  });
  return { replies, failures };
}

export async function secureTrain(
  link: RemoteLink,
  request: TrainCohortRequest,
  planner: SecureSumRequest,
  options: { readonly stepTimeoutMs?: number },
  signal?: AbortSignal,
): Promise<SecureTrainOutcome> {
  if (signal?.aborted) throw new RunAbortedError('the run was aborted before the round started');
  link.setRound(request.round);
  const { round } = request;
  const failures: ClientFailure[] = [];
  const tally = { down: 0, up: 0 };
  const stepMs = options.stepTimeoutMs ?? 30_000;
  const deadlineMs = request.deadlineMs > 0 ? request.deadlineMs : link.defaultDeadlineMs;

  // The plan (α_i, clip, scale) from the example counts the clients announced, less their held-out share, in client order as the
  // simulation sums: each client then encodes its own update exactly as the simulation would.
  const cohort: ClientSlot[] = [];
  for (const { clientId } of [...request.clients].sort((a, b) => a.clientId - b.clientId)) {
    const slot = link.registry.byClientId(clientId);
    const problem = slot?.connected ? misfit(request.spec, slot) : `client ${clientId} is not connected`;
    if (problem || !slot)
      failures.push({
        clientId,
        reason: slot?.connected ? 'invalid' : 'dropped',
        message: slot?.connected ? `client ${clientId} ('${slot.name}'): ${problem}` : problem!,
      });
    else cohort.push(slot);
  }
  const tasks = new Map(request.clients.map((t) => [t.clientId, t]));
  const trained = (slot: ClientSlot): number => {
    const heldOut = tasks.get(slot.id!)!.config.heldOut;
    return slot.examples - (heldOut ? heldOutCount(slot.examples, heldOut.share) : 0);
  };
  const plan = planner.plan(cohort.map((slot) => ({ clientId: slot.id!, numExamples: trained(slot) })));
  const { threshold, scale } = plan;
  const position = new Map(cohort.map((slot, i) => [slot.id!, i]));
  const encodingOf = (clientId: number) => plan.encodings[position.get(clientId)!];
  const fail = (message: string): never => {
    throw new SecureAggregationError(`round ${round}: ${message}`, failures.length, threshold, request.clients.length);
  };
  if (cohort.length < threshold) fail(`only ${cohort.length} clients can take part but the threshold is ${threshold}`);

  // Live states as a plain round publishes them: training, then how each client's part ended (done, or how it was lost);
  // a client that trained but drops out of a later step turns from done to dropped.
  const publish = request.onClientStates && ((): void => request.onClientStates!(liveClientStates(link)));
  const lost = (slot: ClientSlot, failure: ClientFailure): void => {
    slot.current = { ok: false, reason: failure.reason, message: failure.message };
    publish?.();
  };
  const lostIfFailed = (slot: ClientSlot, answer: TaskAnswer): void => {
    if (!answer.ok) lost(slot, answer.failure);
  };

  // Round 0: train, encode, advertise keys.
  // A round aborted before it recorded its states leaves its answers behind: this round starts afresh.
  for (const slot of link.registry.all()) slot.current = undefined;
  const trainingSince = Date.now();
  for (const slot of cohort) slot.trainingSince = trainingSince;
  publish?.();
  const keyed = await ask(
    link,
    round,
    cohort,
    'sa-keys',
    'train and advertise keys',
    deadlineMs + DEADLINE_GRACE_MS,
    (slot, task) => {
      const t = tasks.get(slot.id!)!;
      return {
        type: 'secure-train',
        task,
        clientId: slot.id!,
        spec: request.spec,
        weights: request.weights,
        seed: t.seed,
        config: t.config,
        deadlineMs,
        secagg: { threshold, encoding: encodingOf(slot.id!) },
      };
    },
    tally,
    signal,
    (slot, answer) => {
      if (slot.trainingSince === trainingSince) slot.trainingSince = undefined;
      slot.current = answer.ok
        ? { ok: true, trainMs: (answer.reply as SecAggKeys).ms }
        : { ok: false, reason: answer.failure.reason, message: answer.failure.message };
      publish?.();
    },
  );
  for (const slot of cohort) if (slot.trainingSince === trainingSince) slot.trainingSince = undefined;
  failures.push(...keyed.failures);
  // A client that breaks the protocol's shape is left out like a dropout, never allowed to fail the round for the others.
  const invalid = (clientId: number, what: string): void => {
    const slot = link.registry.byClientId(clientId);
    const failure: ClientFailure = {
      clientId,
      reason: 'invalid',
      message: `client ${clientId} ('${slot?.name}') sent ${what}; left out of secure aggregation`,
    };
    failures.push(failure);
    if (slot) lost(slot, failure);
  };
  for (const [index, r] of keyed.replies) {
    if (r.cPublic.length !== 32 || r.sPublic.length !== 32) {
      invalid(index, 'public keys that are not 32 bytes');
      keyed.replies.delete(index);
    } else if (r.numExamples !== plan.cohort[position.get(index)!].numExamples) {
      // Its weight α_i was computed from the count it announced; a different count would skew the mean.
      invalid(index, `${r.numExamples} trained examples where it announced ${plan.cohort[position.get(index)!].numExamples}`);
      keyed.replies.delete(index);
    }
  }
  const protocolStarted = performance.now();
  let serverMs = 0;
  const timed = <T>(work: () => T): T => {
    const started = performance.now();
    try {
      return work();
    } finally {
      serverMs += performance.now() - started;
    }
  };
  const server = new SecAggServer(threshold, plan.width);
  const advertised = [...keyed.replies].map(([index, r]) => ({ index, cPublic: Buffer.from(r.cPublic), sPublic: Buffer.from(r.sPublic) }));
  const roster = timed(() => server.collectKeys(advertised));
  const inRoster = roster.map((entry) => link.registry.byClientId(entry.index)!);
  const rosterMessage = { indices: roster.map((e) => e.index), keys: packBytes(roster.map((e) => Buffer.concat([e.cPublic, e.sPublic]))) };

  // Round 1: share keys; envelopes are routed unread.
  const shared = await ask(
    link,
    round,
    inRoster,
    'sa-shares',
    'share keys',
    stepMs,
    (_slot, task) => ({ type: 'sa-roster', task, ...rosterMessage }),
    tally,
    signal,
    lostIfFailed,
  );
  failures.push(...shared.failures);
  const peers = new Set(roster.map((e) => e.index));
  for (const [from, reply] of shared.replies as Map<number, SecAggShares>) {
    const addressed = new Set(reply.to);
    if (
      reply.to.length !== roster.length - 1 ||
      addressed.size !== reply.to.length ||
      addressed.has(from) ||
      !reply.to.every((to) => peers.has(to)) ||
      reply.ciphertexts.length !== reply.to.length * SECAGG_ENVELOPE_BYTES
    ) {
      invalid(from, 'share envelopes that do not match the roster');
      shared.replies.delete(from);
      continue;
    }
    const boxes = unpackBytes(reply.ciphertexts, SECAGG_ENVELOPE_BYTES, reply.to.length, `client ${from}'s share envelopes`);
    timed(() => server.routeShares(reply.to.map((to, i) => ({ from, to, ciphertext: boxes[i] }))));
  }

  // Round 2: masked inputs, from those who shared keys.
  const sharers = inRoster.filter((slot) => shared.replies.has(slot.id!));
  if (sharers.length < threshold) fail(`only ${sharers.length} clients shared keys but the threshold is ${threshold}`);
  const masked = await ask(
    link,
    round,
    sharers,
    'sa-masked',
    'send its masked input',
    stepMs,
    (slot, task) => {
      const inbox = server.inboxFor(slot.id!).filter((e) => shared.replies.has(e.from));
      return { type: 'sa-inbox', task, from: inbox.map((e) => e.from), ciphertexts: packBytes(inbox.map((e) => e.ciphertext)) };
    },
    tally,
    signal,
    lostIfFailed,
  );
  failures.push(...masked.failures);
  for (const [index, reply] of masked.replies as Map<number, SecAggMasked>) {
    if (reply.masked.length !== plan.width) {
      invalid(index, `a masked input of ${reply.masked.length} words where ${plan.width} were expected`);
      masked.replies.delete(index);
      continue;
    }
    timed(() => server.collectMaskedInput(index, reply.masked));
  }

  // Round 3: unmasking, asked of the survivors. Only clients that shared keys can be unmasked for: a client that dropped
  // before sharing left no shares behind, and nobody masked against it (SecAggClient masks only with peers whose shares it holds).
  const survivorIds = sharers.map((slot) => slot.id!).filter((id) => masked.replies.has(id));
  const unmaskRequest = { survivors: survivorIds, dropped: sharers.map((slot) => slot.id!).filter((id) => !masked.replies.has(id)) };
  if (survivorIds.length < threshold) fail(`only ${survivorIds.length} clients sent masked inputs but the threshold is ${threshold}`);
  const survivorsSlots = unmaskRequest.survivors.map((index) => link.registry.byClientId(index)!);
  /** Survivors that failed the unmasking step, with why: counted in the sum, so clients of the round, not failures. */
  const leftAfterInput = new Map<number, string>();
  const unmasked = await ask(
    link,
    round,
    survivorsSlots,
    'sa-unmasking',
    'answer the unmasking request',
    stepMs,
    (_slot, task) => ({ type: 'sa-unmask', task, survivors: unmaskRequest.survivors, dropped: unmaskRequest.dropped }),
    tally,
    signal,
    // Its masked input is already in the sum: a survivor that leaves now stays done, its departure noted.
    (slot, answer) => {
      if (!answer.ok) leftAfterInput.set(slot.id!, answer.failure.message);
      if (!answer.ok && slot.current?.ok) slot.current = { ...slot.current, note: afterInputNote(answer.failure.message) };
      publish?.();
    },
  );
  // Only complete answers are used: a share missing or malformed would otherwise fail the reconstruction for everyone.
  const answers = [...(unmasked.replies as Map<number, SecAggUnmasking>)].flatMap(([from, r]) => {
    try {
      const answer = {
        from,
        sSeedShares: sharesFrom(r.sOwners, r.sShares, 's-seed shares'),
        selfMaskShares: sharesFrom(r.bOwners, r.bShares, 'self-mask shares'),
      };
      if (unmaskRequest.dropped.every((i) => answer.sSeedShares.has(i)) && unmaskRequest.survivors.every((i) => answer.selfMaskShares.has(i))) return [answer];
    } catch {
      /* malformed: recorded below */
    }
    leftAfterInput.set(from, `client ${from} ('${link.registry.byClientId(from)?.name}') sent an incomplete or malformed unmasking answer`);
    return [];
  });
  if (answers.length < threshold) fail(`only ${answers.length} clients answered the unmasking request but the threshold is ${threshold}`);
  const words = timed(() => server.unmaskSum(unmaskRequest, answers));
  if (signal?.aborted) throw new RunAbortedError(`the run was aborted during round ${round}`);

  const survivors = unmaskRequest.survivors;
  // Every failure is a client outside the sum: a survivor's trouble after its masked input went to leftAfterInput.
  const distinctFailures = [...new Map(failures.map((f) => [f.clientId, f])).values()];
  const ends = new Map<number, TaskEnd>(distinctFailures.map((f) => [f.clientId, { ok: false, reason: f.reason, message: f.message }]));
  for (const id of survivors) {
    const left = leftAfterInput.get(id);
    ends.set(id, { ok: true, trainMs: keyed.replies.get(id)?.ms ?? 0, ...(left ? { note: afterInputNote(left) } : {}) });
  }
  return {
    plan,
    words,
    sum: decodeFixedPoint(words, scale),
    survivors,
    clients: [...keyed.replies].map(([clientId, r]: [number, SecAggKeys]) => ({
      clientId,
      numExamples: r.numExamples,
      trainLoss: r.trainLoss,
      trainAccuracy: r.trainAccuracy,
      backend: r.backend,
      ms: r.ms,
    })),
    // A client that failed a later step before its masked input is a dropout of the protocol, recorded once per client.
    failures: distinctFailures,
    droppedAfterKeys: unmaskRequest.dropped,
    droppedAfterInput: survivors.filter((id) => leftAfterInput.has(id)),
    bytesDown: tally.down,
    bytesUp: tally.up,
    clientStates: recordClientStates(link, ends),
    ms: performance.now() - protocolStarted,
    serverMs,
  };
}

function afterInputNote(why: string): string {
  return `its masked input is in the sum; then: ${why}`;
}
