/**
 * Exact resume through the real path: a run in its own Node process is killed
 * with SIGKILL after round k, a fresh process resumes it from its checkpoint on
 * disk, and the final weights hash equals the hash of a run never stopped.
 * FedAvg, SCAFFOLD (client and strategy state) and DP with adaptive clipping
 * (aggregator state), on the WASM backend and a small real MNIST subset.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRun } from '../../../kernel/simulation/run-records';
import { checkpointDirectory, checkpointRounds, checkpointFileName } from '../../../kernel/rounds/checkpoints';

const CHILD = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'resume', 'run-child.js');
const ROUNDS = 6;

interface ChildResult {
  id: string;
  hash: string;
  round: number;
  rounds: number[];
  resumedFrom?: number;
  notes?: string[];
}

/** Runs the child; with `killAfter`, SIGKILLs it as soon as it reports that round and resolves with the run id on disk. */
function child(runsDir: string, options: object, killAfter?: number): Promise<{ result?: ChildResult; killed: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CHILD, JSON.stringify({ rounds: ROUNDS, ...options })], {
      env: { ...process.env, FEDBOOK_RUNS_DIR: runsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let killed = false;
    proc.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (killAfter !== undefined && !killed && output.includes(`round ${killAfter}\n`)) {
        killed = proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      const line = output.split('\n').find((l) => l.startsWith('result '));
      if (killAfter !== undefined) {
        if (signal !== 'SIGKILL') reject(new Error(`the child was to be killed after round ${killAfter} but exited with ${code}:\n${output}`));
        else resolve({ killed: true, output });
      } else if (code !== 0 || !line) {
        reject(new Error(`the child exited with ${code ?? signal}:\n${output}`));
      } else {
        resolve({ result: JSON.parse(line.slice('result '.length)), killed: false, output });
      }
    });
  });
}

function onlyRunId(runsDir: string): string {
  const records = readdirSync(runsDir).filter((name) => name.endsWith('.jsonl'));
  assert.equal(records.length, 1, `one run record in ${runsDir}`);
  return records[0].replace(/\.jsonl$/, '');
}

/** The uninterrupted run's result per algorithm, run once. */
const references = new Map<string, Promise<ChildResult>>();
function uninterrupted(algorithm: string): Promise<ChildResult> {
  let reference = references.get(algorithm);
  if (!reference) references.set(algorithm, (reference = child(mkdtempSync(join(tmpdir(), 'fedbook-ref-')), { algorithm }).then((done) => done.result!)));
  return reference;
}

async function killAndResume(algorithm: string, killAfter: number, damage?: (runsDir: string, runId: string) => void) {
  const reference = await uninterrupted(algorithm);
  const runsDir = mkdtempSync(join(tmpdir(), 'fedbook-kill-'));
  await child(runsDir, { algorithm }, killAfter);
  const runId = onlyRunId(runsDir);
  const killedRecord = loadRun(runId, runsDir);
  assert.equal(killedRecord.end, undefined, 'a killed run has no end line');
  assert.ok(killedRecord.rounds.length >= killAfter && killedRecord.rounds.length < ROUNDS, `killed after ${killedRecord.rounds.length} rounds`);
  damage?.(runsDir, runId);
  const resumed = await child(runsDir, { algorithm, resume: runId });
  return { reference, resumed: resumed.result!, runsDir, runId, killedRounds: killedRecord.rounds.length };
}

function assertWholeRecord(runsDir: string, runId: string, fromRound: number) {
  const record = loadRun(runId, runsDir);
  assert.deepEqual(
    record.rounds.map((m) => m.round),
    [1, 2, 3, 4, 5, 6],
    'every round once, in order',
  );
  assert.equal(record.end?.status, 'completed');
  assert.equal(record.resumes.length, 1);
  assert.equal(record.resumes[0].fromRound, fromRound);
  assert.equal(record.resumes[0].checkpoint, join(checkpointDirectory(record.path), checkpointFileName(fromRound)));
  assert.deepEqual(checkpointRounds(checkpointDirectory(record.path)), [6, 5, 4], 'the newest three checkpoints are kept');
  return record;
}

test('fedAvg killed with SIGKILL after round 3 resumes in a fresh process to bit-identical final weights', async () => {
  const { reference, resumed, runsDir, runId, killedRounds } = await killAndResume('fedAvg', 3);
  assert.equal(resumed.id, runId, 'the resumed run keeps its id and record');
  assert.equal(resumed.resumedFrom, killedRounds);
  assert.deepEqual(resumed.rounds, [1, 2, 3, 4, 5, 6]);
  assert.equal(resumed.hash, reference.hash);
  assertWholeRecord(runsDir, runId, killedRounds);
});

test('a corrupt newest checkpoint: the resume uses the one before, says so, and still ends bit-identical', async () => {
  let corrupted = 0;
  const { reference, resumed, runsDir, runId, killedRounds } = await killAndResume('fedAvg', 4, (runsDir, runId) => {
    const folder = checkpointDirectory(join(runsDir, `${runId}.jsonl`));
    corrupted = checkpointRounds(folder)[0];
    const path = join(folder, checkpointFileName(corrupted));
    const bytes = readFileSync(path);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(path, bytes);
  });
  assert.equal(corrupted, killedRounds, 'the newest checkpoint is the last recorded round');
  assert.equal(resumed.resumedFrom, corrupted - 1);
  assert.match(
    resumed.notes?.[0] ?? '',
    new RegExp(`checkpoint .*${checkpointFileName(corrupted)} is unusable \\(the checksum does not match: the file is corrupt\\)`),
  );
  assert.equal(resumed.hash, reference.hash);
  const record = assertWholeRecord(runsDir, runId, corrupted - 1);
  assert.match(record.resumes[0].notes?.join('\n') ?? '', /checksum does not match/);
});

test('SCAFFOLD (per-client control variates, server c) resumes bit-identical after SIGKILL', async () => {
  const { reference, resumed, runsDir, runId, killedRounds } = await killAndResume('scaffold', 3);
  assert.equal(resumed.hash, reference.hash);
  assertWholeRecord(runsDir, runId, killedRounds);
});

test('DP with adaptive clipping (the clip norm is aggregator state) resumes bit-identical after SIGKILL', async () => {
  const { reference, resumed, runsDir, runId, killedRounds } = await killAndResume('dpAdaptive', 2);
  assert.equal(resumed.hash, reference.hash);
  assertWholeRecord(runsDir, runId, killedRounds);
});
