/**
 * FedAvg with `secureAggregation: true` (and with DP on top) over three real
 * `fedbook client` processes: each client clips, weights and encodes its own
 * update and sends only its masked form; the server recovers the sum and
 * finishes the aggregation. The global model is bit-identical to the
 * in-process simulation of the same split, seed and backend. A scripted fourth
 * client that drops out mid-protocol leaves the survivors' sum, weighted by the
 * survivors' counts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fed } from '../../../../kernel/api/index';
import type { Aggregator, AggregatorInput } from '../../../../kernel/federated/aggregators/aggregator';
import { addInto, decodeFixedPoint, encodeFixedPoint, fixedPointScale } from '../../../../kernel/federated/privacy/secagg/fixed-point';
import type { NextOptions } from '../../../../kernel/rounds/process';
import { federationOfClientsForFile, joinScriptedZed, splitOfCsvs, wasmMlpTraining } from './federation-fixtures';
import type { DropAt } from './scripted-secagg-client';

const NAMES = ['alice', 'bob', 'carol'];
const SIZES = [40, 55, 30];
const federation = federationOfClientsForFile({
  names: NAMES,
  sizes: SIZES,
  seedBase: 200,
  extraKeys: ['zed'],
  heartbeatTimeoutMs: 1500,
  // zed's rows only count in the simulation's split; the scripted zed never trains
  extraCsvs: [{ name: 'zed', rows: 20, seed: 299 }],
  label: 'label',
});

const base = wasmMlpTraining();

/** Runs `rounds` rounds of the same algorithm in process and over the federation; returns both final weights. */
async function bothWays(build: () => ReturnType<typeof fed.fedAvg>, rounds: number, options: NextOptions = {}) {
  const split = await splitOfCsvs(NAMES.map(federation.csv));
  const simulated = build();
  const federated = build();
  let sim = await simulated.initialize();
  let fedState = await federated.initialize();
  const metrics = [];
  for (let round = 1; round <= rounds; round++) {
    sim = (await simulated.next(sim, split, options)).state;
    const step = await federated.next(fedState, federation.remote, options);
    fedState = step.state;
    metrics.push(step.metrics);
  }
  return { sim: sim.weights, federated: fedState.weights, initial: (await federated.initialize()).weights, metrics };
}

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('FedAvg with secure aggregation over three client processes equals the simulation bit for bit', async () => {
  // With client-side evaluation: each client trains on its examples less a held-out share, and α_i counts only those.
  const clientEvaluation = { fraction: 1, heldOut: { share: 0.25, seed: 3 } };
  const { sim, federated, initial, metrics } = await bothWays(() => fed.fedAvg({ ...base, clientsPerRound: 3, seed: 21, secureAggregation: true }), 3, {
    clientEvaluation,
  });
  assert.ok(bitsEqual(federated, sim), 'remote and simulated weights differ');
  assert.ok(!bitsEqual(federated, initial), 'training changed nothing');
  for (const m of metrics) {
    assert.equal(m.clients, 3, JSON.stringify(m.failureDetails));
    assert.equal(m.failures, 0);
    assert.equal(m.secagg?.threshold, 2);
    assert.equal(m.secagg?.dropped, 0);
    // A secure round records its clients' states as a plain one does.
    assert.deepEqual(
      m.clientStates?.map((c) => c.state),
      ['done', 'done', 'done'],
    );
  }
});

test('DP-FedAvg (fixed clip, Poisson sampling) with secure aggregation over the client processes equals the simulation bit for bit', async () => {
  const privacy = fed.dp.gaussian({ clip: 0.5, noiseMultiplier: 0.3, delta: 1e-5 });
  const build = () => fed.fedAvg({ ...base, clientsPerRound: 2, seed: 8, minClients: 0, privacy, secureAggregation: true });
  const { sim, federated, metrics } = await bothWays(build, 4);
  assert.ok(bitsEqual(federated, sim), 'remote and simulated weights differ');
  // Seed 8 samples cohorts of 2, 0, 1 and 2 clients: an empty round is noise alone, a round of one a secure sum of one.
  assert.deepEqual(
    metrics.map((m) => m.cohort),
    [2, 0, 1, 2],
  );
  assert.ok(metrics.some((m) => m.clients > 0 && m.secagg !== undefined));
  assert.ok(metrics.every((m) => (m.dp as { clip?: number } | undefined)?.clip === 0.5));
});

