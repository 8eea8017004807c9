/**
 * The runs view's model: record files → tree nodes (state, description,
 * grouping by sweep), the selection, and the resume snippet.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildRunsTree,
  LOCK_RECHECK_MS,
  MIN_STALE_MS,
  resumeSnippet,
  runNode,
  selectedRuns,
  type RunFile,
  type RunNode,
  type SweepNode,
} from '../../../extension/runs/run-tree-items';
import type { RunStatus } from '../../../kernel/contract';

const NOW = Date.parse('2026-11-25T12:00:00Z');

interface RecordSpec {
  runId: string;
  seed?: number;
  sweep?: unknown;
  clientLr?: number;
  startedAt?: string;
  accuracies?: number[];
  epsilon?: number;
  end?: 'completed' | 'stopped' | 'aborted' | 'failed';
  roundMs?: number;
  mtimeMs?: number;
  tail?: string;
}

function record(spec: RecordSpec): RunFile {
  const seed = spec.seed ?? 1;
  const lines: unknown[] = [
    {
      type: 'config',
      runId: spec.runId,
      label: `fedAvg lr=${spec.clientLr ?? 0.1}`,
      strategy: 'fedAvg',
      hyperparameters: { clientLr: spec.clientLr ?? 0.1, seed },
      seed,
      backend: 'wasm',
      workers: 2,
      version: '0.1.0',
      startedAt: spec.startedAt ?? '2026-11-25T11:00:00Z',
      plannedRounds: 3,
      ...(spec.sweep ? { sweep: spec.sweep } : {}),
    },
  ];
  (spec.accuracies ?? [0.5, 0.75]).forEach((testAccuracy, i) =>
    lines.push({
      type: 'round',
      round: i + 1,
      testAccuracy,
      trainLoss: 1,
      clients: 2,
      failures: 0,
      bytesDown: 0,
      bytesUp: 0,
      ms: spec.roundMs ?? 1000,
      ...(spec.epsilon ? { epsilon: spec.epsilon } : {}),
    }),
  );
  if (spec.end) lines.push({ type: 'end', status: spec.end, endedAt: '2026-11-25T11:01:00Z' });
  return {
    file: `/ws/.fedbook/runs/${spec.runId}.jsonl`,
    text: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' + (spec.tail ?? ''),
    mtimeMs: spec.mtimeMs ?? NOW - 3_600_000,
  };
}

describe('runNode: state', () => {
  test('an end line says how the run ended; aborted reads as interrupted', () => {
    const states = (['completed', 'stopped', 'aborted', 'failed'] as const).map((end) => runNode(record({ runId: end, end }), { now: NOW }).state);
    assert.deepEqual(states, ['completed', 'stopped', 'interrupted', 'failed']);
  });

  test('no end line: running while the file grew within the last minute (or 3 slowest rounds), interrupted after', () => {
    const fresh = runNode(record({ runId: 'a', mtimeMs: NOW - 10_000 }), { now: NOW });
    assert.equal(fresh.state, 'running');
    assert.equal(fresh.recheckAt, NOW - 10_000 + MIN_STALE_MS, 'the view looks again when the minute is up');
    assert.equal(runNode(record({ runId: 'a', mtimeMs: NOW - 61_000 }), { now: NOW }).state, 'interrupted');
    // Rounds of 30 s: a 61 s pause is one round in flight, not a dead process (3 × 30 s = 90 s).
    assert.equal(runNode(record({ runId: 'a', mtimeMs: NOW - 61_000, roundMs: 30_000 }), { now: NOW }).state, 'running');
  });

  test('no end line: a held lock says running however old the file, a stale one (a killed process) interrupted at once', () => {
    const held = runNode({ ...record({ runId: 'a', mtimeMs: NOW - 600_000 }), lock: 'held' }, { now: NOW });
    assert.equal(held.state, 'running');
    assert.equal(held.recheckAt, NOW + LOCK_RECHECK_MS, 'a kill -9 changes no file: the view looks again');
    assert.equal(runNode({ ...record({ runId: 'a', mtimeMs: NOW }), lock: 'stale' }, { now: NOW }).state, 'interrupted');
    // An end line wins over a lock not yet removed.
    assert.equal(runNode({ ...record({ runId: 'a', end: 'completed' }), lock: 'held' }, { now: NOW }).state, 'completed');
  });

  test('a half-written last line after the end line does not hide it; after rounds it reads as no end line', () => {
    assert.equal(runNode(record({ runId: 'a', end: 'completed', tail: '{"type":"rou' }), { now: NOW }).state, 'completed');
    assert.equal(runNode(record({ runId: 'a', tail: '{"type":"end","sta' }), { now: NOW }).state, 'interrupted');
  });

  test('a live run of this window is running whatever the file says, and its live end wins over a record not yet ended', () => {
    const live = new Map<string, RunStatus>([
      ['a', 'running'],
      ['b', 'aborted'],
    ]);
    assert.equal(runNode(record({ runId: 'a' }), { now: NOW, live }).state, 'running');
    assert.equal(runNode(record({ runId: 'b', mtimeMs: NOW }), { now: NOW, live }).state, 'interrupted');
    assert.equal(runNode(record({ runId: 'a', end: 'completed' }), { now: NOW, live }).state, 'completed', 'a stale live word does not outlive the end line');
  });
});

describe('runNode: what it shows', () => {
  test('label, description with rounds, final accuracy, ε and state; interrupted and failed runs are resumable', () => {
    const node = runNode(record({ runId: 'r1', accuracies: [0.5, 0.9123], epsilon: 1.234, end: 'aborted' }), { now: NOW });
    assert.equal(node.label, 'fedAvg lr=0.1');
    assert.equal(node.description, '2/3 rounds · acc 0.912 · ε 1.23 · interrupted');
    assert.equal(node.contextValue, 'fedbookRun.interrupted.resumable');
    assert.equal(node.icon, 'debug-pause');
    assert.match(node.tooltip, /strategy fedAvg: clientLr = 0\.1, seed = 1/);
    assert.equal(runNode(record({ runId: 'r2', end: 'completed' }), { now: NOW }).contextValue, 'fedbookRun.completed');
  });

  test('a run of a sweep shows its seed; the sweep id is read from a string or a tag', () => {
    const tagged = runNode(record({ runId: 'r', seed: 2, sweep: { id: 'sw', combination: 1, params: {}, seed: 2 }, end: 'completed' }), { now: NOW });
    assert.deepEqual([tagged.sweep, tagged.seed], ['sw', 2]);
    assert.match(tagged.description, /^seed 2 · 2\/3 rounds/);
    assert.equal(runNode(record({ runId: 'r', sweep: 'sw2' }), { now: NOW }).sweep, 'sw2');
  });

  test('an unreadable record throws with its file', () => {
    assert.throws(() => runNode({ file: 'x.jsonl', text: 'not json\n{}\n', mtimeMs: 0 }, { now: NOW }), /x\.jsonl: line 1/);
  });
});

describe('buildRunsTree', () => {
  const records = [
    record({ runId: 'old', startedAt: '2026-11-25T09:00:00Z', end: 'completed' }),
    record({ runId: 's-b1', sweep: 'sw', seed: 1, clientLr: 0.1, startedAt: '2026-11-25T10:00:00Z', end: 'completed' }),
    record({ runId: 's-a2', sweep: 'sw', seed: 2, clientLr: 0.01, startedAt: '2026-11-25T10:03:00Z', end: 'completed' }),
    record({ runId: 's-a1', sweep: 'sw', seed: 1, clientLr: 0.01, startedAt: '2026-11-25T10:02:00Z' }),
    record({ runId: 'new', startedAt: '2026-11-25T11:00:00Z', end: 'failed' }),
    { file: '/ws/.fedbook/runs/broken.jsonl', text: '{"type":"round"}\n', mtimeMs: 0 },
  ];

  test('sweeps group their runs (by setting, then seed); the top level is newest first, a sweep placed by its newest run', () => {
    const { nodes, unreadable } = buildRunsTree(records, { now: NOW });
    assert.deepEqual(
      nodes.map((n) => (n.kind === 'sweep' ? `sweep:${n.sweepId}` : n.runId)),
      ['new', 'sweep:sw', 'old'],
    );
    const sweep = nodes[1] as SweepNode;
    assert.deepEqual(
      sweep.children.map((c) => c.runId),
      ['s-a1', 's-a2', 's-b1'],
    );
    assert.equal(sweep.label, 'Sweep sw');
    assert.equal(sweep.description, '3 runs · 2 settings · 1 interrupted');
    assert.deepEqual(
      unreadable.map((u) => u.file),
      ['/ws/.fedbook/runs/broken.jsonl'],
    );
  });

  test('a selection stands for its runs once each; a sweep for all of its runs', () => {
    const { nodes } = buildRunsTree(records, { now: NOW });
    const sweep = nodes[1] as SweepNode;
    assert.deepEqual(
      selectedRuns([sweep.children[0], sweep, nodes[0]]).map((r) => r.runId),
      ['s-a1', 's-a2', 's-b1', 'new'],
    );
  });
});

describe('resumeSnippet', () => {
  test('a cell that resumes the run by id with its planned rounds, and says what it assumes', () => {
    const snippet = resumeSnippet({ runId: 'r1', label: 'fedAvg lr=0.1', plannedRounds: 50 } as RunNode);
    assert.match(snippet, /^\/\/ Resume run r1 \(fedAvg lr=0\.1\) from its latest checkpoint\./);
    assert.ok(snippet.endsWith("const resumed = await algo.run({ rounds: 50, clients, evaluate: test, resume: 'r1' });"));
  });
});
