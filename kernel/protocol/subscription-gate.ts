/**
 * IOPub "slow joiner" fix: shell requests wait until the first IOPub
 * subscription arrives (or a bounded time passes), so that a client never
 * misses the busy/idle of its first request.
 */
export interface SubscriptionGate<T> {
  /** Passes the item on now, or holds it until the gate opens. */
  pass(item: T): void;
  /** Call when a subscription arrives; releases held items in order. */
  open(): void;
  readonly isOpen: boolean;
}

export function createSubscriptionGate<T>(forward: (item: T) => void, maxWaitMs: number): SubscriptionGate<T> {
  const held: T[] = [];
  let isOpen = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const open = (): void => {
    if (isOpen) return;
    isOpen = true;
    if (timer) clearTimeout(timer);
    for (const item of held.splice(0)) forward(item);
  };
  return {
    pass(item) {
      if (isOpen) return forward(item);
      held.push(item);
      timer ??= setTimeout(open, maxWaitMs);
    },
    open,
    get isOpen() {
      return isOpen;
    },
  };
}
