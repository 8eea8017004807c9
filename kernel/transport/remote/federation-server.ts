/**
 * The notebook's side of a federation across machines: a ROUTER socket under
 * CurveZMQ (the server's key pinned by clients, client keys admitted by a ZAP
 * allow-list), one reader loop and one send queue, the client registry, the
 * open tasks and a heartbeat watchdog. `listen` resolves once `minClients`
 * have joined, with a handle any algorithm's `next`/`run` takes as `clients`.
 */
import { randomBytes } from 'node:crypto';
import { readLoop } from '../../protocol/channels';
import { getAmbientSignal } from '../../simulation/run-events';
import type { ClientTransport, TrainCohortRequest } from '../client-transport';
import { secureTrain, weightedMeanPlanner, type SecureTrainOutcome, type SecureTrainSettings } from './secure-round';
import { trainSecurely } from './secure-transport';
import { ClientRegistry, type ClientSlot } from './client-registry';
import { countClientStates, type ClientState, type ClientStateEntry } from '../../contract/client-states';
import { liveClientEntry, type Refusal } from './client-states';
import { openCurveRouter, readServerKeys, type FederationKeys } from './curve-router';
import { createJoinWait } from './join-wait';
import { watchSilence } from './silence-watchdog';
import { verifyHelloProof, z85Decode } from './keys';
import { createRemoteTransport, liveClientStates } from './remote-transport';
import { TaskBook, type RejectedMessage } from './task-book';
import { DEFAULT_MAX_MESSAGE_BYTES, decodeClientMessage, encodeMessage, WireError, type ServerMessage } from './wire';

export type { FederationKeys } from './curve-router';

export interface ListenOptions {
  readonly port: number;
  /** Default '127.0.0.1': nothing listens beyond this machine unless asked ('0.0.0.0' for every interface). */
  readonly host?: string;
  /** `listen` resolves once this many clients have joined. */
  readonly minClients: number;
  readonly keys: FederationKeys;
  /** A client's deadline per task when the algorithm sets no clientDeadlineMs (default 10 minutes). */
  readonly deadlineMs?: number;
  /** A client silent this long is dropped (default 10 s; clients send a heartbeat every second). */
  readonly heartbeatTimeoutMs?: number;
  /** How long `listen` waits for minClients (default 10 minutes). */
  readonly joinTimeoutMs?: number;
  readonly maxMessageBytes?: number;
  /** Where join/leave lines go (default: console.error, which a notebook shows in the cell). */
  readonly log?: (line: string) => void;
  /** Called once the socket is bound, with its address (with port 0, the port the system chose): start clients from here. */
  readonly onListening?: (address: string) => void;
  /** Stops waiting for clients (and closes the socket); in a notebook, the cell's interrupt does this by default. */
  readonly signal?: AbortSignal;
}

export interface ClientDescription {
  readonly id: number | null;
  readonly name: string;
  /** Its state now: as in the last round's record (RoundMetrics.clientStates), unless it trains, left or came back since. */
  readonly state: ClientState;
  /** Its last round's entry (with its timings), when a round has recorded one. */
  readonly lastRound?: ClientStateEntry;
  readonly examples: number;
  readonly inputShape: readonly number[];
  readonly publicKey: string;
  readonly lastSeenMsAgo: number;
  readonly roundsTrained: number;
  readonly failures: number;
}

export interface FederationDescription {
  readonly address: string;
  readonly publicKey: string;
  readonly clients: ClientDescription[];
  /** How many clients are in each state now (display order; refused: connections turned away since the last round). */
  readonly counts: ReadonlyArray<{ readonly state: ClientState; readonly count: number }>;
  /** Connections turned away: by the allow-list (their keys), or a hello refused (a key it does not hold, a name taken by another key). */
  readonly refused: readonly { readonly at: string; readonly publicKey: string; readonly address: string; readonly name?: string; readonly reason: string }[];
  /** Messages turned away: malformed, late, replayed, forged. */
  readonly rejected: readonly RejectedMessage[];
}

/** The federation's transport, plus a training round under secure aggregation across the client processes. */
export interface RemoteTransport extends ClientTransport {
  /** Trains the cohort; the server receives only masked updates and recovers Σ α_i·Δ_i over the survivors. */
  secureTrain(request: TrainCohortRequest, settings: SecureTrainSettings, signal?: AbortSignal): Promise<SecureTrainOutcome>;
}

export interface Federation {
  readonly transport: RemoteTransport;
  /** Clients known to the federation (connected or not); their ids are 0 .. numClients − 1. */
  readonly numClients: number;
  readonly address: string;
  readonly publicKey: string;
  describe(): FederationDescription;
  /** Resolves once `count` clients are connected; rejects after `timeoutMs` or when `signal` (default: the cell's interrupt) aborts. */
  waitForClients(count: number, timeoutMs?: number, signal?: AbortSignal): Promise<void>;
  /** Tells every client the federation is over and closes the socket. */
  close(): Promise<void>;
}

