/**
 * The run lock between real processes: while a run's process is alive (held
 * after round 2), a resume from another process fails naming the run id and
 * that pid and leaves the record alone; once the run is killed with SIGKILL
 * (its lock stays behind), a resume takes the stale lock over, says so, and
 * completes the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun } from '../../../kernel/simulation/run-records';
import { checkpointDirectory } from '../../../kernel/rounds/checkpoints';
import { LOCK_FILE } from '../../../kernel/rounds/run-lock';

const CHILD = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'resume', 'run-child.js');

function start(
  runsDir: string,
  options: object,
): { proc: ChildProcess; output: () => string; exited: Promise<number | null>; printed: (line: string) => Promise<void> } {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify({ algorithm: 'fedAvg', rounds: 4, ...options })], {
    env: { ...process.env, FEDBOOK_RUNS_DIR: runsDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<() => void> = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const wake of waiters.splice(0)) wake();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const printed = (line: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (output.includes(line) ? resolve() : waiters.push(check));
      void exited.then(() => (output.includes(line) ? resolve() : reject(new Error(`the child exited before printing ${JSON.stringify(line)}:\n${output}`))));
      check();
    });
  return { proc, output: () => output, exited, printed };
}

test('a live run cannot be resumed from another process; after kill -9 its stale lock is taken over and the resume completes', async () => {
  const runsDir = mkdtempSync(join(tmpdir(), 'fedbook-lock-proc-'));
  const releaseFile = join(runsDir, 'never');
  const running = start(runsDir, { holdAt: 2, releaseFile });
  await running.printed('round 2\n');
  const [record] = readdirSync(runsDir).filter((name) => name.endsWith('.jsonl'));
  const runId = record.replace(/\.jsonl$/, '');
  const lockPath = join(checkpointDirectory(join(runsDir, record)), LOCK_FILE);
  const owner = JSON.parse(readFileSync(lockPath, 'utf8'));
  assert.equal(owner.pid, running.proc.pid, 'the running process holds the lock');
  const recordBefore = readFileSync(join(runsDir, record), 'utf8');

  const second = start(runsDir, { resume: runId });
  assert.equal(await second.exited, 1);
  assert.ok(
    second
      .output()
      .includes(
        `RunLockedError: resume: run ${runId} is running in process ${running.proc.pid} since ${owner.startedAt}; wait for it to end or interrupt it, then resume it`,
      ),
    second.output(),
  );
  assert.equal(readFileSync(join(runsDir, record), 'utf8'), recordBefore, 'the refused resume wrote nothing to the record');
  assert.equal(JSON.parse(readFileSync(lockPath, 'utf8')).pid, running.proc.pid, 'the lock is still the running process’s');

  running.proc.kill('SIGKILL');
  await running.exited;
  assert.equal(existsSync(lockPath), true, 'a killed process leaves its lock behind');

  const resumed = start(runsDir, { resume: runId });
  assert.equal(await resumed.exited, 0, resumed.output());
  const result = JSON.parse(
    resumed
      .output()
      .split('\n')
      .find((line) => line.startsWith('result '))!
      .slice('result '.length),
  );
  assert.deepEqual(result.rounds, [1, 2, 3, 4]);
  const tookOver = `process ${running.proc.pid} on `;
  assert.ok(
    result.notes.some((note: string) => note.startsWith(tookOver) && note.endsWith(`is no longer running: its lock ${lockPath} was taken over`)),
    JSON.stringify(result.notes),
  );
  assert.match(resumed.output(), new RegExp(`fedbook: resume ${runId}: process ${running.proc.pid} on .* is no longer running`));
  const done = loadRun(runId, runsDir);
  assert.equal(done.end?.status, 'completed');
  assert.ok(
    done.resumes[0].notes?.some((note) => note.startsWith(tookOver)),
    'the record says the lock was taken over',
  );
  assert.equal(existsSync(lockPath), false, 'the finished run released its lock');
});
