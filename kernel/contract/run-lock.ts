/**
 * The lock a run holds while it runs, `<runs>/<runId>.ckpt/run.lock`: the
 * kernel takes it (kernel/rounds/run-lock.ts), and the runs view reads it to
 * tell a running run from one whose process was killed. Node only: not
 * exported from the contract's index, which the chart webview also bundles.
 */
import { hostname } from 'node:os';

export const LOCK_FILE = 'run.lock';

/** What the lock file holds: who runs the run, where, since when. */
export interface RunLockOwner {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

/** `<runs>/<runId>.ckpt`, next to the run record `<runs>/<runId>.jsonl`: the run's checkpoints and its lock. */
export function checkpointDirectory(recordPath: string): string {
  return recordPath.replace(/\.jsonl$/, '') + '.ckpt';
}

/** The lock file's owner, or undefined when the text is torn (its writer was killed between creating and writing it). */
export function parseRunLockOwner(text: string): RunLockOwner | undefined {
  try {
    const owner = JSON.parse(text) as RunLockOwner;
    if (Number.isInteger(owner.pid) && typeof owner.hostname === 'string' && typeof owner.startedAt === 'string') return owner;
  } catch {
    // Torn.
  }
  return undefined;
}

/** A process on another host cannot be checked from here: its lock counts as live. */
export function isRunLockOwnerAlive(owner: RunLockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  if (owner.pid === process.pid) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
