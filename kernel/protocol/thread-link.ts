/** The main thread's handle on the protocol thread. */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import type { ConnectionInfo } from './connection';
import type { Message } from './messages';
import type { ProtocolThreadData, RequestChannel, ToMainThread, ToProtocolThread } from './thread-messages';

export type IncomingRequest = Extract<ToMainThread, { kind: 'request' }>;

export interface ProtocolLink {
  send(channel: RequestChannel | 'iopub', message: Message<string, unknown>, identities?: Uint8Array[]): void;
  /** Sends what is queued, closes the sockets and ends the thread. */
  close(): Promise<void>;
}

/** Starts the protocol thread and resolves once every socket is bound. */
export function startProtocolThread(
  connection: ConnectionInfo,
  onRequest: (request: IncomingRequest) => void,
  subscriptionWaitMs = 2000,
): Promise<ProtocolLink> {
  const workerData: ProtocolThreadData = { connection, subscriptionWaitMs };
  const worker = new Worker(join(__dirname, 'protocol-thread.js'), { workerData });
  let onClosed: (() => void) | undefined;
  return new Promise((resolve, reject) => {
    const link: ProtocolLink = {
      send(channel, message, identities = []) {
        worker.postMessage({ kind: 'send', channel, identities, message } satisfies ToProtocolThread);
      },
      close() {
        return new Promise<void>((done) => {
          onClosed = () => void worker.terminate().then(() => done());
          worker.postMessage({ kind: 'close' } satisfies ToProtocolThread);
        });
      },
    };
    worker.on('message', (message: ToMainThread) => {
      switch (message.kind) {
        case 'ready':
          return resolve(link);
        case 'request':
          return onRequest(message);
        case 'closed':
          return onClosed?.();
        case 'ping':
          return worker.postMessage({ kind: 'pong', id: message.id } satisfies ToProtocolThread);
        case 'failed':
          return reject(new Error(`kernel sockets failed: ${message.message}`));
      }
    });
    worker.on('error', reject);
  });
}
