/**
 * A strictly ordered queue of async steps in which a step with a key can be
 * superseded: while a keyed step waits its turn, a newer one with the same
 * key takes its place instead of queuing behind it. Keyed steps can also be
 * spaced out (at most one per key per `minIntervalMs`); a spaced-out step
 * joins the queue when its time comes, so unkeyed steps do not wait for it.
 *
 * Cell outputs use it so a run's display is replaced with its latest bundle
 * only, a few times a second, however often the kernel publishes and however
 * far a busy editor falls behind.
 */
export interface SupersedingQueueOptions {
  /** Least time between two steps with the same key, ms (default 0). */
  minIntervalMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export class SupersedingQueue<T> {
  private chain: Promise<unknown> = Promise.resolve();
  /** The newest item per key that has not started yet. */
  private readonly waiting = new Map<string, T>();
  /** Keys whose step is spaced out by a timer, not yet queued. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly lastStart = new Map<string, number>();
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly perform: (item: T) => Promise<void> | void,
    options: SupersedingQueueOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /** Queues `item`; with a key, replaces a queued item with the same key that has not started yet. */
  push(item: T, key?: string): void {
    if (key === undefined) {
      this.enqueue(() => this.perform(item));
      return;
    }
    const pending = this.waiting.has(key);
    this.waiting.set(key, item);
    if (pending) return;
    const wait = (this.lastStart.get(key) ?? -Infinity) + this.minIntervalMs - this.now();
    if (wait <= 0) this.enqueueKeyed(key);
    else
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          this.enqueueKeyed(key);
        }, wait),
      );
  }

  /** Queues every spaced-out step now and resolves when all steps have run. */
  done(): Promise<unknown> {
    for (const [key, timer] of this.timers) {
      clearTimeout(timer);
      this.enqueueKeyed(key);
    }
    this.timers.clear();
    return this.chain;
  }

  private enqueueKeyed(key: string): void {
    this.enqueue(() => {
      if (!this.waiting.has(key)) return;
      const latest = this.waiting.get(key) as T;
      this.waiting.delete(key);
      this.lastStart.set(key, this.now());
      return this.perform(latest);
    });
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(step).catch(() => undefined);
  }
}