export async function listen(options: ListenOptions): Promise<Federation> {
  const { serverKeys, allowed } = readServerKeys(options.keys);
  // console.error, not process.stderr: in a notebook the kernel shows it in the cell's output.
  const log = options.log ?? ((line: string) => console.error(`fedbook federation: ${line}`));
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 10_000;
  const registry = new ClientRegistry();
  const tasks = new TaskBook();
  const refused: Array<Refusal & { address: string }> = [];
  const refuse = (refusal: Refusal & { address: string }): void => {
    refused.push(refusal);
    if (refused.length > 200) refused.shift();
  };
  let currentRound = 0;
  let closed = false;

  const curve = await openCurveRouter({
    serverKeys,
    allowed,
    host: options.host ?? '127.0.0.1',
    port: options.port,
    maxMessageBytes,
    caller: 'fed.federation.listen',
    onRefused: (publicKey, address) => {
      refuse({ at: Date.now(), publicKey, address, reason: 'key not on the allow-list' });
      log(`refused a connection from ${address}: key ${publicKey} is not on the allow-list`);
    },
  });
  const { router, address } = curve;

  const sendTo = (slot: ClientSlot, message: ServerMessage, round: number): number => {
    const routing = slot.routing;
    if (routing === undefined) return 0;
    const frames = encodeMessage(message, round, { maxMessageBytes });
    curve.send(routing, frames, (error) => {
      if (slot.routing === routing) clientGone(slot, `could not be reached (${(error as { code?: string }).code ?? error.message})`);
    });
    return frames.reduce((sum, frame) => sum + frame.length, 0);
  };
  const sendRaw = (routing: string, message: ServerMessage): void => curve.send(routing, encodeMessage(message, currentRound, { maxMessageBytes }));

  const clientGone = (slot: ClientSlot, why: string): void => {
    if (!slot.connected) return;
    registry.leave(slot);
    log(`client '${slot.name}'${slot.id === undefined ? '' : ` (id ${slot.id})`} left: ${why}`);
    tasks.failClient(slot.name, 'dropped', (clientId) => `client ${clientId} ('${slot.name}') ${why}`);
  };

  const joins = createJoinWait(() => registry.connected().length);
  const onFrames = (frames: Buffer[]): void => {
    const [routingFrame, ...body] = frames;
    const routing = routingFrame.toString('hex');
    const slot = registry.byRoutingId(routing);
    const bytes = body.reduce((sum, frame) => sum + frame.length, 0);
    let message;
    try {
      message = decodeClientMessage(body, { maxMessageBytes });
    } catch (error) {
      tasks.reject(slot?.name ?? `connection ${routing.slice(0, 8)}`, currentRound, `malformed message: ${(error as Error).message}`);
      if (error instanceof WireError && /protocol version/.test(error.message)) sendRaw(routing, { type: 'refuse', reason: error.message });
      if (error instanceof WireError && /unknown message type "worker-hello"/.test(error.message))
        sendRaw(routing, {
          type: 'refuse',
          reason: "this address is a federation of clients with their own data; 'fedbook worker' joins fed.federation.scaleOut",
        });
      return;
    }
    if (message.type === 'hello') {
      if (!allowed.has(z85Decode(message.publicKey).toString('hex')) || !verifyHelloProof(serverKeys, message.publicKey, message.name, message.proof)) {
        tasks.reject(message.name, message.round, 'hello with a key this client does not hold or that is not allowed');
        refuse({
          at: Date.now(),
          publicKey: message.publicKey,
          address: `connection ${routing.slice(0, 8)}`,
          name: message.name,
          reason: 'a hello with a key it does not hold or that is not allowed',
        });
        sendRaw(routing, { type: 'refuse', reason: 'the hello does not prove a key on the allow-list' });
        return;
      }
      if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(message.name)) {
        refuse({
          at: Date.now(),
          publicKey: message.publicKey,
          address: `connection ${routing.slice(0, 8)}`,
          reason: 'a name that is not 1–64 letters, digits, _ . @ -',
        });
        sendRaw(routing, { type: 'refuse', reason: `client name '${message.name.slice(0, 80)}' must be 1–64 letters, digits, '_', '.', '@' or '-'` });
        return;
      }
      const joined = registry.join(routing, message, Date.now());
      if (!joined.ok) {
        tasks.reject(message.name, message.round, joined.reason);
        refuse({ at: Date.now(), publicKey: message.publicKey, address: `connection ${routing.slice(0, 8)}`, name: message.name, reason: joined.reason });
        sendRaw(routing, { type: 'refuse', reason: joined.reason });
        return;
      }
      if (joined.replaced) {
        tasks.failClient(message.name, 'dropped', (clientId) => `client ${clientId} ('${message.name}') reconnected; its open task was dropped`);
        // The newest connection of a name wins; an older one still running is told to stop rather than left to flap.
        sendRaw(joined.replaced, { type: 'refuse', reason: `another process joined as '${message.name}'; this one is no longer part of the federation` });
      }
      log(
        `client '${message.name}' joined (${message.examples} examples of shape [${message.inputShape}]${joined.slot.id === undefined ? '' : `, id ${joined.slot.id}`})`,
      );
      sendTo(joined.slot, { type: 'welcome', name: message.name }, currentRound);
      joins.joined();
      return;
    }
    if (!slot) {
      tasks.reject(`connection ${routing.slice(0, 8)}`, message.round, `${message.type} from a connection that has not joined (or was dropped)`);
      if (message.type !== 'bye')
        sendRaw(routing, { type: 'hello-again', reason: 'this server does not know this connection (it dropped the client as silent, or restarted)' });
      return;
    }
    slot.lastSeen = Date.now();
    switch (message.type) {
      case 'heartbeat':
        sendTo(slot, { type: 'heartbeat' }, currentRound);
        return;
      case 'bye':
        clientGone(slot, `said goodbye (${message.reason})`);
        return;
      case 'train-result':
      case 'evaluate-result':
      case 'task-failed':
      case 'sa-keys':
      case 'sa-shares':
      case 'sa-masked':
      case 'sa-unmasking': {
        const verdict = tasks.answer(slot.name, message.round, message, bytes);
        if (!verdict.accepted)
          sendTo(slot, { type: 'notice', message: `the server turned away your ${message.type} for round ${message.round}: ${verdict.reason}` }, currentRound);
        return;
      }
    }
  };
  void readLoop(router, onFrames, (error) => log(`reader: ${error.message}`));

  const stopWatchdog = watchSilence(() => registry.connected(), heartbeatTimeoutMs, clientGone);

  const link = {
    registry,
    tasks,
    send: (slot: ClientSlot, message: ServerMessage, round: number) => sendTo(slot, message, round),
    newTaskId: () => randomBytes(12).toString('hex'),
    // The round now running, not the highest seen: a later run over the same federation starts again at round 1.
    // Tasks carry their own round and id; this only stamps the server's own messages (welcome, heartbeat, notice).
    setRound: (round: number) => {
      currentRound = round;
    },
    defaultDeadlineMs: options.deadlineMs ?? 10 * 60_000,
    refusalsSince: (since: number) => refused.filter((refusal) => refusal.at > since),
  };
  const plain = createRemoteTransport(link);
  const transport: RemoteTransport = {
    ...plain,
    get numClients() {
      return registry.numClients;
    },
    // A strategy whose sum is secure gets only the recovered sum: the clients encode and mask their own updates.
    train: (request, signal) => (request.secureSum ? trainSecurely(link, { ...request, secureSum: request.secureSum }, signal) : plain.train(request, signal)),
    secureTrain: (request, settings, signal) => secureTrain(link, request, weightedMeanPlanner(settings, request.weights.length), settings, signal),
  };

  const waitForClients = (count: number, timeoutMs = options.joinTimeoutMs ?? 10 * 60_000, signal = getAmbientSignal()): Promise<void> =>
    joins.waitFor(count, timeoutMs, signal, {
      timedOut: () => {
        const present = registry.connected().map((slot) => `'${slot.name}'`);
        return (
          `only ${present.length} of ${count} clients joined ${address} within ${timeoutMs / 1000} s` +
          `${present.length ? ` (connected: ${present.join(', ')})` : ''}${refused.length ? `; ${refused.length} connection(s) refused by the allow-list` : ''}`
        );
      },
      aborted: () => `stopped waiting for clients at ${address} (${registry.connected().length} of ${count} had joined)`,
    });

  const close = async (): Promise<void> => {
    if (closed) return;
    for (const slot of registry.connected()) sendTo(slot, { type: 'shutdown', reason: 'the server closed the federation' }, currentRound);
    tasks.failTasks(tasks.openTasks(), 'dropped', 'the federation was closed');
    closed = true;
    stopWatchdog();
    await curve.close();
  };

  try {
    options.onListening?.(address);
    await waitForClients(options.minClients, undefined, options.signal ?? getAmbientSignal());
  } catch (error) {
    await close();
    throw error;
  }
  registry.assignIds();

  return {
    transport,
    get numClients() {
      return registry.numClients;
    },
    address,
    publicKey: serverKeys.publicKey,
    describe: () => {
      const now = Date.now();
      const since = registry.roundEndedAt;
      const clients = registry.all().map((slot): ClientDescription => {
        const live = liveClientEntry(slot, slot.last, slot.trainingSince !== undefined, since, now);
        return {
          id: slot.id ?? null,
          name: slot.name,
          state: live.state,
          ...(slot.last ? { lastRound: slot.last } : {}),
          examples: slot.examples,
          inputShape: slot.inputShape,
          publicKey: slot.publicKey,
          lastSeenMsAgo: now - slot.lastSeen,
          roundsTrained: slot.roundsTrained,
          failures: slot.failures,
        };
      });
      return {
        address,
        publicKey: serverKeys.publicKey,
        counts: countClientStates(liveClientStates(link, now)),
        refused: refused.map(({ at, ...refusal }) => ({ ...refusal, at: new Date(at).toISOString() })),
        rejected: [...tasks.rejected],
        clients,
      };
    },
    waitForClients,
    close,
  };
}
