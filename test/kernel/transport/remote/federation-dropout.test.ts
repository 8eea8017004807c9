/**
 * A client process killed with SIGKILL in the middle of its training: the
 * round goes on with the others and records the dropout; the client restarts
 * and rejoins under its name and id in a later round; the run's records hold it all.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import type { ClientStateEntry, RoundMetrics } from '../../../../kernel/contract';
import { observeRuns } from '../../../../kernel/simulation/run-events';
import type { Federation } from '../../../../kernel/transport/remote/federation-server';
import { clientArgs, exitWithin, freePort, makeKeys, spawnClient, tempDir, waitForOutput, writeClientCsv, type ClientProcess } from './federation-fixtures';

const dir = tempDir();
const NAMES = ['a-fast', 'b-fast', 'c-slow'];
const keys = makeKeys(dir, ['server', ...NAMES]);
let port: number;
let remote: Federation;
const processes: ClientProcess[] = [];

function start(name: string, csv: string): ClientProcess {
  const client = spawnClient(clientArgs({ port, serverKey: keys.server.pub, key: keys[name].key, data: csv, label: 'label', name, backend: 'wasm' }));
  processes.push(client);
  return client;
}

before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-runs-'));
  writeClientCsv(join(dir, 'small-a.csv'), 30, 1);
  writeClientCsv(join(dir, 'small-b.csv'), 30, 2);
  writeClientCsv(join(dir, 'big.csv'), 40_000, 3); // long enough to be killed mid-training
  port = await freePort();
  const listening = fed.federation.listen({
    port,
    minClients: 3,
    joinTimeoutMs: 60_000,
    heartbeatTimeoutMs: 2000,
    keys: { server: keys.server.key, allow: NAMES.map((n) => keys[n].pub) },
    log: () => undefined,
  });
  start('a-fast', join(dir, 'small-a.csv'));
  start('b-fast', join(dir, 'small-b.csv'));
  start('c-slow', join(dir, 'big.csv'));
  remote = await listening;
});

after(async () => {
  await remote?.close();
  for (const p of processes) await exitWithin(p, 10_000).catch(() => undefined);
  await fed.shutdown();
});

test('SIGKILL mid-round: the round completes with the others, the dropout is recorded, the client rejoins later', async () => {
  const algo = fed.fedAvg({
    model: fed.models.mlp({ hidden: [8], inputShape: [4], numClasses: 3 }),
    clientsPerRound: 3,
    localEpochs: 3,
    batchSize: 4,
    seed: 2,
    backend: 'wasm',
    workers: 1,
  });
  const slow = processes[2];
  const seen: number[] = [];
  const published: RoundMetrics[] = [];
  const live: Array<{ round: number; states: string[] }> = [];
  const stopObserving = observeRuns({
    roundFinished: (event) => void published.push(event.metrics as RoundMetrics),
    clientStates: (event) => void live.push({ round: event.round, states: event.states.filter((c) => c.id !== null).map((c) => c.state) }),
  });
  const run = algo.run({
    rounds: 2,
    clients: remote,
    onRound: async (metrics) => {
      seen.push(metrics.failures);
      if (metrics.round === 1) {
        // Between rounds: the killed client comes back under the same name, with less data this time.
        start('c-slow', join(dir, 'small-a.csv'));
      }
    },
  });
  await new Promise((r) => setTimeout(r, 1500));
  assert.doesNotMatch(slow.output(), /round 1: trained/, 'the big client finished before it could be killed; give it more data');
  const killedAt = Date.now();
  slow.child.kill('SIGKILL');
  const result = await run.finally(stopObserving);
  assert.ok(Date.now() - killedAt < 60_000);
  const [first, second] = result.rounds;
  const details = first.failureDetails as { client: number; reason: string; message: string }[];
  assert.equal(first.clients, 2);
  assert.equal(first.failures, 1);
  assert.deepEqual(
    details.map((f) => [f.client, f.reason]),
    [[2, 'dropped']],
  );
  assert.match(details[0].message, /client 2 \('c-slow'\) (stopped answering|could not be reached)/);
  // The published round carries every client's state: the two that trained done, the killed one dropped, with why.
  const states = published[0].clientStates as ClientStateEntry[];
  assert.deepEqual(
    states.map((c) => [c.id, c.name, c.state]),
    [
      [0, 'a-fast', 'done'],
      [1, 'b-fast', 'done'],
      [2, 'c-slow', 'dropped'],
    ],
  );
  for (const done of states.slice(0, 2)) assert.ok(Number.isFinite(done.trainMs) && Number.isFinite(done.roundTripMs), JSON.stringify(done));
  assert.equal(states[2].trainMs, undefined);
  assert.match(states[2].reason ?? '', /stopped answering|could not be reached/);
  // While round 1 ran, its live states went out: all three training, then as each task ended.
  const during = live.filter((e) => e.round === 1).map((e) => e.states.join(','));
  assert.ok(during.includes('training,training,training'), JSON.stringify(during));
  assert.equal(during[during.length - 1], 'done,done,dropped');
  // Round 2 may start before the restarted process has joined; either it trains, or its slot is recorded as not connected.
  assert.equal(second.clients + second.failures, 3);
  await remote.waitForClients(3, 30_000);
  const described = remote.describe().clients.find((c) => c.name === 'c-slow')!;
  assert.equal(described.id, 2);
  // Back under its name: 'done' if it joined in time to train in round 2 (as round 2's record says), else 'rejoined'.
  const inSecond = (published[1].clientStates as ClientStateEntry[]).find((c) => c.name === 'c-slow')!;
  assert.equal(described.state, inSecond.state === 'done' ? 'done' : 'rejoined', JSON.stringify(inSecond));
  assert.deepEqual(described.lastRound, inSecond);
  assert.equal(described.examples, 30);
  const step = await algo.next(result.state, remote);
  assert.equal(step.metrics.clients, 3, JSON.stringify(step.metrics.failureDetails));
  await waitForOutput(processes[3], /round 3: trained on 30 examples/, 10_000);
  const lines = readFileSync(result.path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const recorded = lines.filter((l) => l.type === 'round');
  assert.deepEqual(
    recorded.map((l) => l.round),
    [1, 2],
  );
  assert.equal(recorded[0].transport, 'remote');
  assert.equal(recorded[0].failureDetails[0].reason, 'dropped');
  assert.deepEqual(recorded[0].clientStates, published[0].clientStates, 'the record holds the states that were published');
  assert.deepEqual(recorded[0].disconnectedClients, ['2:c-slow']);
  assert.deepEqual(seen.slice(0, 1), [1]);
});

test('a client that never answers (SIGSTOP) is dropped after the heartbeat timeout; woken, it is asked to join again and trains', async () => {
  const algo = fed.fedAvg({ model: fed.models.mlp({ hidden: [8], inputShape: [4], numClasses: 3 }), clientsPerRound: 3, seed: 3, backend: 'wasm', workers: 1 });
  let state = await algo.initialize();
  const frozen = processes[1];
  frozen.child.kill('SIGSTOP');
  try {
    const started = Date.now();
    const step = await algo.next(state, remote);
    state = step.state;
    assert.ok(Date.now() - started < 15_000, `the round took ${Date.now() - started} ms`);
    const details = step.metrics.failureDetails as { client: number; reason: string; message: string }[];
    assert.deepEqual(
      details.map((f) => [f.client, f.reason]),
      [[1, 'dropped']],
    );
    assert.match(details[0].message, /client 1 \('b-fast'\) stopped answering \(nothing heard for \d+ s\)/);
  } finally {
    frozen.child.kill('SIGCONT');
  }
  await waitForOutput(frozen, /the server asks this client to join again/, 10_000);
  await waitForOutput(frozen, /joined tcp:\/\/127\.0\.0\.1:\d+ again as 'b-fast'/, 10_000);
  await remote.waitForClients(3, 10_000);
  const again = await algo.next(state, remote);
  assert.equal(again.metrics.clients, 3, JSON.stringify(again.metrics.failureDetails));
});

test('a second process under the same name and key takes the slot over; the first is told and exits', async () => {
  const first = processes[0];
  const second = start('a-fast', join(dir, 'small-b.csv'));
  await waitForOutput(second, /joined tcp:\/\/127\.0\.0\.1:\d+ as 'a-fast'/, 15_000);
  assert.equal(await exitWithin(first, 10_000), 1);
  assert.match(first.output(), /another process joined as 'a-fast'; this one is no longer part of the federation/);
  const slot = remote.describe().clients.find((c) => c.name === 'a-fast')!;
  assert.deepEqual([slot.id, slot.state], [0, 'rejoined']);
});

test('a client past its deadline stops itself; the server records a timeout and aggregates the others', async () => {
  const slow = start('c-slow', join(dir, 'big.csv'));
  await waitForOutput(slow, /joined tcp:\/\/127\.0\.0\.1:\d+ as 'c-slow'/, 15_000);
  const algo = fed.fedAvg({
    model: fed.models.mlp({ hidden: [8], inputShape: [4], numClasses: 3 }),
    clientsPerRound: 3,
    localEpochs: 3,
    batchSize: 4,
    seed: 4,
    backend: 'wasm',
    workers: 1,
    clientDeadlineMs: 1000,
  });
  const { metrics } = await algo.next(await algo.initialize(), remote);
  const details = metrics.failureDetails as { client: number; reason: string; message: string }[];
  assert.equal(metrics.clients, 2);
  assert.deepEqual(
    details.map((f) => [f.client, f.reason]),
    [[2, 'timeout']],
  );
  // The client stops itself at its deadline; on a loaded machine its first task (loading tfjs) may outlast the server's grace too.
  assert.match(details[0].message, /client 2 \('c-slow'\) (exceeded its deadline|did not answer within its deadline) of 1000 ms/);
  await waitForOutput(slow, /round \d+: stopped after \d+ steps \(past the deadline of 1000 ms\)/, 10_000);
});
