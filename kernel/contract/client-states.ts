/**
 * Where each client of a federation across machines stands: recorded with
 * every remote round (RoundMetrics.clientStates), returned by
 * `remote.describe()`, and shown under the round chart. Types, the display
 * order and pure readers.
 */
import type { RoundMetrics } from './round-metrics';

/**
 * A client's state, in display order: `connected` (joined, not in this round), `training` (a task is out;
 * only live), `done` (its update was accepted), `rejoined` (came back since the previous round, not in it),
 * `dropped` (the connection was lost, or it was sampled while gone), `timed-out` (past its deadline),
 * `failed` (an error or an invalid update), `refused` (turned away at the door: a key not on the allow-list,
 * a name taken by another key), `gone` (left before this round and not back).
 */
export const CLIENT_STATES = ['connected', 'training', 'done', 'rejoined', 'dropped', 'timed-out', 'failed', 'refused', 'gone'] as const;

export type ClientState = (typeof CLIENT_STATES)[number];

/** One client's state in a round (or now, in `remote.describe()`), with its timings. */
export interface ClientStateEntry {
  /** Its client id; null for a refused connection, which never got one. */
  id: number | null;
  /** Its name; for a connection refused before it said one, `key ` and the start of its public key. */
  name: string;
  state: ClientState;
  /** It came back (after leaving) since the previous round, whatever it did in this one. */
  rejoined?: boolean;
  /** Its own training time this round, ms (as it reported). */
  trainMs?: number;
  /** From sending its task to its answer or failure, ms. */
  roundTripMs?: number;
  /** Since the server last heard from it, ms, when the entry was made. */
  lastSeenMsAgo?: number;
  /** Why it dropped, timed out, failed or was refused. */
  reason?: string;
  /** What happened to a done client after its update counted (a secure-aggregation survivor that left before unmasking). */
  note?: string;
}

/** How many clients are in each state, in display order, states with none left out. */
export function countClientStates(entries: readonly Pick<ClientStateEntry, 'state'>[]): Array<{ state: ClientState; count: number }> {
  return CLIENT_STATES.map((state) => ({ state, count: entries.filter((entry) => entry.state === state).length })).filter(({ count }) => count > 0);
}

/** The newest round of a run that recorded client states (a federated run's), or undefined for a simulation. */
export function latestClientStates(rounds: readonly RoundMetrics[]): { round: number; clients: readonly ClientStateEntry[] } | undefined {
  for (let i = rounds.length - 1; i >= 0; i--) {
    const clients = rounds[i].clientStates;
    if (Array.isArray(clients)) return { round: rounds[i].round, clients };
  }
  return undefined;
}
