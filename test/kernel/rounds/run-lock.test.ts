/**
 * The run lock in one process: a held lock refuses a second taker with the
 * run id and the holder's pid; a lock left by a dead process is taken over
 * and said so; a lock of another host counts as live; release removes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, LOCK_FILE, RunLockedError } from '../../../kernel/rounds/run-lock';

function folder(): string {
  return join(mkdtempSync(join(tmpdir(), 'fedbook-lock-')), 'run-1.ckpt');
}

/** The pid of a process that has exited (and so is no longer running). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a held lock refuses a second taker, naming the run id and the pid; release frees it and removes an empty folder', () => {
  const dir = folder();
  const lock = acquireRunLock(dir, 'run-1', 'run');
  const owner = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'));
  assert.equal(owner.pid, process.pid);
  assert.equal(owner.hostname, hostname());
  assert.throws(
    () => acquireRunLock(dir, 'run-1', 'resume'),
    (error: unknown) =>
      error instanceof RunLockedError &&
      error.message ===
        `resume: run run-1 is running in this process (pid ${process.pid}) since ${owner.startedAt}; ` +
          `wait for it to end or interrupt it, then resume it (a process that was killed leaves a lock that is taken over; lock: ${join(dir, LOCK_FILE)})`,
  );
  lock.release();
  assert.equal(existsSync(dir), false, 'the folder held only the lock');
  const again = acquireRunLock(dir, 'run-1', 'resume');
  assert.equal(again.tookOver, undefined);
  again.release();
  again.release();
});

test('a folder with checkpoints stays when the lock is released', () => {
  const dir = folder();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'round-000001.bin'), 'x');
  acquireRunLock(dir, 'run-1', 'run').release();
  assert.equal(existsSync(join(dir, 'round-000001.bin')), true);
  assert.equal(existsSync(join(dir, LOCK_FILE)), false);
});

test('the lock of a process that died is taken over, and the taker is told whose it was', () => {
  const dir = folder();
  mkdirSync(dir, { recursive: true });
  const pid = deadPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, hostname: hostname(), startedAt: '2026-01-02T03:04:05.000Z' }));
  const lock = acquireRunLock(dir, 'run-1', 'resume');
  assert.equal(
    lock.tookOver,
    `process ${pid} on ${hostname()}, which ran it since 2026-01-02T03:04:05.000Z, is no longer running: its lock ${join(dir, LOCK_FILE)} was taken over`,
  );
  assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid, process.pid);
  lock.release();
});

test('a lock held on another host counts as live (its process cannot be checked from here)', () => {
  const dir = folder();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), hostname: `${hostname()}-elsewhere`, startedAt: '2026-01-02T03:04:05.000Z' }));
  assert.throws(
    () => acquireRunLock(dir, 'run-1', 'resume'),
    /^RunLockedError: resume: run run-1 is running in process \d+ on .*-elsewhere since 2026-01-02T03:04:05.000Z;/,
  );
});

test('a torn lock file: a young one is being written (refused), an old one is taken over', () => {
  const dir = folder();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  writeFileSync(path, '');
  assert.throws(() => acquireRunLock(dir, 'run-1', 'resume'), {
    message: `resume: run run-1 is being started by another process (its lock ${path} is being written)`,
  });
  utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const lock = acquireRunLock(dir, 'run-1', 'resume');
  assert.match(lock.tookOver ?? '', /could not be read and was left by a process that died/);
  lock.release();
});
