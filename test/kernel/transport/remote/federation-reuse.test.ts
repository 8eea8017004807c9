/**
 * One `listen` federation reused run after run, as a researcher does (FedAvg,
 * then FedProx over the same clients, then a re-run of the first cell, then a
 * secure run): each run starts again at round 1 over the same three
 * `fedbook client` processes, every client trains in every round, no message
 * is turned away, and a re-run is bit-identical to the first run on the fresh
 * federation. A first run's answer replayed in a later run's round of the same
 * number is still turned away: a task id is valid once, whatever the round.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fed } from '../../../../kernel/api/index';
import type { RoundMetrics } from '../../../../kernel/contract/round-metrics';
import { observeRuns } from '../../../../kernel/simulation/run-events';
import { federationOfClientsForFile, splitOfCsvs, wasmMlpTraining } from './federation-fixtures';
import { connectRawClient, type Train } from './raw-client';

const NAMES = ['alice', 'bob', 'carol'];
const federation = federationOfClientsForFile({
  names: NAMES,
  sizes: [36, 44, 28],
  seedBase: 400,
  extraKeys: ['eve'],
  heartbeatTimeoutMs: 3000,
  label: 'label',
});

const base = { ...wasmMlpTraining(), clientsPerRound: 3 } as const;

const bitsEqual = (a: Float32Array, b: Float32Array) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** Every round had every client train, none failed, nothing was turned away. */
function allTrained(label: string, rounds: readonly RoundMetrics[]): void {
  assert.equal(rounds.length, 3, label);
  for (const m of rounds) {
    assert.equal(m.clients, 3, `${label} round ${m.round}: ${JSON.stringify(m.failureDetails)}`);
    assert.equal(m.failures, 0, `${label} round ${m.round}`);
    assert.equal(m.rejectedMessages, undefined, `${label} round ${m.round} turned messages away`);
    assert.deepEqual(
      m.clientStates?.filter((c) => c.id !== null).map((c) => c.state),
      ['done', 'done', 'done'],
      label,
    );
  }
}

test('FedAvg, FedProx, FedAvg again and a secure FedAvg, each from round 1 over the same federation: every client trains, the re-run is bit-identical', async () => {
  const split = await splitOfCsvs(NAMES.map(federation.csv));
  const fedAvg = () => fed.fedAvg({ ...base, seed: 13 });
  const first = await fedAvg().run({ rounds: 3, clients: federation.remote });
  allTrained('first FedAvg', first.rounds);

  const prox = await fed.fedProx({ ...base, seed: 4, mu: 0.01 }).run({ rounds: 3, clients: federation.remote });
  allTrained('FedProx', prox.rounds);
  assert.deepEqual(
    prox.rounds.map((m) => m.round),
    [1, 2, 3],
  );

  // The cell run again over the same handle: the same weights as on the fresh federation, and as in process.
  const again = await fedAvg().run({ rounds: 3, clients: federation.remote });
  allTrained('FedAvg again', again.rounds);
  assert.ok(bitsEqual(again.state.weights, first.state.weights), 'the re-run differs from the first run');
  const simulated = await fedAvg().run({ rounds: 3, clients: split });
  assert.ok(bitsEqual(again.state.weights, simulated.state.weights), 'the re-run differs from the simulation');

  const live: Array<{ round: number; states: string }> = [];
  const stopObserving = observeRuns({
    clientStates: (event) => void live.push({ round: event.round, states: event.states.map((c) => c.state).join(',') }),
  });
  const secure = await fed
    .fedAvg({ ...base, seed: 13, secureAggregation: true })
    .run({ rounds: 3, clients: federation.remote })
    .finally(stopObserving);
  allTrained('secure FedAvg', secure.rounds);
  // A secure round publishes live states as a plain one does: every client training, then done as its part ends.
  for (const round of [1, 2, 3]) {
    const during = live.filter((e) => e.round === round).map((e) => e.states);
    assert.equal(during[0], 'training,training,training', `round ${round}: ${JSON.stringify(during)}`);
    assert.equal(during[during.length - 1], 'done,done,done', `round ${round}: ${JSON.stringify(during)}`);
  }
  const secureSimulated = await fed.fedAvg({ ...base, seed: 13, secureAggregation: true }).run({ rounds: 3, clients: split });
  assert.ok(bitsEqual(secure.state.weights, secureSimulated.state.weights), 'the secure run differs from the simulation');
  assert.deepEqual(
    federation.remote.describe().rejected.map((r) => r.reason),
    [],
  );
});

