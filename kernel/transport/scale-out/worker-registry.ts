/**
 * The workers of a scale-out: one slot per worker name (bound to its key),
 * the connection it is on, its thread count and what it has done. A worker
 * that leaves keeps its slot and can come back under the same name and key;
 * a second process under a name takes the slot over from the first.
 */
import type { WorkerCapacity } from './assignment';

export interface WorkerSlot {
  readonly name: string;
  readonly publicKey: string;
  threads: number;
  /** ZeroMQ routing id of the live connection, when connected. */
  routing?: string;
  connected: boolean;
  lastSeen: number;
  clientsTrained: number;
  failures: number;
  datasetsSent: number;
}

export type WorkerJoin = { readonly ok: true; readonly slot: WorkerSlot; readonly replaced?: string } | { readonly ok: false; readonly reason: string };

export class WorkerRegistry {
  private readonly byName = new Map<string, WorkerSlot>();
  private readonly byRouting = new Map<string, WorkerSlot>();

  /** A hello (its key already proven) from `routing`: a new slot, a worker coming back, or a refusal that says why. */
  join(routing: string, hello: { name: string; publicKey: string; threads: number }, now: number): WorkerJoin {
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(hello.name))
      return { ok: false, reason: `worker name '${hello.name.slice(0, 80)}' must be 1–64 letters, digits, '_', '.', '@' or '-'` };
    if (!(hello.threads >= 1 && hello.threads <= 1024)) return { ok: false, reason: `threads must be 1..1024 (got ${hello.threads})` };
    const known = this.byName.get(hello.name);
    if (known && known.publicKey !== hello.publicKey)
      return { ok: false, reason: `the name '${hello.name}' belongs to another worker key; choose another --name` };
    const replaced = known?.connected && known.routing !== routing ? known.routing : undefined;
    if (replaced !== undefined) this.byRouting.delete(replaced);
    const slot: WorkerSlot = known ?? {
      name: hello.name,
      publicKey: hello.publicKey,
      threads: 1,
      connected: false,
      lastSeen: now,
      clientsTrained: 0,
      failures: 0,
      datasetsSent: 0,
    };
    Object.assign(slot, { threads: hello.threads, routing, connected: true, lastSeen: now });
    this.byName.set(slot.name, slot);
    this.byRouting.set(routing, slot);
    return { ok: true, slot, replaced };
  }

  /** Marks a worker gone; false when it already was. */
  leave(slot: WorkerSlot): boolean {
    if (!slot.connected) return false;
    if (slot.routing !== undefined) this.byRouting.delete(slot.routing);
    slot.routing = undefined;
    slot.connected = false;
    return true;
  }

  byRoutingId(routing: string): WorkerSlot | undefined {
    return this.byRouting.get(routing);
  }

  byWorkerName(name: string): WorkerSlot | undefined {
    return this.byName.get(name);
  }

  connected(): WorkerSlot[] {
    return [...this.byName.values()].filter((slot) => slot.connected);
  }

  all(): WorkerSlot[] {
    return [...this.byName.values()];
  }

  capacities(): WorkerCapacity[] {
    return this.connected().map(({ name, threads }) => ({ name, threads }));
  }
}
