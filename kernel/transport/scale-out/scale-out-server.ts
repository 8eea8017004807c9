/**
 * The notebook's side of a scale-out: a ROUTER socket under CurveZMQ (the
 * server's key pinned by workers, worker keys admitted by the ZAP allow-list,
 * a hello proving the key), one reader loop and one send queue, the workers
 * present, the open tasks, and the datasets a worker may ask for by hash.
 * What a round sends where is the scale-out transport's (scale-out-transport.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Dataset } from '../../data/dataset';
import { readLoop } from '../../protocol/channels';
import { getAmbientSignal } from '../../simulation/run-events';
import { openCurveRouter, readServerKeys, type FederationKeys } from '../remote/curve-router';
import { createJoinWait } from '../remote/join-wait';
import { watchSilence } from '../remote/silence-watchdog';
import { verifyHelloProof, z85Decode } from '../remote/keys';
import { TaskBook, type RejectedMessage } from '../remote/task-book';
import { DEFAULT_MAX_MESSAGE_BYTES, WireError } from '../remote/wire';
import type { WorkerCapacity } from './assignment';
import { WorkerRegistry, type WorkerSlot } from './worker-registry';
import { DatasetOffers } from './dataset-offers';
import { decodeWorkerMessage, encodeScaleOut, type DatasetRef, type ScaleOutServerMessage } from './scale-out-wire';

export interface ScaleOutOptions {
  readonly port: number;
  /** Default '127.0.0.1'; '0.0.0.0' to accept workers from other machines. */
  readonly host?: string;
  readonly keys: FederationKeys;
  /** `scaleOut` resolves once this many workers have joined (default 1; 0 resolves at once). */
  readonly minWorkers?: number;
  /** A worker silent this long is dropped and its clients retrain here (default 10 s; workers beat every second). */
  readonly heartbeatTimeoutMs?: number;
  /** How long `scaleOut` waits for minWorkers (default 10 minutes). */
  readonly joinTimeoutMs?: number;
  readonly maxMessageBytes?: number;
  readonly log?: (line: string) => void;
  readonly onListening?: (address: string) => void;
  readonly signal?: AbortSignal;
}

export interface ScaleOutDescription {
  readonly address: string;
  readonly publicKey: string;
  readonly workers: readonly {
    readonly name: string;
    readonly state: 'connected' | 'gone';
    readonly threads: number;
    readonly clientsTrained: number;
    readonly failures: number;
    readonly datasetsSent: number;
    readonly lastSeenMsAgo: number;
  }[];
  /** Datasets sent as bytes (a worker asks only when its cache lacks the hash and cannot load it by name). */
  readonly datasetsSent: number;
  readonly datasetBytesSent: number;
  readonly refused: readonly { readonly at: string; readonly publicKey: string; readonly address: string }[];
  readonly rejected: readonly RejectedMessage[];
}

/** What the scale-out transport needs from the server. */
export interface ScaleOutLink {
  readonly tasks: TaskBook;
  connectedWorkers(): WorkerCapacity[];
  worker(name: string): WorkerSlot | undefined;
  /** Sends to a connected worker; returns the bytes sent (0 when it is gone). */
  send(name: string, message: ScaleOutServerMessage, round: number): number;
  newTaskId(): string;
  /** Makes a dataset available to workers by its hash. */
  offer(dataset: Dataset): DatasetRef;
}

/** A handle for `fed.fedAvg({ ..., scaleOut })`: workers lending their cores to this notebook's simulations. */
export interface ScaleOut {
  /** Where workers connect (with port 0, the port the system chose). */
  readonly address: string;
  /** The server's public key: workers pin it (--server-key). */
  readonly publicKey: string;
  /** Workers (connected or gone, threads, clients trained), datasets sent as bytes, refused keys, rejected messages. */
  describe(): ScaleOutDescription;
  /** Resolves once `count` workers are connected; rejects after `timeoutMs` or when `signal` (default: the cell's interrupt) aborts. */
  waitForWorkers(count: number, timeoutMs?: number, signal?: AbortSignal): Promise<void>;
  /** Tells the workers to exit and closes the socket. */
  close(): Promise<void>;
}

