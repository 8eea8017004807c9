/**
 * Robust aggregation under attack, through the real path (worker threads, WASM):
 * 30 % of clients send −4·Δ; FedAvg's accuracy collapses while the median and
 * Krum stay near the clean run. Seeded, so the numbers are the same every run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../kernel/api/index';
import type { Dataset } from '../../../kernel/data/dataset';
import type { FederatedData } from '../../../kernel/federated/partition/federated-data';

let clients: FederatedData;
let test_: Dataset;
before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-robust-'));
  const { train, test: held } = await fed.datasets.mnist({ trainLimit: 3000, testLimit: 1000, subsetSeed: 1 });
  clients = fed.partition(train, { clients: 20, scheme: 'iid', seed: 1 });
  test_ = held;
});
after(() => fed.shutdown());

const base = () => ({
  model: fed.models.mlp({ hidden: [64] }),
  clientsPerRound: 10,
  localEpochs: 1,
  batchSize: 10,
  clientLr: 0.1,
  seed: 1,
  workers: 2,
  backend: 'wasm' as const,
});
const finalAccuracy = async (algo: ReturnType<typeof fed.fedAvg>) => {
  const run = await algo.run({ rounds: 4, clients, evaluate: test_ });
  return { accuracy: run.rounds.at(-1)!.testAccuracy!, run };
};

test('under 30 % sign-flip attackers FedAvg collapses while median and Krum stay near the clean run', async () => {
  const attack = fed.attacks.signFlip({ fraction: 0.3, scale: 4 });
  const clean = await finalAccuracy(fed.fedAvg(base()));
  const attacked = await finalAccuracy(fed.fedAvg({ ...base(), attack }));
  const median = await finalAccuracy(fed.fedAvg({ ...base(), attack, aggregator: fed.aggregators.median() }));
  const krum = await finalAccuracy(fed.fedAvg({ ...base(), attack, aggregator: fed.aggregators.krum({ byzantine: 3, select: 4 }) }));
  assert.ok(clean.accuracy > 0.75, `clean ${clean.accuracy}`);
  assert.ok(attacked.accuracy < 0.3, `FedAvg under attack ${attacked.accuracy}`);
  assert.ok(median.accuracy > clean.accuracy - 0.1, `median ${median.accuracy} vs clean ${clean.accuracy}`);
  assert.ok(krum.accuracy > clean.accuracy - 0.1, `Krum ${krum.accuracy} vs clean ${clean.accuracy}`);
  // The attackers are fixed for the run (6 of 20), and every round says how many were sampled.
  assert.ok(attacked.run.rounds.every((r) => typeof r.attackers === 'number' && r.attackers >= 0 && r.attackers <= 6));
  assert.deepEqual(
    attacked.run.rounds.map((r) => r.attackers),
    median.run.rounds.map((r) => r.attackers),
  );
  assert.match(
    median.run.rounds.length ? fed.fedAvg({ ...base(), attack, aggregator: fed.aggregators.median() }).summary() : '',
    /median.*attack=signFlip\(0\.3,×4\)/,
  );
});

test('a backdoor reports its attack success rate; label flipping trains on flipped labels', async () => {
  const backdoor = await fed.fedAvg({ ...base(), attack: fed.attacks.backdoor({ fraction: 0.3, target: 7 }) }).run({ rounds: 2, clients, evaluate: test_ });
  for (const round of backdoor.rounds) {
    assert.ok(
      typeof round.attackSuccessRate === 'number' && round.attackSuccessRate >= 0 && round.attackSuccessRate <= 1,
      JSON.stringify(round.attackSuccessRate),
    );
  }
  const flipped = await fed
    .fedAvg({ ...base(), clientsPerRound: 20, attack: fed.attacks.labelFlip({ fraction: 1 }) })
    .run({ rounds: 2, clients, evaluate: test_ });
  // Every client learns y → 9 − y, so the global model is wrong on nearly every test example.
  assert.ok(flipped.rounds.at(-1)!.testAccuracy! < 0.2, `label-flipped accuracy ${flipped.rounds.at(-1)!.testAccuracy}`);
});

test('bad robustness options fail with exact messages naming the numbers', () => {
  const model = fed.models.mlp({ hidden: [8] });
  assert.throws(() => fed.fedAvg({ model, clientsPerRound: 6, aggregator: fed.aggregators.krum({ byzantine: 2 }) }), {
    message: 'krum: with byzantine f = 2 it needs more than 2f + 2 = 6 updates per round, got 6',
  });
  assert.throws(() => fed.aggregators.trimmedMean({ beta: 0.5 }), /beta must be in \[0, 0\.5\) \(got 0\.5\)/);
  assert.throws(() => fed.attacks.signFlip({ fraction: 1.5 }), {
    message: 'attacks.signFlip: fraction must be in [0, 1] (got 1.5): it is the share of clients that are malicious',
  });
  assert.throws(
    () => fed.fedAvg({ model, clientsPerRound: 4, aggregator: fed.aggregators.median(), secureAggregation: true }),
    /secure aggregation cannot be combined with median/,
  );
  assert.throws(() => fed.fedAvg({ model, clientsPerRound: 4, aggregator: fed.aggregators.mean(), secureAggregation: true }), {
    message:
      'fed.fedAvg: secure aggregation cannot be combined with a custom aggregator (mean>sum): secureAggregation brings its own mean over the secure sum, ' +
      'and mean>sum would run on each update in the clear instead, so nothing would be summed securely. ' +
      "Leave out aggregator (the strategy's mean runs over the secure sum; weighting: 'uniform' gives the unweighted mean), or drop secureAggregation.",
  });
  assert.throws(() => fed.fedAvg({ model, clientsPerRound: 4, aggregator: 'median' as never }), /aggregator must come from fed.aggregators/);
});
