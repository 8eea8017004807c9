/**
 * The protocol thread: owns the kernel's ZeroMQ sockets so that heartbeat and
 * interrupts keep working while the main thread is stuck in a cell. It
 * verifies and decodes requests and forwards them to the main thread, signs
 * and sends what the main thread answers, echoes heartbeats, and answers
 * `interrupt_request` itself by raising SIGINT in the process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeSync } from 'node:fs';
import { Reply, Router, XPublisher } from 'zeromq';
import { endpointOf } from './connection';
import type { SocketName } from './messages';
import { buildMessage, createSessionIdentity, type Channel, type Message, type RequestChannel, type RoutedChannel } from './messages';
import { createSigner } from './signing';
import { createSendQueue, readLoop, type SendQueue } from './channels';
import { createSubscriptionGate } from './subscription-gate';
import { terminateMainThreadScript } from './terminate-main-thread';
import { watchParent } from './parent-watch';
import { parseFrames, serializeMessage, WireError } from './wire';
import { wallClockMs, type ProtocolThreadData, type ToMainThread, type ToProtocolThread } from './thread-messages';

const log = (line: string): void => {
  writeSync(2, `[fedbook kernel] ${line}\n`);
};

/**
 * How long the main thread may leave a ping unanswered after an interrupt
 * before its script is terminated. Terminating when the main thread was only
 * slow (two cores busy training) ends whatever script it runs next, which can
 * leave the kernel unable to finish a later cell; 500 ms was seen to do that
 * once under load, so the main thread gets a full second.
 */
const MAIN_THREAD_DEAF_MS = 1000;

