/**
 * A server's wait for connections to join, alike for federations and
 * scale-outs: resolves once enough are connected, rejects after a timeout or
 * when the signal aborts, in the caller's words.
 */
import { RunAbortedError } from '../in-process/cohort-training';

export interface JoinWait {
  /** Wakes the waits after a connection joined. */
  joined(): void;
  /** Resolves once `count` are connected; `say` words the rejections when they happen. */
  waitFor(count: number, timeoutMs: number, signal: AbortSignal | undefined, say: { timedOut(): string; aborted(): string }): Promise<void>;
}

export function createJoinWait(connectedCount: () => number): JoinWait {
  const waiters = new Set<() => void>();
  return {
    joined: () => waiters.forEach((wake) => wake()),
    waitFor: (count, timeoutMs, signal, say) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (connectedCount() < count) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(say.timedOut()));
        }, timeoutMs);
        const onAbort = (): void => {
          cleanup();
          reject(new RunAbortedError(say.aborted()));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
          signal?.removeEventListener('abort', onAbort);
        };
        waiters.add(check);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        check();
      }),
  };
}
