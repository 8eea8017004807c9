import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { createExecutor } from '../../../kernel/execution';
import type { ExecutionOutcome } from '../../../kernel/execution/executor';
import { publishRunEvent } from '../../../kernel/simulation/run-events';
import { RUN_MIME, type RunBundle } from '../../../kernel/contract';
import { parseDeclarations, buildDocIndex } from '../../../kernel/execution/docs';
import { displayRound, progressIntervalMs, progressLine } from '../../../kernel/execution/run-progress';
import { recordingSink, type RecordingSink } from './recording-sink';

const executor = createExecutor({ cwd: tmpdir(), captureKernelConsole: false });
after(() => executor.dispose());

let count = 0;
async function run(code: string, sink: RecordingSink = recordingSink()): Promise<{ outcome: ExecutionOutcome; sink: RecordingSink }> {
  const outcome = await executor.execute(code, sink, { silent: false, executionCount: ++count });
  assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
  return { outcome, sink };
}

test('display helpers emit their MIME bundles in order with console output', async () => {
  const { sink } = await run(
    [
      'console.log("first");',
      'display.html("<b>bold</b>");',
      'display.markdown("# Title");',
      'display({ "image/svg+xml": "<svg/>" });',
      'display.plotly([{ x: [1, 2], y: [3, 4], type: "bar" }], );',
      'display.clear(true);',
    ].join('\n'),
  );
  // The plotly bundle's text/html fallback is tested in plotly-html.test.ts; here, that it is there.
  const plotlyHtml = (sink.events[4] as { data: Record<string, unknown> }).data['text/html'];
  assert.match(String(plotlyHtml), /^<div id="fedbook-plotly-[\w-]+" class="fedbook-plotly-fallback">Plotly figure: 1 trace \(bar\)<\/div>/);
  assert.deepEqual(sink.events, [
    { kind: 'stream', name: 'stdout', text: 'first\n' },
    { kind: 'display', data: { 'text/html': '<b>bold</b>', 'text/plain': 'bold' } },
    { kind: 'display', data: { 'text/markdown': '# Title', 'text/plain': '# Title' } },
    { kind: 'display', data: { 'image/svg+xml': '<svg/>', 'text/plain': '<image/svg+xml>' } },
    {
      kind: 'display',
      data: {
        'application/vnd.plotly.v1+json': { data: [{ x: [1, 2], y: [3, 4], type: 'bar' }], layout: {} },
        'text/html': plotlyHtml,
        'text/plain': 'Plotly figure: 1 trace (bar)',
      },
    },
    { kind: 'clear', wait: true },
  ]);
});

test('display with an id returns a handle that updates the same output; the handle is not a result', async () => {
  const { outcome, sink } = await run('const handle = display("step 1", { id: "status" });\nhandle.update("step 2");\ndisplay.update("status", 3);\nhandle');
  assert.deepEqual(outcome, { status: 'ok' });
  assert.deepEqual(sink.events, [
    { kind: 'display', data: { 'text/plain': "'step 1'" }, displayId: 'status' },
    { kind: 'update', data: { 'text/plain': "'step 2'" }, displayId: 'status' },
    { kind: 'update', data: { 'text/plain': '3' }, displayId: 'status' },
  ]);
});

test('display rejects bad arguments with exact messages', async () => {
  const outcome = await executor.execute('display.html(42)', recordingSink(), { silent: false, executionCount: ++count });
  assert.equal(outcome.status === 'error' && outcome.evalue, 'display.html: expected a string of HTML, got number');
  const second = await executor.execute('display.plotly({ layout: {} })', recordingSink(), { silent: false, executionCount: ++count });
  assert.equal(second.status === 'error' && second.evalue, 'display.plotly: expected a figure { data: [traces], layout? } or an array of traces');
});

test('typed arrays render with length, min, max, mean and a preview', async () => {
  const { outcome } = await run('new Float32Array([1, 2, 3, 6])');
  assert.deepEqual(outcome, { status: 'ok', result: { 'text/plain': 'Float32Array(4) · min 1 · max 6 · mean 3\n[1, 2, 3, 6]' } });
});

