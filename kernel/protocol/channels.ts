/**
 * Socket plumbing shared by the kernel and the client: one reader loop and one
 * send queue per socket (zeromq.js v6 allows a single pending send).
 */
import type { Readable, Writable } from 'zeromq';

export interface SendQueue {
  /** Queues frames; sends happen one after another in call order. */
  send(frames: Buffer[]): void;
  /** Resolves once everything queued so far has been handed to ZeroMQ. */
  drain(): Promise<void>;
}

export function createSendQueue(socket: Writable, onError: (error: Error) => void): SendQueue {
  let tail: Promise<void> = Promise.resolve();
  return {
    send(frames) {
      tail = tail.then(() => socket.send(frames)).catch((error: Error) => onError(error));
    },
    drain: () => tail,
  };
}

/** Reads until the socket closes; a throwing handler is reported and the loop goes on. */
export async function readLoop(socket: Readable & { closed: boolean }, onFrames: (frames: Buffer[]) => void, onError: (error: Error) => void): Promise<void> {
  while (!socket.closed) {
    let frames: Buffer[];
    try {
      frames = await socket.receive();
    } catch (error) {
      if (socket.closed || (error as { code?: string }).code === 'EAGAIN') return;
      onError(error as Error);
      return;
    }
    try {
      onFrames(frames);
    } catch (error) {
      onError(error as Error);
    }
  }
}
