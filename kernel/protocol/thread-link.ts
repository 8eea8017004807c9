/** The main thread's handle on the protocol thread. */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { ConnectionInfo } from '../contract';
import type { Channel, Message } from './messages';
import type { ProtocolThreadData, ToMainThread, ToProtocolThread } from './thread-messages';
import type { ParentWatch } from './parent-watch';

export type IncomingRequest = Extract<ToMainThread, { kind: 'request' }>;

export interface ProtocolLink {
  send(channel: Channel, message: Message<string, unknown>, identities?: Uint8Array[]): void;
  /** Sends what is queued, closes the sockets and ends the thread. */
  close(): Promise<void>;
}

export interface ProtocolThreadOptions {
  /** Longest time shell requests wait for the first IOPub subscription (default 2 s). */
  subscriptionWaitMs?: number;
  /** Whose death ends the kernel, watched from the protocol thread. */
  parent?: ParentWatch;
  /** The parent is gone: exit now (the protocol thread kills the process after parent.graceMs). */
  onParentDied?: () => void;
}

/** Starts the protocol thread and resolves once every socket is bound. */
export function startProtocolThread(
  connection: ConnectionInfo,
  onRequest: (request: IncomingRequest) => void,
  onFailure: (error: Error) => void = (error) => {
    throw error;
  },
  options: ProtocolThreadOptions = {},
): Promise<ProtocolLink> {
  const workerData: ProtocolThreadData = {
    connection,
    subscriptionWaitMs: options.subscriptionWaitMs ?? 2000,
    ...(options.parent ? { parent: options.parent } : {}),
  };
  const worker = new Worker(join(__dirname, 'protocol-thread.js'), { workerData });
  let onClosed: (() => void) | undefined;
  let ready = false;
  let closing = false;
  let exited = false;
  return new Promise((resolve, reject) => {
    const link: ProtocolLink = {
      send(channel, message, identities = []) {
        worker.postMessage({ kind: 'send', channel, identities, message } satisfies ToProtocolThread);
      },
      close() {
        closing = true;
        if (exited) return Promise.resolve();
        return new Promise<void>((done) => {
          // Let the thread end by itself once its sockets are closed: terminating it while
          // zeromq still settles the closed sockets' pending reads can abort the process.
          onClosed = () => {
            const stop = setTimeout(() => void worker.terminate(), 1000);
            worker.once('exit', () => {
              clearTimeout(stop);
              done();
            });
          };
          worker.postMessage({ kind: 'close' } satisfies ToProtocolThread);
        });
      },
    };
    worker.on('message', (message: ToMainThread) => {
      switch (message.kind) {
        case 'ready':
          ready = true;
          return resolve(link);
        case 'request':
          return onRequest(message);
        case 'closed':
          return onClosed?.();
        case 'ping':
          return worker.postMessage({ kind: 'pong', id: message.id } satisfies ToProtocolThread);
        case 'failed':
          return reject(new Error(message.message));
        case 'parentDied':
          return options.onParentDied?.();
      }
    });
    // Without its sockets the kernel is deaf: a failure after start-up is the owner's to end the process.
    worker.on('error', (error) => (ready ? onFailure(error) : reject(error)));
    worker.on('exit', (code) => {
      exited = true;
      if (ready && !closing) onFailure(new Error(`the protocol thread stopped (exit code ${code})`));
    });
  });
}
