/**
 * Who is in the federation: one slot per client name, with a stable client id.
 * The clients present when the federation first fills get ids in name order
 * (so a federation of the same names always numbers them the same way, and a
 * simulation of the same split lines up with it); a client joining later gets
 * the next id; a client that leaves keeps its slot and id and can come back
 * under the same name with the same key.
 */
import type { ClientStateEntry } from '../../contract/client-states';
import type { TaskEnd } from './client-states';

export interface ClientSlot {
  /** Undefined until ids are assigned (when the federation first fills). */
  id?: number;
  readonly name: string;
  readonly publicKey: string;
  examples: number;
  inputShape: readonly number[];
  numClasses: number;
  /** ZeroMQ routing id of the live connection, when connected. */
  routing?: string;
  connected: boolean;
  joinedAt: number;
  lastSeen: number;
  roundsTrained: number;
  failures: number;
  /** When it last came back after leaving, and when it last left (Date.now()). */
  rejoinedAt?: number;
  leftAt?: number;
  /** When its open train task was sent; undefined when it has none. */
  trainingSince?: number;
  /** Its entry in the last round that recorded client states. */
  last?: ClientStateEntry;
  /** How its train task in the round still running ended (cleared when the round records its states). */
  current?: TaskEnd;
}

export type JoinResult = { readonly ok: true; readonly slot: ClientSlot; readonly replaced?: string } | { readonly ok: false; readonly reason: string };

export class ClientRegistry {
  /** When the last round that recorded client states ended (0: none has). */
  roundEndedAt = 0;
  private readonly byName = new Map<string, ClientSlot>();
  private readonly byRouting = new Map<string, ClientSlot>();
  private readonly byId: ClientSlot[] = [];
  private numbered = false;

  get numClients(): number {
    return this.byId.length;
  }

  /** A hello from `routing`: a new slot, or the old slot of a client coming back. */
  join(
    routing: string,
    hello: { name: string; publicKey: string; examples: number; inputShape: readonly number[]; numClasses: number },
    now: number,
  ): JoinResult {
    const known = this.byName.get(hello.name);
    if (known && known.publicKey !== hello.publicKey) {
      return { ok: false, reason: `the name '${hello.name}' belongs to another client key; choose another --name` };
    }
    const current = this.byRouting.get(routing);
    if (current && current.name !== hello.name) return { ok: false, reason: `this connection already joined as '${current.name}'` };
    let replaced: string | undefined;
    if (known?.routing !== undefined && known.routing !== routing) {
      replaced = known.routing;
      this.byRouting.delete(known.routing);
    }
    const slot: ClientSlot = known ?? {
      name: hello.name,
      publicKey: hello.publicKey,
      examples: 0,
      inputShape: [],
      numClasses: 0,
      connected: false,
      joinedAt: now,
      lastSeen: now,
      roundsTrained: 0,
      failures: 0,
    };
    // Back after leaving, or a new process taking over the name: either way it rejoined.
    if (known && (!known.connected || replaced !== undefined)) slot.rejoinedAt = now;
    Object.assign(slot, { examples: hello.examples, inputShape: [...hello.inputShape], numClasses: hello.numClasses, routing, connected: true, lastSeen: now });
    if (!known) this.byName.set(slot.name, slot);
    this.byRouting.set(routing, slot);
    if (this.numbered && slot.id === undefined) {
      slot.id = this.byId.length;
      this.byId.push(slot);
    }
    return { ok: true, slot, replaced };
  }

  /** Numbers the clients present now, in name order; later clients are numbered as they join. */
  assignIds(): void {
    if (this.numbered) return;
    this.numbered = true;
    const present = [...this.byName.values()].filter((slot) => slot.id === undefined).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const slot of present) {
      slot.id = this.byId.length;
      this.byId.push(slot);
    }
  }

  leave(slot: ClientSlot, now = Date.now()): void {
    slot.leftAt = now;
    if (slot.routing !== undefined) this.byRouting.delete(slot.routing);
    slot.routing = undefined;
    slot.connected = false;
  }

  byRoutingId(routing: string): ClientSlot | undefined {
    return this.byRouting.get(routing);
  }

  byClientId(id: number): ClientSlot | undefined {
    return this.byId[id];
  }

  connected(): ClientSlot[] {
    return [...this.byName.values()].filter((slot) => slot.connected);
  }

  all(): ClientSlot[] {
    return [...this.byName.values()].sort((a, b) => (a.id ?? Infinity) - (b.id ?? Infinity) || (a.name < b.name ? -1 : 1));
  }
}