test('DP-FedAvg with adaptive clipping and secure aggregation: the clients send the unclipped bit inside the masked sum; bit for bit', async () => {
  const privacy = fed.dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 0.2, clippedCountStddev: 0.5, delta: 1e-5 });
  const { sim, federated, metrics } = await bothWays(() => fed.fedAvg({ ...base, clientsPerRound: 3, seed: 6, privacy, secureAggregation: true }), 3);
  assert.ok(bitsEqual(federated, sim), 'remote and simulated weights differ');
  const clips = metrics.map((m) => (m.dp as { nextClip?: number }).nextClip);
  assert.equal(new Set(clips).size, 3, `the clip should move every round: ${clips}`);
});

test('unsound combinations are refused with the reason', async () => {
  const state = () => fed.fedAvg({ ...base, clientsPerRound: 3 }).initialize();
  assert.throws(
    () => fed.fedAvg({ ...base, clientsPerRound: 3, secureAggregation: true, aggregator: fed.aggregators.mean() }),
    /cannot be combined with a custom aggregator \(mean>sum\).*would run on each update in the clear/,
  );
  const simulatedDropouts = fed.fedAvg({ ...base, clientsPerRound: 3, secureAggregation: { threshold: 2, dropouts: 1 } });
  await assert.rejects(simulatedDropouts.next(await state(), federation.remote), /dropouts simulates clients vanishing; remote clients drop out for real/);
  const signFlip = fed.fedAvg({ ...base, clientsPerRound: 3, secureAggregation: true, attack: fed.attacks.signFlip({ fraction: 0.34 }) });
  await assert.rejects(
    signFlip.next(await state(), federation.remote),
    /poisons updates after they arrive, and with secureAggregation on remote clients no update arrives/,
  );
  assert.throws(
    () => fed.fedAvg({ ...base, clientsPerRound: 3, secureAggregation: true, aggregator: fed.aggregators.median() }),
    /secure aggregation cannot be combined with median/,
  );
});

/**
 * Joins a scripted fourth client 'zed' (20 examples, every delta 0.25) that misbehaves at `dropAt`, waits until all
 * four clients are in, runs `body` with a secure FedAvg over the four (seed 8), then disconnects zed.
 */
async function withZed(dropAt: DropAt, body: (federated: ReturnType<typeof fed.fedAvg>) => Promise<void>): Promise<void> {
  const close = await joinScriptedZed(federation, (d) => new Float32Array(d).fill(0.25), dropAt);
  try {
    await body(fed.fedAvg({ ...base, clientsPerRound: 4, seed: 8, secureAggregation: true }));
  } finally {
    close();
  }
}

/** An aggregator for the simulation that records its inputs and returns `delta(inputs)`. */
function handAggregator(delta: (inputs: readonly AggregatorInput[], dimension: number) => Float32Array): Aggregator {
  return {
    kind: 'aggregator',
    name: 'byHand',
    traits: {},
    init: () => undefined,
    aggregate: (inputs, state, context) => ({ delta: delta(inputs, context.dimension), state, metrics: {} }),
  };
}