test('a lone string, a dataset and a plain object render as text', async () => {
  const text = async (code: string) => {
    const { outcome } = await run(code);
    return outcome.status === 'ok' ? outcome.result?.['text/plain'] : undefined;
  };
  assert.equal(await text("'just a string'"), "'just a string'");
  assert.equal(
    await text("({ x: new Float32Array(4 * 2), y: new Int32Array([0, 2, 2, 1]), exampleShape: [2], numClasses: 3, length: 4, name: 'tiny' })"),
    "Dataset 'tiny': 4 examples of shape [2], 3 classes\nexamples per class: 1 1 2",
  );
  assert.equal(await text('({ a: 1, b: [1, 2] })'), '{ a: 1, b: [ 1, 2 ] }');
});

test('a run result renders as a table of rounds', async () => {
  const { outcome } = await run(
    '({ id: "r1", rounds: [{ round: 1, testAccuracy: 0.5, trainLoss: 2, clients: 10, failures: 0, ms: 12 }, { round: 2, testAccuracy: 0.75, trainLoss: 1.5, clients: 10, failures: 1, ms: 11 }] })',
  );
  assert.equal(outcome.status, 'ok');
  const result = outcome.status === 'ok' ? outcome.result! : {};
  assert.equal(
    result['text/plain'],
    [
      'run r1: 2 rounds',
      'round  test acc  train loss  clients  failures  ms',
      '    1       0.5           2       10         0  12',
      '    2      0.75         1.5       10         1  11',
    ].join('\n'),
  );
  assert.match(String(result['text/html']), /<th>test acc<\/th>.*<td>0.75<\/td>/);
});

test('a tensor renders with dtype, shape and values', async () => {
  const { outcome } = await run('tf.tensor2d([[1, 2], [3, 4]])');
  assert.equal(outcome.status === 'ok' && outcome.result?.['text/plain'], 'Tensor float32 [2, 2]\n    [[1, 2],\n     [3, 4]]');
});

test('completion lists members of fed and of a declared object, with the replaced range', async () => {
  const fedMembers = await executor.complete('const ds = fed.da', 17);
  assert.deepEqual(fedMembers.matches, ['datasets']);
  assert.equal(fedMembers.cursorStart, 15);
  assert.equal(fedMembers.cursorEnd, 17);
  await run('const experiment = { rounds: 3, rate: 0.1, run() { return 1 } };');
  const members = await executor.complete('experiment.r', 12);
  assert.deepEqual(members.matches, ['rate', 'rounds', 'run']);
  assert.equal(members.cursorStart, 11);
  const globals = await executor.complete('exper', 5);
  assert.deepEqual(globals.matches, ['experiment']);
  assert.deepEqual(await executor.complete('experiment.run().', 17), { matches: [], cursorStart: 17, cursorEnd: 17 });
});

test('inspect shows TSDoc for fed members and a summary for user values', async () => {
  const docs = await executor.inspect('fed.fedAvg({', 12, 0);
  assert.equal(docs.found, true);
  assert.match(String(docs.data['text/plain']), /^fed\.fedAvg: fedAvg: \(options: AlgorithmOptions\) => FederatedAlgorithm\n\nFedAvg \(McMahan et al\. 2017\)/);
  await run('const settings = { clients: 100 };');
  const user = await executor.inspect('settings', 3, 0);
  assert.deepEqual(user, { found: true, data: { 'text/plain': 'settings: object\n\n{ clients: 100 }' } });
  assert.deepEqual(await executor.inspect('notDefinedAnywhere', 4, 0), { found: false, data: {} });
});