async function main(port: NonNullable<typeof parentPort>, data: ProtocolThreadData): Promise<void> {
  const { connection } = data;
  const signer = createSigner(connection.key, connection.signature_scheme);
  const identity = createSessionIdentity('kernel');
  const post = (message: ToMainThread): void => port.postMessage(message);

  const routers = { shell: new Router(), control: new Router(), stdin: new Router() };
  const iopub = new XPublisher();
  const heartbeat = new Reply();
  const all = [routers.shell, routers.control, routers.stdin, iopub, heartbeat];
  for (const socket of all) socket.linger = 1000;
  const bind = (socket: { bind(address: string): Promise<void> }, name: SocketName): Promise<void> =>
    socket.bind(endpointOf(connection, name)).catch((error: Error) => {
      throw new Error(`cannot bind the ${name} socket to ${endpointOf(connection, name)}: ${error.message}`);
    });
  await Promise.all([
    bind(routers.shell, 'shell'),
    bind(routers.control, 'control'),
    bind(routers.stdin, 'stdin'),
    bind(iopub, 'iopub'),
    bind(heartbeat, 'hb'),
  ]);

  const onError = (error: Error): void => log(`socket error: ${error.message}`);
  const queues: Record<Channel, SendQueue> = {
    shell: createSendQueue(routers.shell, onError),
    control: createSendQueue(routers.control, onError),
    stdin: createSendQueue(routers.stdin, onError),
    iopub: createSendQueue(iopub, onError),
  };
  const send = (channel: Channel, message: Message<string, unknown>, identities: Uint8Array[] = []): void => {
    const ids = channel === 'iopub' ? [Buffer.from(message.header.msg_type)] : identities;
    queues[channel].send(serializeMessage(message, signer, ids));
  };
  // Execute requests handed to the main thread and not yet answered: the cells it may be running.
  const unanswered = new Set<string>();
  const forward = (item: Extract<ToMainThread, { kind: 'request' }>): void => {
    if (item.message.header.msg_type === 'execute_request') unanswered.add(item.message.header.msg_id);
    post(item);
  };
  const gate = createSubscriptionGate(forward, data.subscriptionWaitMs);

  const onFrames = (channel: RoutedChannel) => (frames: Buffer[]) => {
    const receivedAt = wallClockMs();
    let envelope;
    try {
      envelope = parseFrames(frames, signer);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      log(`dropped a message on ${channel}: ${error.message}`);
      return;
    }
    const { identities, message } = envelope;
    // On control, as the protocol says; also on shell, where it would otherwise wait behind the cell it should stop.
    if (channel !== 'stdin' && message.header.msg_type === 'interrupt_request') {
      answerInterrupt(channel, message, identities);
      return;
    }
    const item = { kind: 'request' as const, channel, identities, message, receivedAt };
    if (channel === 'shell') gate.pass(item);
    else forward(item);
  };

  const answerInterrupt = (channel: RequestChannel, request: Message, identities: Buffer[]): void => {
    send('iopub', buildMessage('status', { execution_state: 'busy' }, identity, request));
    // SIGINT stops a synchronous loop (vm breakOnSigint) or, through the main
    // thread's handler, the async work of the running cell. A loop that runs
    // after an `await` is out of breakOnSigint's reach and blocks that
    // handler: if the main thread stays deaf, terminate its running script.
    process.kill(process.pid, 'SIGINT');
    const runningAtInterrupt = [...unanswered];
    void pingMainThread().then((alive) => {
      if (alive) return;
      // A reply posted just before the ping timed out may still wait in the port: let it land first.
      setImmediate(() => {
        // A busy main thread may answer late yet have finished the interrupted cell; terminating then would end
        // the next cell's script instead (seen under load). With no cell running, a deaf thread is stuck in a timer.
        if (runningAtInterrupt.length === 0 || runningAtInterrupt.some((id) => unanswered.has(id))) terminateMainThreadScript(log);
        else log('the main thread was slow to answer, but the interrupted cell has ended: nothing to stop');
      });
    });
    send(channel, buildMessage('interrupt_reply', { status: 'ok' }, identity, request), identities);
    send('iopub', buildMessage('status', { execution_state: 'idle' }, identity, request));
  };

  let pingId = 0;
  const pongWaiters = new Map<number, (alive: boolean) => void>();
  const pingMainThread = (): Promise<boolean> =>
    new Promise((resolve) => {
      const id = ++pingId;
      pongWaiters.set(id, resolve);
      post({ kind: 'ping', id });
      setTimeout(() => pongWaiters.delete(id) && resolve(false), MAIN_THREAD_DEAF_MS);
    });

  void readLoop(routers.shell, onFrames('shell'), onError);
  void readLoop(routers.control, onFrames('control'), onError);
  void readLoop(routers.stdin, onFrames('stdin'), onError);
  void readLoop(
    iopub,
    (frames) => {
      if (frames[0]?.[0] === 1) gate.open();
    },
    onError,
  );
  void (async () => {
    while (!heartbeat.closed) {
      try {
        const frames = await heartbeat.receive();
        await heartbeat.send(frames);
      } catch {
        return;
      }
    }
  })();

  port.on('message', (command: ToProtocolThread) => {
    if (command.kind === 'send') {
      if (command.message.header.msg_type === 'execute_reply') unanswered.delete(String(command.message.parent_header?.msg_id ?? ''));
      send(command.channel, command.message, command.identities);
    } else if (command.kind === 'pong') {
      const resolve = pongWaiters.get(command.id);
      pongWaiters.delete(command.id);
      resolve?.(true);
    } else {
      void (async () => {
        await Promise.all(Object.values(queues).map((queue) => queue.drain()));
        for (const socket of all) socket.close();
        post({ kind: 'closed' });
        // Nothing left to do: let the thread end by itself (the port would keep it alive).
        port.unref();
      })();
    }
  });
  if (data.parent) {
    watchParent(data.parent, () => {
      log('the process that started the kernel is gone');
      post({ kind: 'parentDied' });
    });
  }
  post({ kind: 'ready' });
}

if (parentPort) {
  const port = parentPort;
  main(port, workerData as ProtocolThreadData).catch((error: Error) => {
    port.postMessage({ kind: 'failed', message: error.message } satisfies ToMainThread);
  });
}