test("a client dropping out after sharing keys: the survivors' sum, renormalised by the survivors' weights", async () => {
  await withZed('inbox', async (federated) => {
    const live: string[] = [];
    const step = await federated.next(await federated.initialize(), federation.remote, {
      onClientStates: (states) => void live.push(states.map((c) => `${c.name}:${c.state}`).join(',')),
    });
    assert.equal(step.metrics.clients, 3);
    // Live states while the secure round ran, as a plain round publishes them: all four training, each done as its keys
    // arrive, then zed dropped when it vanished at the masked-input step.
    assert.equal(live[0], 'alice:training,bob:training,carol:training,zed:training');
    assert.ok(live.includes('alice:done,bob:done,carol:done,zed:done'), JSON.stringify(live));
    assert.equal(live[live.length - 1], 'alice:done,bob:done,carol:done,zed:dropped');
    assert.deepEqual(
      step.metrics.clientStates?.map((c) => `${c.name}:${c.state}`),
      ['alice:done', 'bob:done', 'carol:done', 'zed:dropped'],
    );
    assert.deepEqual(
      step.failures.map((f) => [f.clientId, f.reason]),
      [[3, 'dropped']],
    );
    assert.equal(step.metrics.secagg?.dropped, 1);

    // The same round in process, aggregated by hand as the protocol defines it: α_i = n_i / Σ n over all four planned
    // clients, each α_i·Δ_i encoded at the round's scale (bounds α_i·16), the three survivors' words summed mod 2^32,
    // decoded, divided by α_0 + α_1 + α_2.
    const byHand = handAggregator((inputs, dimension) => {
      assert.deepEqual(
        inputs.map((i) => i.numExamples),
        [...SIZES, 20],
      );
      const total = inputs.reduce((n, i) => n + i.numExamples, 0);
      const alphas = inputs.map((i) => i.numExamples / total);
      const scale = fixedPointScale(
        alphas.reduce((a, alpha) => a + alpha * 16, 0),
        4,
      );
      const words = new Uint32Array(dimension);
      for (const i of [0, 1, 2])
        addInto(
          words,
          encodeFixedPoint(
            Float64Array.from(inputs[i].vector, (x) => alphas[i] * x),
            scale,
            alphas[i] * 16,
          ),
        );
      const sum = decodeFixedPoint(words, scale);
      const surviving = alphas[0] + alphas[1] + alphas[2];
      return Float32Array.from(sum, (x) => x / surviving);
    });
    const simulated = fed.fedAvg({ ...base, clientsPerRound: 4, seed: 8, aggregator: byHand });
    const sim = await simulated.next(await simulated.initialize(), await splitOfCsvs([...NAMES, 'zed'].map(federation.csv)));
    assert.ok(bitsEqual(step.state.weights, sim.state.weights), 'remote weights differ from the survivors-only sum');
  });
});

test('a client leaving after its masked input: in the sum, so a done client of the round with a note, not a failure', async () => {
  await withZed('unmask', async (federated) => {
    const step = await federated.next(await federated.initialize(), federation.remote);
    // The record agrees everywhere: four clients counted, no failure, zed done with what happened after its input.
    assert.equal(step.metrics.clients, 4);
    assert.deepEqual(step.failures, []);
    assert.equal(step.metrics.failures, 0);
    assert.deepEqual(
      step.metrics.clientStates?.map((c) => `${c.name}:${c.state}`),
      ['alice:done', 'bob:done', 'carol:done', 'zed:done'],
    );
    const zed = step.metrics.clientStates!.find((c) => c.name === 'zed')!;
    assert.match(zed.note ?? '', /^its masked input is in the sum; then: client 3 \('zed'\) /);
    assert.equal(step.metrics.secagg?.dropped, 0);
    assert.equal(step.metrics.secagg?.droppedAfterInput, 1);
  });
});

test('an interrupt during a secure round ends it at once, even while a client stalls in a step', { timeout: 20_000 }, async () => {
  // zed comes back and stalls at the roster: without the interrupt the round would wait out the 30 s step timeout.
  await withZed('stall-roster', async (federated) => {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    await assert.rejects(
      federated.next(await federated.initialize(), federation.remote, {
        signal: controller.signal,
        // Every client's keys are in: the protocol's steps are next, and zed will not answer the roster.
        onClientStates: (states) => {
          if (timer === undefined && states.filter((c) => c.state === 'done').length === 4) timer = setTimeout(() => controller.abort(), 300);
        },
      }),
      /the run was aborted during round 1/,
    );
    // The federation goes on: a plain round over the three processes completes.
    const plain = fed.fedAvg({ ...base, clientsPerRound: 3, seed: 8 });
    await federation.remote.waitForClients(4, 10_000);
    const step = await plain.next(await plain.initialize(), federation.remote);
    assert.ok(step.metrics.clients >= 3, JSON.stringify(step.metrics.failureDetails));
  });
});
