/** The runs view's model: states, descriptions, and sweeps grouped in grid order, newest first. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRunsTree, summarizeRecord, type RunSummaryItem, type SweepGroupItem } from '../../../extension/runs/runs-tree';

const config = (runId: string, startedAt: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    type: 'config',
    runId,
    label: `fedAvg ${runId}`,
    strategy: 'fedAvg',
    hyperparameters: { clientLr: 0.1, seed: 1 },
    seed: 1,
    backend: 'wasm',
    workers: 2,
    version: '0.1.0',
    startedAt,
    plannedRounds: 3,
    ...extra,
  });
const round = (n: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'round', round: n, trainLoss: 1, testAccuracy: 0.5 + n / 10, clients: 3, failures: 0, bytesDown: 0, bytesUp: 0, ms: 1, ...extra });
const end = (status: string) => JSON.stringify({ type: 'end', status, endedAt: 'x' });
const record = (...lines: string[]) => lines.join('\n') + '\n';

test('a run: rounds of its plan, final accuracy, ε, and its state', () => {
  const done = summarizeRecord(
    record(config('a', '2026-01-01T00:00:00Z'), round(1), round(2), round(3, { epsilon: 1.234 }), end('completed')),
    'file:///a.jsonl',
  );
  assert.equal(done.label, 'fedAvg a');
  assert.equal(done.description, '3/3 rounds · acc 0.800 · ε 1.23 · completed');
  assert.equal(done.state, 'completed');
  assert.match(done.tooltip, /^fedAvg · run a\nstarted 2026-01-01T00:00:00Z\nclientLr: 0\.1\nseed: 1$/);
  const killed = summarizeRecord(record(config('b', 'x'), round(1)), 'b');
  assert.equal(killed.state, 'interrupted', 'no end line and not live: its process died');
  assert.equal(summarizeRecord(record(config('b', 'x'), round(1)), 'b', new Set(['b'])).state, 'running');
  assert.equal(summarizeRecord(record(config('c', 'x'), round(1), end('aborted')), 'c').state, 'interrupted');
  assert.equal(summarizeRecord(record(config('c', 'x'), round(1), end('failed')), 'c').state, 'failed');
  assert.equal(summarizeRecord(record(config('c', 'x'), round(1), end('stopped')), 'c').description, '1/3 rounds · acc 0.600 · stopped');
  const fromState = summarizeRecord(record(config('d', 'x', { fromRound: 5 }), round(6)), 'd');
  assert.equal(fromState.description, '6/8 rounds · acc 1.100 · interrupted', 'a run continued from round 5 for 3 rounds ends at 8');
});

test('sweeps: one node per sweep with its runs in grid order; everything newest first', () => {
  const swept = (runId: string, combination: number, seed: number, startedAt: string, status = 'completed') =>
    summarizeRecord(
      record(config(runId, startedAt, { sweep: { id: 'sweep-1', combination, params: { clientLr: combination }, seed } }), round(1), end(status)),
      runId,
    );
  const items: RunSummaryItem[] = [
    summarizeRecord(record(config('old', '2026-01-01T00:00:00Z'), round(1), end('completed')), 'old'),
    swept('s3', 1, 2, '2026-01-02T00:03:00Z', 'aborted'),
    swept('s1', 0, 1, '2026-01-02T00:00:00Z'),
    swept('s2', 0, 2, '2026-01-02T00:01:00Z'),
    summarizeRecord(record(config('new', '2026-01-03T00:00:00Z'), round(1), end('completed')), 'new'),
  ];
  const tree = buildRunsTree(items);
  assert.deepEqual(
    tree.map((item) => (item.kind === 'run' ? item.runId : item.sweepId)),
    ['new', 'sweep-1', 'old'],
  );
  const sweep = tree[1] as SweepGroupItem;
  assert.deepEqual(
    sweep.children.map((run) => run.runId),
    ['s1', 's2', 's3'],
  );
  assert.equal(sweep.label, 'fedAvg sweep');
  assert.equal(sweep.description, '2 combination(s) × 2 seed(s) · 2/3 runs done · interrupted');
});
