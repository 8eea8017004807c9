/**
 * The pure mapping from kernel IOPub messages to notebook output actions.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ERROR_MIME,
  STDERR_MIME,
  STDOUT_MIME,
  mapIopubMessage,
  mapMimeBundle,
  runDisplayOf,
  runDisplaysOf,
  type OutputAction,
} from '../../../extension/notebook/output-mapper';
import { RUN_MIME, SWEEP_MIME, type RunBundle } from '../../../kernel/contract';

const text = (data: Uint8Array) => new TextDecoder().decode(data);
const message = (msg_type: string, content: Record<string, unknown>, date?: string) => ({ header: { msg_type, date }, content });
const bundle: RunBundle = {
  runId: 'r1',
  label: 'fedAvg E=1',
  strategy: 'fedAvg',
  hyperparameters: { localEpochs: 1 },
  plannedRounds: 50,
  status: 'running',
  rounds: [{ round: 1, trainLoss: 2.1, testAccuracy: 0.31, clients: 10, failures: 0, bytesDown: 100, bytesUp: 100, ms: 40 }],
};

describe('mapIopubMessage', () => {
  test('a stream becomes a stream action with VS Code stdout/stderr MIME types', () => {
    const out = mapIopubMessage(message('stream', { name: 'stdout', text: 'round 1\n' }));
    const err = mapIopubMessage(message('stream', { name: 'stderr', text: 'warn\n' }));
    assert.equal(out.kind, 'stream');
    assert.equal(err.kind, 'stream');
    if (out.kind !== 'stream' || err.kind !== 'stream') return;
    assert.deepEqual([out.name, out.item.mime, text(out.item.data)], ['stdout', STDOUT_MIME, 'round 1\n']);
    assert.deepEqual([err.name, err.item.mime, text(err.item.data)], ['stderr', STDERR_MIME, 'warn\n']);
  });

  test('display_data keeps its display id and orders the run bundle before text/plain', () => {
    const action = mapIopubMessage(
      message('display_data', { data: { 'text/plain': 'fedAvg: round 1/50', [RUN_MIME]: bundle }, metadata: {}, transient: { display_id: 'd-7' } }),
    );
    assert.equal(action.kind, 'append');
    if (action.kind !== 'append') return;
    assert.equal(action.output.displayId, 'd-7');
    assert.deepEqual(
      action.output.items.map((i) => i.mime),
      [RUN_MIME, 'text/plain'],
    );
    assert.deepEqual(JSON.parse(text(action.output.items[0].data)), bundle);
  });

  test('update_display_data targets its display id; without one it is ignored', () => {
    const update = mapIopubMessage(message('update_display_data', { data: { 'text/plain': 'round 2/50' }, metadata: {}, transient: { display_id: 'd-7' } }));
    assert.deepEqual(update.kind === 'update' && [update.displayId, text(update.output.items[0].data)], ['d-7', 'round 2/50']);
    assert.deepEqual(mapIopubMessage(message('update_display_data', { data: {}, metadata: {}, transient: {} })), { kind: 'ignore' } satisfies OutputAction);
  });

  test('an error keeps the kernel traceback (cell-relative lines) as the stack', () => {
    const action = mapIopubMessage(
      message('error', { ename: 'TypeError', evalue: 'x is not a function', traceback: ['TypeError: x is not a function', '    at cell 3, line 2'] }),
    );
    assert.equal(action.kind, 'append');
    if (action.kind !== 'append') return;
    assert.equal(action.output.items[0].mime, ERROR_MIME);
    assert.deepEqual(JSON.parse(text(action.output.items[0].data)), {
      name: 'TypeError',
      message: 'x is not a function',
      stack: 'TypeError: x is not a function\n    at cell 3, line 2',
    });
  });

  test('execute_input carries the execution count; clear_output its wait flag; unknown types are ignored', () => {
    assert.deepEqual(mapIopubMessage(message('execute_input', { code: '1', execution_count: 12 })), { kind: 'executionCount', count: 12 });
    assert.deepEqual(mapIopubMessage(message('clear_output', { wait: true })), { kind: 'clear', wait: true });
    assert.deepEqual(mapIopubMessage(message('comm_open', {})), { kind: 'ignore' });
  });
});

describe('mapMimeBundle', () => {
  test('base64 PNG is decoded to bytes; SVG and text stay text; multi-line arrays are joined', () => {
    const items = mapMimeBundle({ 'text/plain': ['a\n', 'b'], 'image/png': Buffer.from([137, 80, 78, 71]).toString('base64'), 'image/svg+xml': '<svg/>' });
    const byMime = Object.fromEntries(items.map((i) => [i.mime, i.data]));
    assert.deepEqual([...byMime['image/png']], [137, 80, 78, 71]);
    assert.equal(text(byMime['image/svg+xml']), '<svg/>');
    assert.equal(text(byMime['text/plain']), 'a\nb');
    assert.deepEqual(
      items.map((i) => i.mime),
      ['image/svg+xml', 'image/png', 'text/plain'],
    );
  });
});

describe('runDisplayOf', () => {
  test('extracts the run bundle, display id and publish time from a display message', () => {
    const run = runDisplayOf(message('update_display_data', { data: { [RUN_MIME]: bundle }, transient: { display_id: 'd-7' } }, '2026-11-25T04:00:00.250Z'));
    assert.deepEqual(run, { bundle, displayId: 'd-7', publishedAt: Date.parse('2026-11-25T04:00:00.250Z') });
  });

  test('returns undefined for other messages and malformed bundles', () => {
    assert.equal(runDisplayOf(message('stream', { name: 'stdout', text: 'x' })), undefined);
    assert.equal(runDisplayOf(message('display_data', { data: { 'text/plain': 'x' } })), undefined);
    assert.equal(runDisplayOf(message('display_data', { data: { [RUN_MIME]: { runId: 'r', rounds: 'no' } } })), undefined);
  });
});

test("a sweep's live output gives every run it holds to the chart, and the cell shows its HTML table", () => {
  const run = (runId: string, combination: number, seed: number) => ({
    runId,
    label: '',
    strategy: 'fedAvg',
    hyperparameters: { clientLr: 0.1 * (combination + 1) },
    seed,
    sweep: 's-1',
    combination,
    status: 'running',
    rounds: [{ round: 1, trainLoss: 1, clients: 2, failures: 0, bytesDown: 0, bytesUp: 0, ms: 1 }],
  });
  const data = { 'text/plain': 'sweep s-1', 'text/html': '<div>sweep</div>', [SWEEP_MIME]: { sweepId: 's-1', runs: [run('a', 0, 1), run('b', 1, 1)] } };
  const update = {
    header: { msg_type: 'update_display_data', date: '2026-01-01T00:00:00.000Z' },
    content: { data, metadata: {}, transient: { display_id: 'fedbook-sweep-s-1' } },
  };
  const runs = runDisplaysOf(update);
  assert.deepEqual(
    runs.map((r) => [r.bundle.runId, r.bundle.seed, r.bundle.sweep, r.publishedAt]),
    [
      ['a', 1, 's-1', Date.parse('2026-01-01T00:00:00.000Z')],
      ['b', 1, 's-1', Date.parse('2026-01-01T00:00:00.000Z')],
    ],
  );
  assert.equal('combination' in runs[0].bundle, false);
  const action = mapIopubMessage(update);
  assert.deepEqual(action.kind === 'update' && action.output.items.map((item) => item.mime), ['text/html', 'text/plain', SWEEP_MIME]);
  assert.deepEqual(runDisplaysOf({ header: { msg_type: 'display_data' }, content: { data: { 'text/plain': 'x' } } }), []);
});