test('help(value) pages the signature and documentation', async () => {
  const { sink } = await run('help(fed.partition)');
  assert.equal(sink.events.length, 1);
  const event = sink.events[0];
  assert.equal(event.kind, 'page');
  assert.match(String(event.kind === 'page' && event.data['text/plain']), /^fed\.partition: function partition\(.*\n\nSplits `dataset` among clients/);
});

test('the TSDoc reader keeps containers and multi-line signatures', () => {
  const entries = parseDeclarations(
    [
      '/** Options of a run. */',
      'export interface RunOptions {',
      '    /** Number of rounds. */',
      '    rounds: number;',
      '}',
      '/** Makes a thing. */',
      'export declare function make(options: {',
      '    size: number;',
      '}): Thing;',
      'export interface Algo {',
      '    /** Scores. */',
      '    evaluate(state: State): Promise<{',
      '        accuracy: number;',
      '    }>;',
      '    name: string;',
      '}',
    ].join('\n'),
  );
  assert.deepEqual(entries, [
    { name: 'RunOptions', signature: 'interface RunOptions', doc: 'Options of a run.' },
    { name: 'RunOptions.rounds', signature: 'rounds: number', doc: 'Number of rounds.' },
    { name: 'make', signature: 'function make(options: { size: number; }): Thing', doc: 'Makes a thing.' },
    { name: 'Algo', signature: 'interface Algo', doc: '' },
    { name: 'Algo.evaluate', signature: 'evaluate(state: State): Promise<{ accuracy: number; }>', doc: 'Scores.' },
    { name: 'Algo.name', signature: 'name: string', doc: '' },
  ]);
  assert.equal(buildDocIndex([]).lookup(['x']), undefined);
});

test('isComplete: open brackets, templates and comments are incomplete; stray closers are invalid', () => {
  assert.deepEqual(executor.isComplete('const a = 1'), { status: 'complete' });
  assert.deepEqual(executor.isComplete('function f() {\n  if (x) {'), { status: 'incomplete', indent: '    ' });
  assert.deepEqual(executor.isComplete('const s = `abc ${1 + 2}'), { status: 'incomplete', indent: '' });
  assert.deepEqual(executor.isComplete('/* still a comment'), { status: 'incomplete', indent: '' });
  assert.deepEqual(executor.isComplete('const total = 1 +'), { status: 'incomplete', indent: '' });
  assert.deepEqual(executor.isComplete('const x = "a\nb"'), { status: 'invalid' });
  assert.deepEqual(executor.isComplete('let y = 1)'), { status: 'invalid' });
  assert.deepEqual(executor.isComplete('const t = `x ${ "}" } y`'), { status: 'complete' });
});

test('a run published while a cell runs shows one live output updated each round, then its final status', async () => {
  const sink = recordingSink();
  // The cell yields to the event loop so that the "engine" below publishes while it runs.
  const cell = executor.execute('await new Promise((resolve) => setTimeout(resolve, 300)); "done"', sink, { silent: false, executionCount: ++count });
  await new Promise((resolve) => setTimeout(resolve, 50));
  publishRunEvent('runStarted', { runId: 'abc', rounds: 3, label: 'fedAvg E=1', config: { strategy: 'fedAvg', clientLr: 0.1 } });
  for (let round = 1; round <= 3; round++) {
    publishRunEvent('roundFinished', {
      runId: 'abc',
      metrics: { round, testAccuracy: 0.5 + round / 10, trainLoss: 1 / round, clients: 10, failures: 0, bytesDown: 0, bytesUp: 0, ms: 5 },
    });
  }
  publishRunEvent('runEnded', { runId: 'abc', status: 'completed' });
  const outcome = await cell;
  assert.equal(outcome.status === 'ok' && outcome.result?.['text/plain'], "'done'");

  const shown = sink.events.filter((e) => e.kind === 'display' || e.kind === 'update');
  assert.equal(shown[0].kind, 'display');
  assert.ok(shown.every((e) => (e as { displayId?: string }).displayId === 'fedbook-run-abc'));
  assert.ok(shown.length >= 2 && shown.length <= 5, `throttled to a few updates, got ${shown.length}`);
  const last = shown[shown.length - 1] as { data: Record<string, unknown> };
  const bundle = last.data[RUN_MIME] as RunBundle;
  assert.equal(bundle.status, 'completed');
  assert.equal(bundle.strategy, 'fedAvg');
  assert.deepEqual(bundle.hyperparameters, { clientLr: 0.1 });
  assert.deepEqual(
    bundle.rounds.map((r) => r.round),
    [1, 2, 3],
  );
  assert.match(String(last.data['text/plain']), /^fedAvg E=1: round 3\/3 · acc 0\.8 · loss 0\.33 · \d+\.\d s elapsed · completed$/);
});

test("a federated run's live bundle keeps client states on its newest round only (the record keeps them all)", async () => {
  const sink = recordingSink();
  const cell = executor.execute('await new Promise((resolve) => setTimeout(resolve, 200)); 1', sink, { silent: false, executionCount: ++count });
  await new Promise((resolve) => setTimeout(resolve, 50));
  publishRunEvent('runStarted', { runId: 'fed', rounds: 3, label: 'remote', config: { strategy: 'fedAvg' } });
  for (let round = 1; round <= 3; round++) {
    const clientStates = [{ id: 0, name: 'alice', state: round === 2 ? ('dropped' as const) : ('done' as const) }];
    publishRunEvent('clientStates', { runId: 'fed', round, states: [{ id: 0, name: 'alice', state: 'training' }] });
    publishRunEvent('roundFinished', {
      runId: 'fed',
      metrics: { round, trainLoss: 1, clients: 1, failures: 0, bytesDown: 0, bytesUp: 0, ms: 5, clientStates },
    });
  }
  // A fourth round under way when the run is stopped: its live states stay, the others were superseded by their rounds.
  publishRunEvent('clientStates', { runId: 'fed', round: 4, states: [{ id: 0, name: 'alice', state: 'training' }] });
  publishRunEvent('runEnded', { runId: 'fed', status: 'completed' });
  await cell;
  const shown = sink.events.filter((e) => e.kind === 'display' || e.kind === 'update');
  const bundle = (shown[shown.length - 1] as { data: Record<string, unknown> }).data[RUN_MIME] as RunBundle;
  assert.deepEqual(
    bundle.rounds.map((r) => [r.round, r.clientStates?.map((c) => c.state)]),
    [
      [1, undefined],
      [2, undefined],
      [3, ['done']],
    ],
  );
  assert.deepEqual(bundle.liveClients, { round: 4, clients: [{ id: 0, name: 'alice', state: 'training' }] });
  const text = String((shown[shown.length - 1] as { data: Record<string, unknown> }).data['text/plain']);
  assert.match(text, / · clients 1 done · /, 'the progress line says where the clients stand');
});

test('the progress line shows ε and an ETA while running', () => {
  const bundle: RunBundle = {
    runId: 'x',
    label: 'l',
    strategy: 's',
    hyperparameters: {},
    plannedRounds: 20,
    status: 'running',
    rounds: [1, 2, 3].map((round) => ({
      round,
      testAccuracy: 0.912,
      testLoss: 0.31,
      trainLoss: 0.4,
      clients: 10,
      failures: 0,
      bytesDown: 0,
      bytesUp: 0,
      ms: 1,
      epsilon: 1.2,
    })),
  };
  assert.equal(progressLine(bundle, 12_300), 'round 3/20 · acc 0.912 · loss 0.31 · ε 1.2 · 12.3 s elapsed · ETA 70 s');
  // Resumed after round 2: the two replayed rounds count towards 3/20 but not towards the pace (12.3 s for one round, 17 left).
  assert.equal(progressLine({ ...bundle, replayedRounds: 2 }, 12_300), 'round 3/20 · acc 0.912 · loss 0.31 · ε 1.2 · 12.3 s elapsed · ETA 209 s');
  assert.equal(progressLine({ ...bundle, replayedRounds: 3 }, 300), 'round 3/20 · acc 0.912 · loss 0.31 · ε 1.2 · 0.3 s elapsed', 'no pace before a round ran');
});

test('live run displays leave out per-phase timings and slow down as a run grows past 1,000 rounds', () => {
  const round = {
    round: 1,
    trainLoss: 2,
    clients: 10,
    failures: 0,
    bytesDown: 0,
    bytesUp: 0,
    ms: 5,
    phases: { sample: 0.1, broadcast: 0.1, train: 4, aggregate: 0.5, evaluate: 0.3 },
  };
  assert.deepEqual(displayRound(round), { round: 1, trainLoss: 2, clients: 10, failures: 0, bytesDown: 0, bytesUp: 0, ms: 5 });
  assert.equal(progressIntervalMs(10), 100);
  assert.equal(progressIntervalMs(1000), 100);
  assert.equal(progressIntervalMs(5000), 500);
});
