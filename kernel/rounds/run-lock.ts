/**
 * One process at a time per run: a run holds `<runId>.ckpt/run.lock` while it
 * runs (created with O_EXCL, so exactly one of two racing processes gets it),
 * and a resume takes the same lock before it reads a checkpoint or appends to
 * the record, so two cells or two processes never interleave checkpoints and
 * rounds. A lock whose process is dead on this host (a kill -9) is stale and
 * is taken over; the caller tells the user.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isRunLockOwnerAlive, LOCK_FILE, parseRunLockOwner, type RunLockOwner } from '../contract/run-lock';

export { LOCK_FILE, type RunLockOwner };

export interface RunLock {
  readonly path: string;
  /** Set when a stale lock (its process is gone) was taken over: what to tell the user. */
  readonly tookOver?: string;
  /** Removes the lock (and the run's folder when the lock was all it held). Safe to call twice. */
  release(): void;
}

/** Thrown when another live process (or another cell of this one) runs the run. */
export class RunLockedError extends Error {
  constructor(
    message: string,
    readonly runId: string,
    readonly owner: RunLockOwner,
  ) {
    super(message);
    this.name = 'RunLockedError';
  }
}

/** A lock file this young that cannot be read is being written by its creator, not left by a dead one. */
const UNREADABLE_GRACE_MS = 5_000;

/**
 * Takes the run's lock in `folder` (the run's checkpoint folder), or throws RunLockedError naming the run id
 * and the process that holds it. `doing` words the error: 'resume' or 'run'.
 */
export function acquireRunLock(folder: string, runId: string, doing: string): RunLock {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, LOCK_FILE);
  const mine: RunLockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  let tookOver: string | undefined;
  // A few tries: each lost race against another process re-reads the lock it made.
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine), { flag: 'wx' });
      return lockHandle(path, folder, tookOver);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = readOwner(path);
    if (held === 'gone') continue;
    if (held === 'unreadable') {
      if (Date.now() - mtime(path) < UNREADABLE_GRACE_MS) throw lockedError(runId, doing, undefined, path);
      if (takeOver(path, undefined)) tookOver = `its lock ${path} could not be read and was left by a process that died; it was taken over`;
      continue;
    }
    if (isRunLockOwnerAlive(held)) throw lockedError(runId, doing, held, path);
    if (takeOver(path, held)) {
      tookOver = `process ${held.pid} on ${held.hostname}, which ran it since ${held.startedAt}, is no longer running: its lock ${path} was taken over`;
    }
  }
  throw new Error(`${doing}: could not take the lock ${path} of run ${runId}: other processes keep taking it`);
}

function lockHandle(path: string, folder: string, tookOver: string | undefined): RunLock {
  let released = false;
  return {
    path,
    ...(tookOver ? { tookOver } : {}),
    release() {
      if (released) return;
      released = true;
      try {
        unlinkSync(path);
      } catch {
        // Already gone: a user deleted the run's folder.
      }
      try {
        rmdirSync(folder);
      } catch {
        // Not empty: it holds checkpoints.
      }
    },
  };
}

function readOwner(path: string): RunLockOwner | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  return parseRunLockOwner(text) ?? 'unreadable';
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Moves the stale lock aside and checks it is the one judged stale: a process that took it over in between
 * has made a new lock, which is put back (link fails if yet another exists, which is then theirs).
 */
function takeOver(path: string, stale: RunLockOwner | undefined): boolean {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const moved = readOwner(aside);
  const same = stale === undefined ? moved === 'unreadable' : typeof moved === 'object' && moved.pid === stale.pid && moved.startedAt === stale.startedAt;
  if (!same) {
    try {
      linkSync(aside, path);
    } catch {
      // Another lock is already in place.
    }
  }
  unlinkSync(aside);
  return same;
}

function lockedError(runId: string, doing: string, owner: RunLockOwner | undefined, path: string): RunLockedError {
  if (!owner) {
    return new RunLockedError(`${doing}: run ${runId} is being started by another process (its lock ${path} is being written)`, runId, {
      pid: 0,
      hostname: '',
      startedAt: '',
    });
  }
  const where = owner.hostname === hostname() ? '' : ` on ${owner.hostname}`;
  const who = owner.pid === process.pid && where === '' ? `this process (pid ${owner.pid})` : `process ${owner.pid}${where}`;
  return new RunLockedError(
    `${doing}: run ${runId} is running in ${who} since ${owner.startedAt}; ` +
      `wait for it to end or interrupt it, then resume it (a process that was killed leaves a lock that is taken over; lock: ${path})`,
    runId,
    owner,
  );
}
