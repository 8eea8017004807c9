/**
 * The server's watch over its connections, alike for federations and
 * scale-outs: whoever has been silent longer than the timeout is dropped.
 */

/** Checks a few times per timeout; returns the function that stops watching. */
export function watchSilence<S extends { readonly lastSeen: number }>(
  connected: () => Iterable<S>,
  timeoutMs: number,
  gone: (slot: S, why: string) => void,
): () => void {
  const watchdog = setInterval(
    () => {
      const now = Date.now();
      for (const slot of connected()) {
        if (now - slot.lastSeen > timeoutMs) gone(slot, `stopped answering (nothing heard for ${Math.round((now - slot.lastSeen) / 1000)} s)`);
      }
    },
    Math.min(500, timeoutMs / 4),
  );
  watchdog.unref();
  return () => clearInterval(watchdog);
}
