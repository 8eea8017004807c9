/**
 * A client of a federation across machines: connects to the server under
 * CurveZMQ (pinning its key), proves its own key, announces its name, example
 * count and input shape, then trains and evaluates for as many rounds as the
 * server asks, one task at a time, until the server ends the federation.
 * Connection problems end in a message that says what to check, never a hang.
 */
import { hostname } from 'node:os';
import type { BackendPreference } from '../../contract/backend';
import type { Dataset } from '../../data/dataset';
import { createClientPool, type ClientPool } from '../in-process/client-pool';
import { createClientWork, TaskRefused } from './client-work';
import { checkServerAddress, openCurveDealer } from './curve-dealer';
import { startServerSession } from './server-session';
import { createSecureSteps } from './secure-steps';
import { helloProof, readKeyPair, readPublicKey, type KeyPair } from './keys';
import { decodeServerMessage, encodeMessage, type ClientMessage, type Envelope, type ServerMessage } from './wire';

export interface FederationClientOptions {
  /** The server's address, e.g. 'tcp://10.0.0.5:7000'. */
  readonly server: string;
  /** The server's public key (40 Z85 characters, or the path of its .pub file): pinned, so no other server can pose as it. */
  readonly serverKey: string;
  /** This client's key pair, or the path of its .key file (its public key must be on the server's allow-list). */
  readonly key: KeyPair | string;
  /** This client's own examples: they never leave this process. */
  readonly data: Dataset;
  /** Default: hostname-pid. */
  readonly name?: string;
  /** Default 'auto' (native tfjs-node if it loads, else WASM, else CPU). */
  readonly backend?: BackendPreference;
  /** How long to wait for the server's welcome (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** The server is considered gone after this long without a word (default 60 s). */
  readonly serverTimeoutMs?: number;
  /** Where progress lines go (default: stderr). */
  readonly log?: (line: string) => void;
}

export interface FederationClient {
  readonly name: string;
  /** Resolves when the server ends the federation or stop() is called; rejects when the server is lost. */
  readonly done: Promise<{ rounds: number; reason: string }>;
  stop(): Promise<void>;
}

export { FederationConnectError } from './server-session';

/** What a host of many clients shares between them (the bench runs a hundred clients in a few processes); injected, not an option. */
export interface ClientSeams {
  /** A pool the caller owns and closes; default: a one-thread pool of this client's own. */
  readonly pool?: ClientPool;
}

export async function startClient(options: FederationClientOptions, seams: ClientSeams = {}): Promise<FederationClient> {
  const pair = readKeyPair(options.key, 'key');
  const serverKey = readPublicKey(options.serverKey, 'serverKey');
  checkServerAddress(options.server);
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const log = options.log ?? ((line: string) => process.stderr.write(`fedbook client ${name}: ${line}\n`));
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const serverTimeoutMs = options.serverTimeoutMs ?? 60_000;
  const dataset = options.data;

  const link = openCurveDealer(options.server, serverKey, pair);

  let round = 0;
  const send = (message: ClientMessage): void =>
    link.send(encodeMessage(message, round), (error) => {
      // Before the welcome, a failed send is explained by the connection diagnosis instead.
      if (session.joined) log(`send failed: ${error.message}`);
    });

  // Started now: its thread loads while the handshake runs.
  const pool: ClientPool = seams.pool ?? createClientPool(1);
  const work = createClientWork(dataset, () => pool, options.backend ?? 'auto');
  let lastHello = 0;
  let rounds = 0;

  // One task at a time, in arrival order; a cancel reaches the running one through the abort flag.
  let queue: Promise<void> = Promise.resolve();
  let running: string | undefined;
  const secure = createSecureSteps();
  const runTask = (message: Envelope<ServerMessage>): void => {
    if (!('task' in message) || message.type === 'cancel') return;
    const taskRound = message.round;
    queue = queue.then(async () => {
      running = message.task;
      try {
        if (message.type === 'secure-train' || message.type === 'sa-roster' || message.type === 'sa-inbox' || message.type === 'sa-unmask') {
          const reply = await secure.step(message, work);
          round = taskRound;
          send(reply);
          if (reply.type === 'sa-keys') {
            rounds++;
            log(`round ${taskRound}: trained on ${reply.numExamples} examples in ${reply.ms} ms; secure aggregation: only a masked update leaves this client`);
          }
        } else if (message.type === 'train') {
          const reply = await work.train(message);
          round = taskRound;
          send({ type: 'train-result', task: message.task, ...reply });
          if (reply.status === 'ok') {
            rounds++;
            log(`round ${taskRound}: trained on ${reply.numExamples} examples in ${reply.ms} ms (loss ${reply.trainLoss.toFixed(4)}, ${reply.backend})`);
          } else {
            log(
              `round ${taskRound}: stopped after ${reply.steps ?? 0} steps (${reply.status === 'timeout' ? `past the deadline of ${message.deadlineMs} ms` : 'cancelled by the server'})`,
            );
          }
        } else {
          const reply = await work.evaluate(message);
          round = taskRound;
          send({ type: 'evaluate-result', task: message.task, ...reply });
        }
      } catch (error) {
        const text = error instanceof TaskRefused ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
        round = taskRound;
        send({ type: 'task-failed', task: message.task, message: text });
        log(`round ${taskRound}: could not ${message.type}: ${text}`);
      } finally {
        running = undefined;
      }
    });
  };

  const session = startServerSession({
    server: options.server,
    name,
    who: 'client',
    listener: 'fed.federation.listen',
    connectTimeoutMs,
    serverTimeoutMs,
    dealer: link,
    log,
    decode: decodeServerMessage,
    beat: () => send({ type: 'heartbeat' }),
    onMessage: (message) => {
      switch (message.type) {
        case 'train':
        case 'evaluate':
        case 'secure-train':
        case 'sa-roster':
        case 'sa-inbox':
        case 'sa-unmask':
          runTask(message);
          return;
        case 'cancel':
          if (running === message.task) work.cancel();
          return;
        case 'hello-again':
          // Only once joined: before that, the first hello is still on its way.
          if (session.joined && Date.now() - lastHello > 1000) {
            lastHello = Date.now();
            log(`the server asks this client to join again (${message.reason})`);
            sayHello();
          }
          return;
      }
    },
  });

  const teardown = async (bye?: string): Promise<void> => {
    await session.close(bye ? () => send({ type: 'bye', reason: bye }) : undefined);
    if (!seams.pool) await pool.close();
  };

  const sayHello = (): void =>
    send({
      type: 'hello',
      name,
      examples: dataset.length,
      inputShape: [...dataset.exampleShape],
      numClasses: dataset.numClasses,
      publicKey: pair.publicKey,
      proof: helloProof(pair, serverKey, name),
    });
  sayHello();
  await session.awaitWelcome(teardown);
  log(`joined ${options.server} as '${name}' (${dataset.length} examples of shape [${dataset.exampleShape}])`);

  const done = session.finished.then(async (outcome) => {
    await queue.catch(() => undefined);
    await teardown(outcome.ok ? undefined : 'lost the server');
    if (!outcome.ok) throw outcome.error;
    log(`the federation ended after ${rounds} round(s): ${outcome.reason}`);
    return { rounds, reason: outcome.reason };
  });
  done.catch(() => undefined);
  return {
    name,
    done,
    async stop() {
      session.finish({ ok: true, reason: 'stopped by this client' });
      send({ type: 'bye', reason: 'stopped' });
      await done.catch(() => undefined);
    },
  };
}
