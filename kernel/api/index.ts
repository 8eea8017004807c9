/**
 * The `fed` namespace: what notebook cells see and what `require('fedbook')` gives.
 * (Placeholder while the engine lands; the engine fills it in.)
 */
export const fed = {
  /** Ends the worker pool so that the process can exit. */
  async shutdown(): Promise<void> {},
};
export type Fed = typeof fed;