/** The transport's side of each handle, kept off the handle that cells see and print. */
const links = new WeakMap<object, ScaleOutLink>();

/** The link behind a handle of fed.federation.scaleOut, or undefined for anything else. */
export function linkOf(handle: unknown): ScaleOutLink | undefined {
  return handle !== null && typeof handle === 'object' ? links.get(handle) : undefined;
}

export async function scaleOut(options: ScaleOutOptions): Promise<ScaleOut> {
  const { serverKeys, allowed } = readServerKeys(options.keys);
  const log = options.log ?? ((line: string) => console.error(`fedbook scale-out: ${line}`));
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 10_000;
  const workers = new WorkerRegistry();
  const datasets = new DatasetOffers();
  const tasks = new TaskBook();
  const refused: { at: string; publicKey: string; address: string }[] = [];
  let round = 0;
  let closed = false;

  const curve = await openCurveRouter({
    serverKeys,
    allowed,
    host: options.host ?? '127.0.0.1',
    port: options.port,
    maxMessageBytes,
    caller: 'fed.federation.scaleOut',
    onRefused: (publicKey, address) => {
      refused.push({ at: new Date().toISOString(), publicKey, address });
      if (refused.length > 200) refused.shift();
      log(`refused a connection from ${address}: key ${publicKey} is not on the allow-list`);
    },
  });
  const { router, address } = curve;

  const sendRouted = (routing: string, message: ScaleOutServerMessage, onError?: (error: Error) => void, messageRound = round): number => {
    const frames = encodeScaleOut(message, messageRound, maxMessageBytes);
    curve.send(routing, frames, onError);
    return frames.reduce((sum, frame) => sum + frame.length, 0);
  };
  const send = (name: string, message: ScaleOutServerMessage, messageRound: number): number => {
    const slot = workers.byWorkerName(name);
    const routing = slot?.routing;
    if (!slot || routing === undefined) return 0;
    round = messageRound;
    // A task's round goes in its envelope (the worker answers with it): simulations started afresh count rounds from 1 again.
    return sendRouted(
      routing,
      message,
      (error) => {
        if (slot.routing === routing) workerGone(slot, `could not be reached (${(error as { code?: string }).code ?? error.message})`);
      },
      messageRound,
    );
  };

  const workerGone = (slot: WorkerSlot, why: string): void => {
    if (!workers.leave(slot)) return;
    log(`worker '${slot.name}' left: ${why}`);
    tasks.failClient(slot.name, 'dropped', (clientId) => `client ${clientId} was training on worker '${slot.name}', which ${why}`);
  };

  const joins = createJoinWait(() => workers.connected().length);
  const onFrames = (frames: Buffer[]): void => {
    const [routingFrame, ...body] = frames;
    const routing = routingFrame.toString('hex');
    const slot = workers.byRoutingId(routing);
    let message;
    try {
      message = decodeWorkerMessage(body, maxMessageBytes);
    } catch (error) {
      tasks.reject(slot?.name ?? `connection ${routing.slice(0, 8)}`, round, `malformed message: ${(error as Error).message}`);
      if (error instanceof WireError && /unknown message type "hello"/.test(error.message))
        sendRouted(routing, { type: 'refuse', reason: "this address is a scale-out server: it takes 'fedbook worker' processes, not clients with data" });
      else if (error instanceof WireError && /protocol version/.test(error.message)) sendRouted(routing, { type: 'refuse', reason: error.message });
      return;
    }
    if (message.type === 'worker-hello') {
      const proven = allowed.has(z85Decode(message.publicKey).toString('hex')) && verifyHelloProof(serverKeys, message.publicKey, message.name, message.proof);
      const joined = proven ? workers.join(routing, message, Date.now()) : { ok: false as const, reason: 'the hello does not prove a key on the allow-list' };
      if (!joined.ok) {
        tasks.reject(message.name, message.round, joined.reason);
        sendRouted(routing, { type: 'refuse', reason: joined.reason });
        return;
      }
      if (joined.replaced !== undefined) {
        tasks.failClient(
          message.name,
          'dropped',
          (clientId) => `client ${clientId} was training on worker '${message.name}', which was replaced by a new process`,
        );
        sendRouted(joined.replaced, { type: 'refuse', reason: `another process joined as '${message.name}'; this one is no longer part of the scale-out` });
      }
      log(`worker '${message.name}' joined with ${message.threads} thread(s)`);
      sendRouted(routing, { type: 'welcome', name: message.name });
      joins.joined();
      return;
    }
    if (!slot) {
      tasks.reject(`connection ${routing.slice(0, 8)}`, message.round, `${message.type} from a connection that has not joined (or was dropped)`);
      if (message.type !== 'bye')
        sendRouted(routing, { type: 'hello-again', reason: 'this server does not know this connection (it dropped the worker as silent, or restarted)' });
      return;
    }
    slot.lastSeen = Date.now();
    switch (message.type) {
      case 'heartbeat':
        sendRouted(routing, { type: 'heartbeat' });
        return;
      case 'bye':
        workerGone(slot, `said goodbye (${message.reason})`);
        return;
      case 'need-dataset': {
        const outcome = datasets.answer(message.hash, (reply) => sendRouted(routing, reply));
        if (outcome.sent) {
          slot.datasetsSent++;
          log(`sent dataset '${outcome.name}' (${(outcome.bytes / 1e6).toFixed(1)} MB, hash ${message.hash.slice(0, 12)}) to worker '${slot.name}'`);
        } else log(`worker '${slot.name}' asked for dataset ${message.hash.slice(0, 12)}: ${outcome.reason}`);
        return;
      }
      case 'train-result':
      case 'task-failed': {
        const verdict = tasks.answer(
          slot.name,
          message.round,
          message,
          body.reduce((sum, frame) => sum + frame.length, 0),
        );
        if (!verdict.accepted)
          sendRouted(routing, { type: 'notice', message: `the server turned away your ${message.type} for round ${message.round}: ${verdict.reason}` });
        return;
      }
    }
  };
  void readLoop(router, onFrames, (error) => log(`reader: ${error.message}`));

  const stopWatchdog = watchSilence(() => workers.connected(), heartbeatTimeoutMs, workerGone);

  const connected = (): WorkerSlot[] => workers.connected();
  const link: ScaleOutLink = {
    tasks,
    connectedWorkers: () => workers.capacities(),
    worker: (name) => workers.byWorkerName(name),
    send,
    newTaskId: () => randomBytes(12).toString('hex'),
    offer: (dataset) => datasets.offer(dataset),
  };

  const waitForWorkers = (count: number, timeoutMs = options.joinTimeoutMs ?? 10 * 60_000, signal = getAmbientSignal()): Promise<void> =>
    joins.waitFor(count, timeoutMs, signal, {
      timedOut: () =>
        `only ${connected().length} of ${count} workers joined ${address} within ${timeoutMs / 1000} s${refused.length ? `; ${refused.length} connection(s) refused by the allow-list` : ''}`,
      aborted: () => `stopped waiting for workers at ${address} (${connected().length} of ${count} had joined)`,
    });

  const close = async (): Promise<void> => {
    if (closed) return;
    for (const slot of connected()) send(slot.name, { type: 'shutdown', reason: 'the server closed the scale-out' }, round);
    tasks.failTasks(tasks.openTasks(), 'dropped', 'the scale-out was closed');
    closed = true;
    stopWatchdog();
    await curve.close();
  };

  try {
    options.onListening?.(address);
    await waitForWorkers(options.minWorkers ?? 1, undefined, options.signal ?? getAmbientSignal());
  } catch (error) {
    await close();
    throw error;
  }

  const handle: ScaleOut = {
    address,
    publicKey: serverKeys.publicKey,
    describe: () => ({
      address,
      publicKey: serverKeys.publicKey,
      workers: workers.all().map((slot) => ({
        name: slot.name,
        state: slot.connected ? 'connected' : 'gone',
        threads: slot.threads,
        clientsTrained: slot.clientsTrained,
        failures: slot.failures,
        datasetsSent: slot.datasetsSent,
        lastSeenMsAgo: Date.now() - slot.lastSeen,
      })),
      datasetsSent: datasets.datasetsSent,
      datasetBytesSent: datasets.bytesSent,
      refused: [...refused],
      rejected: [...tasks.rejected],
    }),
    waitForWorkers,
    close,
  };
  links.set(handle, link);
  return handle;
}