test('a run interrupted mid-round, then the cell run again: the new run trains every client, bit for bit as before', async () => {
  const fedAvg = () => fed.fedAvg({ ...base, seed: 13 });
  const interrupted = fedAvg();
  const controller = new AbortController();
  await assert.rejects(
    interrupted.next(await interrupted.initialize(), federation.remote, {
      signal: controller.signal,
      // Interrupted once every client has its task: the clients are training (or just answered) when the cancel comes.
      onClientStates: (states) => {
        if (states.filter((c) => c.state === 'training').length === 3) controller.abort();
      },
    }),
    /aborted/,
  );
  const again = await fedAvg().run({ rounds: 3, clients: federation.remote });
  for (const m of again.rounds) {
    assert.equal(m.clients, 3, `round ${m.round}: ${JSON.stringify(m.failureDetails)}`);
    assert.deepEqual(
      m.clientStates?.filter((c) => c.id !== null).map((c) => c.state),
      ['done', 'done', 'done'],
    );
  }
  const simulated = await fedAvg().run({ rounds: 3, clients: await splitOfCsvs(NAMES.map(federation.csv)) });
  assert.ok(bitsEqual(again.state.weights, simulated.state.weights), 'the re-run differs from the simulation');
  // The interrupted round's answers, if they came at all, were turned away as answers to cancelled tasks, never counted.
  const late = federation.remote.describe().rejected.filter((r) => r.round === 1 && /train-result/.test(r.reason));
  for (const r of late) assert.match(r.reason, /cancelled: the run was aborted before this answer came/);
});

test("a first run's answer replayed in a second run's round of the same number is turned away; the round completes", async () => {
  const eve = connectRawClient(federation.remote, federation.port, federation.keys.eve.key, 'eve');
  const { next } = eve;
  try {
    await eve.join();
    const algorithm = () => fed.fedAvg({ ...base, clientsPerRound: 4, seed: 3 });
    const firstRun = algorithm();
    const firstRound = firstRun.next(await firstRun.initialize(), federation.remote);
    const firstTask = (await next('train')) as Train;
    const firstAnswer = eve.zeroAnswer(firstTask);
    await eve.socket.send(firstAnswer);
    assert.equal((await firstRound).metrics.clients, 4);

    const secondRun = algorithm();
    const secondRound = secondRun.next(await secondRun.initialize(), federation.remote);
    const secondTask = (await next('train')) as Train;
    assert.equal(secondTask.round, firstTask.round, 'both runs are in their round 1');
    assert.notEqual(secondTask.task, firstTask.task);
    await eve.socket.send(firstAnswer); // the first run's answer, replayed
    const notice = await next('notice');
    assert.match((notice as { message: string }).message, /turned away your train-result for round 1: replayed: the task was already answered/);
    // The server's own messages carry the round now running, not the highest an earlier run reached.
    assert.equal(notice.round, 1);
    await eve.socket.send(eve.zeroAnswer(secondTask));
    const { metrics } = await secondRound;
    assert.equal(metrics.clients, 4, JSON.stringify(metrics.failureDetails));
    assert.equal(metrics.rejectedMessages, 1);
    assert.deepEqual(
      federation.remote
        .describe()
        .rejected.filter((r) => r.client === 'eve')
        .map((r) => r.reason.replace(/task \w+/, 'task …')),
      ['train-result for task …: replayed: the task was already answered'],
    );
  } finally {
    eve.socket.close();
  }
});
