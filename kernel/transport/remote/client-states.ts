/**
 * Each client's state in a round and now, derived from what the server saw:
 * its slot (connected, when it left or came back), whether it was in the
 * round, and how its task ended. Pure: the transport and `describe()` call it
 * with the same facts, so a round's record and `remote.describe()` agree.
 */
import type { ClientState, ClientStateEntry } from '../../contract/client-states';
import type { ClientFailure } from '../../federated/types';
import type { TaskAnswer } from './task-book';
import type { TrainReply } from './wire';

/** What the states are derived from: a client slot's own fields. */
export interface SlotFacts {
  readonly id?: number;
  readonly name: string;
  readonly connected: boolean;
  readonly lastSeen: number;
  /** When it last came back after leaving (not its first join). */
  readonly rejoinedAt?: number;
  /** When it last left. */
  readonly leftAt?: number;
  /** How its task in the round still running ended, once it has (before the round's own checks of the update). */
  readonly current?: TaskEnd;
}

/** How a sampled client's task ended in a round. */
export type TaskEnd =
  | { readonly ok: true; readonly trainMs: number; readonly roundTripMs?: number; readonly note?: string }
  | { readonly ok: false; readonly reason: ClientFailure['reason']; readonly message: string; readonly roundTripMs?: number };

/** A connection turned away at the door. */
export interface Refusal {
  readonly at: number;
  readonly publicKey: string;
  readonly name?: string;
  readonly reason: string;
}

/** How a train task ended by its answer alone, while the round runs (the round's own checks of the update come later). */
export function answerEnd(answer: TaskAnswer, roundTripMs: number): TaskEnd {
  if (!answer.ok) return { ok: false, reason: answer.failure.reason, message: answer.failure.message, roundTripMs };
  const reply = answer.reply as TrainReply;
  if (reply.status === 'ok') return { ok: true, trainMs: reply.ms, roundTripMs };
  return { ok: false, reason: reply.status === 'timeout' ? 'timeout' : 'aborted', message: `stopped before finishing (${reply.status})`, roundTripMs };
}

/** The state a failure reason puts a client in. */
export function failureState(reason: ClientFailure['reason']): ClientState {
  return reason === 'dropped' ? 'dropped' : reason === 'timeout' ? 'timed-out' : 'failed';
}

/**
 * A client's entry for a round that began after `since` (the previous round's end; 0 for the first)
 * and ends at `now`: its task's end decides when it was sampled; otherwise it is gone, back or connected.
 */
export function roundClientEntry(slot: SlotFacts, end: TaskEnd | undefined, since: number, now: number): ClientStateEntry {
  const rejoined = slot.rejoinedAt !== undefined && slot.rejoinedAt > since;
  const state: ClientState = end ? (end.ok ? 'done' : failureState(end.reason)) : !slot.connected ? 'gone' : rejoined ? 'rejoined' : 'connected';
  return {
    id: slot.id ?? null,
    name: slot.name,
    state,
    ...(rejoined && state !== 'rejoined' ? { rejoined: true } : {}),
    ...(end?.ok ? { trainMs: end.trainMs } : {}),
    ...(end?.roundTripMs !== undefined ? { roundTripMs: end.roundTripMs } : {}),
    lastSeenMsAgo: Math.max(0, now - slot.lastSeen),
    ...(end && !end.ok ? { reason: end.message } : {}),
    ...(end?.ok && end.note ? { note: end.note } : {}),
  };
}

/** The entry of a connection refused at the door. */
export function refusalEntry(refusal: Refusal): ClientStateEntry {
  return { id: null, name: refusal.name ?? `key ${refusal.publicKey.slice(0, 8)}`, state: 'refused', reason: refusal.reason };
}

/**
 * A client's state now: its last round's entry, unless something happened since that round ended
 * (`since`): a task out makes it `training`, its answer in the round still running `done` (or how it
 * failed), leaving makes it `gone`, coming back makes it `rejoined`;
 * a client no longer connected keeps only a state that says how the round lost it.
 * Before any round, a client is `connected` or `gone`.
 */
export function liveClientEntry(slot: SlotFacts, last: ClientStateEntry | undefined, training: boolean, since: number, now: number): ClientStateEntry {
  const lastSeenMsAgo = Math.max(0, now - slot.lastSeen);
  const base = { id: slot.id ?? null, name: slot.name, lastSeenMsAgo };
  if (training && slot.connected) return { ...base, state: 'training' };
  if (slot.current) return roundClientEntry(slot, slot.current, since, now);
  if (!slot.connected) {
    // A round that lost it says how (dropped, timed out, failed) until the next round; otherwise it is gone.
    const leftSince = slot.leftAt !== undefined && slot.leftAt > since;
    const lostBy = last && !leftSince && (last.state === 'dropped' || last.state === 'timed-out' || last.state === 'failed');
    return lostBy ? { ...last, ...base } : { ...base, state: 'gone' };
  }
  // Connected after a round that lost it: it came back.
  if ((slot.rejoinedAt !== undefined && slot.rejoinedAt > since) || last?.state === 'gone' || last?.state === 'dropped') return { ...base, state: 'rejoined' };
  return last ? { ...last, ...base } : { ...base, state: 'connected' };
}
