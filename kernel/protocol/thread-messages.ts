/** What the protocol thread and the kernel's main thread say to each other. */
import type { Channel, Message, RoutedChannel } from './messages';

export type ToMainThread =
  | { kind: 'ready' }
  | {
      kind: 'request';
      channel: RoutedChannel;
      identities: Uint8Array[];
      message: Message;
      /** Wall-clock ms when the socket received it (decides which queued cells stop_on_error aborts). */
      /** When the protocol thread received it: {@link wallClockMs}. */
      receivedAt: number;
    }
  | { kind: 'closed' }
  | { kind: 'failed'; message: string }
  /** Is the main thread's event loop turning? (asked after an interrupt) */
  | { kind: 'ping'; id: number }
  /** The process that started the kernel is gone: exit (the protocol thread kills the process if it cannot). */
  | { kind: 'parentDied' };

export type ToProtocolThread =
  | { kind: 'send'; channel: Channel; identities: Uint8Array[]; message: Message<string, unknown> }
  | { kind: 'close' }
  | { kind: 'pong'; id: number };

export interface ProtocolThreadData {
  connection: import('../contract').ConnectionInfo;
  /** Longest time shell requests wait for the first IOPub subscription. */
  subscriptionWaitMs: number;
  /** Whose death ends the kernel; none: the kernel runs until shut down. */
  parent?: import('./parent-watch').ParentWatch;
}

/**
 * Wall-clock milliseconds with sub-millisecond resolution, comparable across the
 * kernel's threads. Date.now() is too coarse to order a request against the error
 * that came just before it: a client that sends its next cell the moment it reads
 * the error's reply often lands in the same millisecond.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}
