/**
 * `fedbook worker`: lends this machine's cores to a notebook's simulation.
 * Connects under CurveZMQ (pinning the server's key, proving its own), then
 * trains whatever simulated clients the server sends, several at once on its
 * own Piscina pool with the same worker code as the notebook's, until the
 * server ends the scale-out. It holds no data of its own: datasets come by
 * hash from its cache, by name when built in, or once from the server.
 */
import { availableParallelism, hostname } from 'node:os';
import { createClientPool, trainOne } from '../in-process/client-pool';
import { broadcastCopy, sharedDataOf } from '../in-process/shared-data';
import { checkServerAddress, openCurveDealer } from '../remote/curve-dealer';
import { startServerSession } from '../remote/server-session';
import { helloProof, readKeyPair, readPublicKey, type KeyPair } from '../remote/keys';
import type { Envelope } from '../remote/wire';
import { DatasetCache, defaultCacheDir } from './dataset-cache';
import { decodeScaleOutServerMessage, encodeScaleOut, type SimTrain, type WorkerMessage } from './scale-out-wire';
import { createWorkerDatasets } from './worker-datasets';

export interface ScaleOutWorkerOptions {
  readonly server: string;
  /** The server's public key (Z85 or a .pub file): pinned. */
  readonly serverKey: string;
  /** This worker's key pair or .key file (its public key must be on the server's allow-list). */
  readonly key: KeyPair | string;
  /** Default: hostname-pid. */
  readonly name?: string;
  /** Clients trained at once (default: one per core). */
  readonly threads?: number;
  /** Where received datasets are kept (default $FEDBOOK_CACHE, else ~/.cache/fedbook). */
  readonly cacheDir?: string;
  readonly connectTimeoutMs?: number;
  readonly serverTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface ScaleOutWorker {
  readonly name: string;
  readonly done: Promise<{ clients: number; reason: string }>;
  stop(): Promise<void>;
}

export async function startWorker(options: ScaleOutWorkerOptions): Promise<ScaleOutWorker> {
  const pair = readKeyPair(options.key, 'key');
  const serverKey = readPublicKey(options.serverKey, 'serverKey');
  checkServerAddress(options.server);
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const threads = options.threads ?? availableParallelism();
  const log = options.log ?? ((line: string) => process.stderr.write(`fedbook worker ${name}: ${line}\n`));
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const serverTimeoutMs = options.serverTimeoutMs ?? 60_000;

  const link = openCurveDealer(options.server, serverKey, pair);

  const send = (message: WorkerMessage, round = 0): void =>
    link.send(encodeScaleOut(message, round), (error) => (session.joined ? log(`send failed: ${error.message}`) : undefined));

  const pool = createClientPool(threads);
  const cache = new DatasetCache(options.cacheDir ?? defaultCacheDir());
  const datasets = createWorkerDatasets(cache, (hash) => send({ type: 'need-dataset', hash }), log);
  const abortFlags = new Map<string, Int32Array>();
  // The last few rounds' weights (two algorithms may share one scale-out), in shared memory: every client of a round reads one copy.
  const roundWeights = new Map<string, Float32Array>();
  let clients = 0;
  let running = Promise.resolve();

  const train = async (message: Envelope<SimTrain>): Promise<void> => {
    const abortFlag = new Int32Array(new SharedArrayBuffer(4));
    abortFlags.set(message.task, abortFlag);
    try {
      const globalWeights = roundWeights.get(message.weightsId);
      if (!globalWeights) throw new Error(`the round's weights (${message.weightsId.slice(0, 12)}) did not arrive before the task`);
      const dataset = await datasets.get(message.dataset);
      const result = await trainOne(pool, {
        backend: message.backend,
        spec: message.spec,
        data: sharedDataOf(dataset),
        clientId: message.clientId,
        indices: message.indices,
        globalWeights,
        config: message.config,
        seed: message.seed,
        abortFlag,
        deadlineMs: message.deadlineMs,
      });
      const { status, delta, numExamples, trainLoss, trainAccuracy, steps, backend, path, ms } = result;
      send({ type: 'train-result', task: message.task, status, delta, numExamples, trainLoss, trainAccuracy, steps, backend, path, ms }, message.round);
      if (status === 'ok') clients++;
      log(`round ${message.round}: client ${message.clientId} ${status === 'ok' ? `trained on ${numExamples} examples in ${ms} ms` : `stopped (${status})`}`);
    } catch (error) {
      send({ type: 'task-failed', task: message.task, message: (error as Error).message }, message.round);
      log(`round ${message.round}: client ${message.clientId} failed: ${(error as Error).message}`);
    } finally {
      abortFlags.delete(message.task);
    }
  };

  let lastHello = 0;
  const session = startServerSession({
    server: options.server,
    name,
    who: 'worker',
    listener: 'fed.federation.scaleOut',
    connectTimeoutMs,
    serverTimeoutMs,
    dealer: link,
    log,
    decode: decodeScaleOutServerMessage,
    beat: () => send({ type: 'heartbeat' }),
    onMessage: (message) => {
      switch (message.type) {
        case 'sim-train': {
          const task = train(message);
          running = running.then(() => task);
          return;
        }
        case 'round-weights':
          roundWeights.set(message.id, broadcastCopy(message.weights));
          if (roundWeights.size > 4) roundWeights.delete(roundWeights.keys().next().value!);
          return;
        case 'dataset':
          datasets.receive(message);
          return;
        case 'no-dataset':
          datasets.unavailable(message);
          return;
        case 'cancel': {
          const flag = abortFlags.get(message.task);
          if (flag) Atomics.store(flag, 0, 1);
          return;
        }
        case 'hello-again':
          if (session.joined && Date.now() - lastHello > 1000) {
            log(`the server asks this worker to join again (${message.reason})`);
            sayHello();
          }
          return;
      }
    },
  });

  const teardown = async (bye?: string): Promise<void> => {
    await session.close(bye ? () => send({ type: 'bye', reason: bye }) : undefined);
    await pool.close();
  };

  const sayHello = (): void => {
    lastHello = Date.now();
    send({ type: 'worker-hello', name, threads, publicKey: pair.publicKey, proof: helloProof(pair, serverKey, name) });
  };
  sayHello();
  await session.awaitWelcome(teardown);
  log(`joined ${options.server} as '${name}' with ${threads} thread(s); datasets cached in ${cache.dir}`);

  const done = session.finished.then(async (outcome) => {
    // Stop the clients in flight between two batches; a task still waiting for a dataset is not waited for.
    for (const flag of abortFlags.values()) Atomics.store(flag, 0, 1);
    await Promise.race([running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000))]);
    await teardown(outcome.ok ? undefined : 'lost the server');
    if (!outcome.ok) throw outcome.error;
    const { fromCache, byName, received } = datasets.counts;
    log(
      `the scale-out ended after ${clients} client(s) trained here (datasets: ${received} received, ${fromCache} from the cache, ${byName} by name): ${outcome.reason}`,
    );
    return { clients, reason: outcome.reason };
  });
  done.catch(() => undefined);
  return {
    name,
    done,
    async stop() {
      session.finish({ ok: true, reason: 'stopped by this worker' });
      send({ type: 'bye', reason: 'stopped' });
      await done.catch(() => undefined);
    },
  };
}
