/**
 * DP-FedAvg and secure aggregation through the real engine path: real MNIST,
 * real worker threads, real WASM training, run records on disk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import type { Dataset } from '../../../../kernel/data/dataset';
import type { FederatedData } from '../../../../kernel/federated/partition/federated-data';

let clients: FederatedData, test_: Dataset;

before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-runs-'));
  const { train, test } = await fed.datasets.mnist({ trainLimit: 2000, testLimit: 500, subsetSeed: 3 });
  test_ = test;
  clients = fed.partition(train, { clients: 40, scheme: 'iid', seed: 3 });
});
after(() => fed.shutdown());

test('a DP run records epsilon growing every round, with DP metrics and Poisson cohorts', async () => {
  const algo = fed.fedAvg({
    model: fed.models.logistic(),
    clientsPerRound: 8,
    seed: 4,
    workers: 2,
    privacy: fed.dp.gaussian({ clip: 0.5, noiseMultiplier: 1.0, delta: 1e-5 }),
  });
  const run = await algo.run({ rounds: 3, clients, evaluate: test_ });
  const eps = run.rounds.map((r) => r.epsilon as number);
  assert.equal(eps.length, 3);
  for (let i = 1; i < eps.length; i++) assert.ok(eps[i] > eps[i - 1], `epsilon per round ${eps}`);
  const expected = fed.accountant.epsilon({ q: 8 / 40, noiseMultiplier: 1.0, steps: 3, delta: 1e-5 }).epsilon;
  assert.ok(Math.abs(eps[2] - expected) < 1e-12, `epsilon after 3 rounds ${eps[2]} vs accountant ${expected}`);
  assert.equal(run.rounds[0].delta, 1e-5);
  assert.deepEqual(Object.keys(run.rounds[0].dp as object).sort(), ['clip', 'noiseStd']);
  const lines = readFileSync(run.path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const recorded = lines.filter((l) => l.type === 'round').map((l) => l.epsilon);
  assert.deepEqual(recorded, eps);
});

test('secure aggregation with dropouts trains and reports its cost', async () => {
  const algo = fed.fedAvg({ model: fed.models.logistic(), clientsPerRound: 6, seed: 5, workers: 2, secureAggregation: { threshold: 4, dropouts: 2 } });
  const state = await algo.initialize();
  const { metrics } = await algo.next(state, clients, { evaluate: test_ });
  const secagg = metrics.secagg as { dropped: number; recovered: boolean; bytes: number; ms: number };
  assert.equal(secagg.dropped, 2);
  assert.equal(secagg.recovered, true);
  assert.ok(secagg.bytes > 4 * 7850 * 4, `bytes ${secagg.bytes}`);
  assert.ok(metrics.testAccuracy! > 0.3, `accuracy ${metrics.testAccuracy}`);
});

test('FedProx and FedAdam train with adaptive-clipping DP and secure aggregation together', async () => {
  const options = {
    model: fed.models.logistic(),
    clientsPerRound: 8,
    seed: 6,
    workers: 2,
    privacy: fed.dp.adaptive({ targetQuantile: 0.5, initialClip: 0.5, noiseMultiplier: 0.5, delta: 1e-5 }),
    secureAggregation: true,
  };
  for (const algo of [fed.fedProx({ ...options, mu: 0.01 }), fed.fedAdam({ ...options, serverLr: 0.01 })]) {
    const run = await algo.run({ rounds: 2, clients, evaluate: test_ });
    assert.equal(run.rounds.length, 2, algo.name);
    const [first, second] = run.rounds.map((r) => r.dp as { clip: number; nextClip: number });
    assert.equal(first.clip, 0.5, `${algo.name} starts from the initial clip`);
    assert.equal(second.clip, first.nextClip, `${algo.name} carries the adapted clip to round 2`);
    assert.ok(
      run.rounds.every((r) => (r.secagg as { recovered: boolean }).recovered),
      `${algo.name} secagg metrics`,
    );
    assert.ok((run.rounds[1].epsilon as number) > (run.rounds[0].epsilon as number));
    assert.ok(Number.isFinite(run.rounds[1].testAccuracy), `${algo.name} accuracy ${run.rounds[1].testAccuracy}`);
  }
});

test('adaptive clipping with the default clippedCountStddev and too small a cohort is refused when the algorithm is built', () => {
  // clientsPerRound 5: σ_b = 0.05 × 5 = 0.25, and 2σ_b = 0.5 is not above z = 0.5.
  assert.throws(
    () =>
      fed.fedAvg({
        model: fed.models.logistic(),
        clientsPerRound: 5,
        seed: 4,
        workers: 2,
        privacy: fed.dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 0.5, delta: 1e-5 }),
      }),
    (error: Error) =>
      error.message.startsWith('fed.fedAvg: privacy') &&
      error.message.includes(
        "fed.dp.adaptive's default clippedCountStddev is 0.05 × 5 expected clients per round = 0.25, too small for noiseMultiplier 0.5: " +
          'adaptive clipping needs 2·clippedCountStddev > noiseMultiplier (0.5 is not > 0.5). ' +
          'Pass clippedCountStddev > 0.25 to fed.dp.adaptive (e.g. clippedCountStddev: 0.5), or clientsPerRound ≥ 6, or noiseMultiplier < 0.5',
      ),
  );
});

test('a secure-aggregation threshold above clientsPerRound is refused when the algorithm is built', () => {
  assert.throws(() => fed.fedAvg({ model: fed.models.logistic(), clientsPerRound: 6, secureAggregation: { threshold: 7 } }), {
    message: 'fed.fedAvg: secureAggregation.threshold (7) is larger than the cohort (6 clients per round)',
  });
});
