/**
 * Per-client state kept by the server (SCAFFOLD's control variates now;
 * per-client accounting and personalisation later). Immutable: a round returns
 * a new store that shares the entries it did not change, so an old server state
 * still replays exactly.
 */

/** One client's named values. */
export type ClientStateEntry = Readonly<Record<string, Float32Array | number>>;

/** Client id (as a string key, so the store serialises as JSON) → its entry. */
export type ClientStateStore = Readonly<Record<string, ClientStateEntry>>;

export function readClientState(store: ClientStateStore | undefined, clientId: number): ClientStateEntry | undefined {
  return store?.[String(clientId)];
}

/** A new store with `changes` applied (entries replaced whole). */
export function writeClientState(store: ClientStateStore | undefined, changes: ReadonlyMap<number, ClientStateEntry>): ClientStateStore {
  const next: Record<string, ClientStateEntry> = { ...(store ?? {}) };
  for (const [clientId, entry] of changes) next[String(clientId)] = entry;
  return next;
}
