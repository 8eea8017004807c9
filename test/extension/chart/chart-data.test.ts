/**
 * The round chart's data handling: merging live bundles, series, CSV, and
 * parsing run records.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RunStore, legendLabel, parseRunRecord } from '../../../extension/chart/chart-data';
import { metricValue, type RoundMetrics, type RunBundle } from '../../../kernel/contract';

const round = (n: number, extra: Partial<RoundMetrics> = {}): RoundMetrics => ({
  round: n,
  trainLoss: 1 / n,
  clients: 10,
  failures: 0,
  bytesDown: 1000,
  bytesUp: 500,
  ms: 20,
  ...extra,
});
const bundle = (rounds: RoundMetrics[], over: Partial<RunBundle> = {}): RunBundle => ({
  runId: 'a',
  label: '',
  strategy: 'fedAvg',
  hyperparameters: { localEpochs: 5, batchSize: 10, clientLr: 0.1 },
  plannedRounds: 3,
  status: 'running',
  rounds,
  ...over,
});

describe('RunStore', () => {
  test('a resumed run is one continuous line: its replayed rounds are known, and rounds drawn past its checkpoint are dropped once', () => {
    const store = new RunStore();
    store.upsert(bundle([round(1), round(2), round(3)]));
    // Killed after round 3, resumed from the checkpoint of round 2: the first bundle replays rounds 1–2.
    const resumed = bundle([round(1), round(2)], { replayedRounds: 2, plannedRounds: 4 });
    assert.equal(store.rewind(resumed), true);
    assert.deepEqual(store.upsert(resumed), []);
    assert.deepEqual(
      store.get('a')!.rounds.map((r) => r.round),
      [1, 2],
    );
    const next = bundle([round(1), round(2), round(3, { trainLoss: 0.3 })], { replayedRounds: 2 });
    assert.equal(store.rewind(next), false, 'later bundles of the same resume rewind nothing');
    assert.deepEqual(
      store.upsert(next).map((r) => r.trainLoss),
      [0.3],
    );
    assert.equal(store.rewind(bundle([round(1)], { runId: 'b', replayedRounds: 1 })), false, 'a run the chart has not drawn has nothing to rewind');
  });

  test('upsert returns only rounds not seen before, so each round is drawn once', () => {
    const store = new RunStore();
    assert.deepEqual(
      store.upsert(bundle([round(1)])).map((r) => r.round),
      [1],
    );
    assert.deepEqual(
      store.upsert(bundle([round(1), round(2), round(3)])).map((r) => r.round),
      [2, 3],
    );
    assert.deepEqual(store.upsert(bundle([round(1), round(2), round(3)], { status: 'completed' })), []);
    assert.equal(store.get('a')?.status, 'completed');
    assert.equal(store.get('a')?.rounds.length, 3);
  });

  test('series skip rounds without the metric; bytes is up + down', () => {
    const store = new RunStore();
    store.upsert(bundle([round(1, { testAccuracy: 0.5 }), round(2), round(3, { testAccuracy: 0.75 })]));
    assert.deepEqual(store.series('testAccuracy'), [{ runId: 'a', name: 'fedAvg localEpochs=5 batchSize=10 clientLr=0.1', x: [1, 3], y: [0.5, 0.75] }]);
    assert.deepEqual(store.series('bytes')[0].y, [1500, 1500, 1500]);
    assert.equal(metricValue(round(4, { epsilon: Number.NaN }), 'epsilon'), undefined);
  });

  test('several runs overlay as separate series in insertion order', () => {
    const store = new RunStore();
    store.upsert(bundle([round(1)], { runId: 'a', label: 'fedAvg E=5' }));
    store.upsert(bundle([round(1), round(2)], { runId: 'b', label: 'fedSgd lr=0.5' }));
    assert.deepEqual(
      store.series('trainLoss').map((s) => [s.name, s.x.length]),
      [
        ['fedAvg E=5', 1],
        ['fedSgd lr=0.5', 2],
      ],
    );
  });

  test('CSV has a header and one row per run and round, quoting labels with commas', () => {
    const store = new RunStore();
    store.upsert(bundle([round(1, { testAccuracy: 0.5 }), round(2)], { label: 'fedAvg, E=5' }));
    // Every plotted metric is a column, client accuracy and backdoor success included (empty where a round lacks them).
    const header =
      'runId,label,round,testAccuracy,testLoss,trainLoss,clientAccuracyMean,clientAccuracyP10,clientAccuracyWorst,attackSuccessRate,epsilon,bytes,ms';
    assert.equal(store.toCsv(), `${header}\na,"fedAvg, E=5",1,0.5,,1,,,,,,1500,20\na,"fedAvg, E=5",2,,,0.5,,,,,,1500,20\n`);
  });

  test('append to an unknown run throws with the run id', () => {
    assert.throws(() => new RunStore().append('zz', [round(1)]), { message: 'unknown run "zz"' });
  });
});

describe('legendLabel', () => {
  test('uses the label, else strategy and scalar hyperparameters', () => {
    assert.equal(legendLabel({ runId: 'r', label: 'mine', strategy: 'fedAvg', hyperparameters: {} }), 'mine');
    assert.equal(legendLabel({ runId: 'r', label: '', strategy: 'fedProx', hyperparameters: { mu: 0.01, model: { layers: 3 } } }), 'fedProx mu=0.01');
  });
});

describe('parseRunRecord', () => {
  const config = JSON.stringify({
    type: 'config',
    runId: 'r9',
    label: 'fedAvg E=1',
    strategy: 'fedAvg',
    hyperparameters: { localEpochs: 1 },
    seed: 1,
    backend: 'wasm',
    workers: 2,
    version: '0.1.0',
    startedAt: '2026-11-25T04:00:00Z',
    plannedRounds: 2,
  });
  const r = (n: number) => JSON.stringify({ type: 'round', ...round(n) });

  test('reads config, rounds and end status', () => {
    const run = parseRunRecord([config, r(1), r(2), JSON.stringify({ type: 'end', status: 'completed', endedAt: 'x' }), ''].join('\n'));
    assert.deepEqual([run.runId, run.label, run.plannedRounds, run.status, run.rounds.map((x) => x.round)], ['r9', 'fedAvg E=1', 2, 'completed', [1, 2]]);
    assert.equal('type' in run.rounds[0], false);
  });

  test('a killed run (no end line, half-written last line) stays "running" with its finished rounds', () => {
    const run = parseRunRecord([config, r(1), '{"type":"round","rou'].join('\n'));
    assert.deepEqual([run.status, run.rounds.length], ['running', 1]);
  });

  test('a resumed run is one run: rounds above the resume point written before it are dropped, the last end line wins', () => {
    const end = (status: string) => JSON.stringify({ type: 'end', status, endedAt: 'x' });
    const resume = JSON.stringify({ type: 'resume', fromRound: 1, resumedAt: 'x' });
    const resumed = parseRunRecord([config, r(1), r(2), end('aborted'), resume].join('\n'));
    assert.deepEqual([resumed.status, resumed.rounds.map((x) => x.round)], ['running', [1]]);
    const done = parseRunRecord([config, r(1), r(2), end('aborted'), resume, r(2), end('completed')].join('\n'));
    assert.deepEqual([done.status, done.rounds.map((x) => x.round)], ['completed', [1, 2]]);
  });

  test('malformed input names the line', () => {
    assert.throws(() => parseRunRecord([config, 'nope', r(2)].join('\n'), 'runs/r9.jsonl'), { message: 'runs/r9.jsonl: line 2 is not valid JSON' });
    assert.throws(() => parseRunRecord(r(1) + '\n', 'f'), { message: 'f: line 1 comes before the config line' });
    assert.throws(() => parseRunRecord('\n', 'f'), { message: 'f: no config line' });
  });
});

test("a federated run's live client states follow the newest bundle, and go once a bundle has none", () => {
  const store = new RunStore();
  const live = { round: 2, clients: [{ id: 0, name: 'alice', state: 'training' as const }] };
  store.upsert(bundle([round(1)], { liveClients: live }));
  assert.deepEqual(store.get('a')!.liveClients, live);
  assert.deepEqual(store.upsert(bundle([round(1), round(2)])), [round(2)]);
  assert.equal(store.get('a')!.liveClients, undefined, 'round 2 ended: its metrics hold the states');
});
