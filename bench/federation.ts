/**
 * Round overhead of a federation across processes: the same FedAvg round over
 * N real clients on loopback (CurveZMQ, one connection and one key per client,
 * data built in each by a JS module) next to the same split trained in
 * process. Prints a table; timings are never asserted.
 *
 *   node out/bench/federation.js [--clients 2,4,8] [--rounds 4] [--examples 200] [--per-process K] [--secure-up-to N] [--json FILE]
 *
 * Up to 16 clients, each is its own `fedbook client` process. Beyond, a hundred
 * processes each loading tfjs do not fit a small machine: K clients share one
 * host process (bench/federation-host.ts) and its training thread, still each
 * with its own socket, key and handshake (K defaults to ⌈N/4⌉: four hosts).
 * The model is the FedAvg paper's 2NN (199,210 parameters, 0.8 MB per message)
 * on MNIST-shaped random data. Rounds after the first are measured (the first
 * loads tfjs in every client). On a machine with fewer cores than clients the
 * remote column includes the clients' contention for cores, as a deployment's would not.
 * The secure column runs the same cohort through remote.transport.secureTrain
 * (Bonawitz et al.'s four rounds over the wire, threshold ⌈2m/3⌉, no dropouts),
 * for cohorts of at most --secure-up-to clients (default: all).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fed } from '../kernel/api/index';
import { freePorts } from '../kernel/protocol/connection';
import { createDataset, sharedFloat32, sharedInt32 } from '../kernel/data/dataset';
import { createFederatedData } from '../kernel/federated/partition/federated-data';
import { defaultThreshold } from '../kernel/federated/privacy/secagg/run-secure-sum';
import { writeKeyPair } from '../kernel/transport/remote/keys';
import { buildClientData, DATA_MODULE } from './federation-data';

const ROOT = resolve(__dirname, '..', '..');

export interface FederationBenchRow {
  bench: 'federation';
  clients: number;
  examplesPerClient: number;
  /** Processes the clients ran in (one per client up to 16 clients; beyond, hosts of several clients each). */
  processes: number;
  /** Median round, in process (workers = cores), ms. */
  inProcessMs: number;
  /** Median round over the client processes, ms. */
  remoteMs: number;
  /** remoteMs − inProcessMs. */
  overheadMs: number;
  /** Bytes on the wire per round (down + up, frames as sent). */
  remoteBytes: number;
  /** Median round under secure aggregation across the processes (threshold ⌈2m/3⌉), ms: training plus the four protocol steps. */
  secureMs: number | null;
  secureBytes: number | null;
}

interface BenchArgs {
  clients: number[];
  rounds: number;
  examples: number;
  perProcess?: number;
  secureUpTo: number;
  json?: string;
}

const USAGE = 'usage: node out/bench/federation.js [--clients 2,4,8] [--rounds 4] [--examples 200] [--per-process K] [--secure-up-to N] [--json FILE]';

function parse(argv: readonly string[]): BenchArgs {
  const out: BenchArgs = { clients: [2, 4, 8], rounds: 4, examples: 200, secureUpTo: Infinity };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--clients') out.clients = argv[++i].split(',').map(Number);
    else if (argv[i] === '--per-process') out.perProcess = Number(argv[++i]);
    else if (argv[i] === '--secure-up-to') out.secureUpTo = Number(argv[++i]);
    else if (argv[i] === '--rounds') out.rounds = Number(argv[++i]);
    else if (argv[i] === '--examples') out.examples = Number(argv[++i]);
    else if (argv[i] === '--json') out.json = argv[++i];
    else throw new Error(`${USAGE} (unknown '${argv[i]}')`);
  }
  if (out.clients.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--clients must be positive integers (got ${out.clients.join(',')})`);
  if (out.perProcess !== undefined && !(Number.isInteger(out.perProcess) && out.perProcess >= 1)) throw new Error('--per-process must be a positive integer');
  if (!(out.rounds >= 2)) throw new Error('--rounds must be at least 2 (the first round is not measured)');
  return out;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The data each client process builds, rebuilt here for the in-process run of the same split. */
function sameSplit(clients: number, examples: number) {
  const x = sharedFloat32(clients * examples * 784);
  const y = sharedInt32(clients * examples);
  for (let c = 0; c < clients; c++) {
    const part = buildClientData(c + 1, examples);
    x.set(part.x, c * examples * 784);
    y.set(part.y, c * examples);
  }
  const dataset = createDataset({ x, y, exampleShape: [784], numClasses: 10, name: 'bench' });
  return createFederatedData({
    dataset,
    clients: Array.from({ length: clients }, (_, c) => Array.from({ length: examples }, (_, i) => c * examples + i)),
    scheme: 'natural',
    seed: 0,
  });
}

/** The client processes: one `fedbook client` per client, or hosts of `perProcess` clients each. */
function spawnClients(names: string[], perProcess: number, port: number, serverPub: string, keyDir: string, dir: string, examples: number): ChildProcess[] {
  const server = `tcp://127.0.0.1:${port}`;
  const stdio: ['ignore', 'ignore', 'pipe'] = ['ignore', 'ignore', 'pipe'];
  if (perProcess === 1) {
    return names.map((name, c) =>
      spawn(
        process.execPath,
        [
          join(ROOT, 'bin', 'fedbook.js'),
          'client',
          '--server',
          server,
          '--server-key',
          serverPub,
          '--key',
          join(keyDir, `${name}.key`),
          '--data',
          join(dir, 'data.js'),
          '--name',
          name,
          '--backend',
          'wasm',
        ],
        { stdio, env: { ...process.env, FEDBOOK_BENCH_SEED: String(c + 1), FEDBOOK_BENCH_EXAMPLES: String(examples) } },
      ),
    );
  }
  const hosts: ChildProcess[] = [];
  for (let first = 0; first < names.length; first += perProcess) {
    const group = names.slice(first, first + perProcess);
    const seeds = group.map((_, i) => first + i + 1);
    hosts.push(
      spawn(
        process.execPath,
        [
          join(__dirname, 'federation-host.js'),
          '--server',
          server,
          '--server-key',
          serverPub,
          '--keys',
          keyDir,
          '--names',
          group.join(','),
          '--seeds',
          seeds.join(','),
          '--examples',
          String(examples),
        ],
        { stdio },
      ),
    );
  }
  return hosts;
}

async function benchOne(clients: number, args: BenchArgs, dir: string): Promise<FederationBenchRow> {
  const { rounds, examples } = args;
  const perProcess = args.perProcess ?? (clients <= 16 ? 1 : Math.ceil(clients / 4));
  const model = fed.models.mlp({ hidden: [200, 200], inputShape: [784] });
  const options = { model, clientsPerRound: clients, localEpochs: 1, batchSize: 10, clientLr: 0.05, seed: 1, backend: 'wasm' as const };
  const names = Array.from({ length: clients }, (_, c) => `c${String(c).padStart(3, '0')}`);
  const keyDir = join(dir, `keys-${clients}`);
  const server = writeKeyPair(keyDir, 'server');
  const clientKeys = names.map((name) => writeKeyPair(keyDir, name));
  const port = (await freePorts(1))[0];
  const listening = fed.federation.listen({
    port,
    minClients: clients,
    joinTimeoutMs: 300_000,
    keys: { server: server.keyFile, allow: clientKeys.map((k) => k.publicFile) },
    log: () => undefined,
  });
  const children = spawnClients(names, perProcess, port, server.publicFile, keyDir, dir, examples);
  const failed = new Promise<never>((_, fail) =>
    children.forEach((child) => {
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => {
        stderr = (stderr + d).slice(-4000);
      });
      child.once('exit', (status) => {
        if (status) fail(new Error(`a client process exited with ${status}:\n${stderr}`));
      });
    }),
  );
  failed.catch(() => undefined);
  const remote = await Promise.race([listening, failed]);
  const remoteMs: number[] = [];
  let remoteBytes = 0;
  const algo = fed.fedAvg(options);
  let state = await algo.initialize();
  for (let r = 0; r < rounds; r++) {
    const step = await algo.next(state, remote);
    state = step.state;
    if (step.metrics.failures) throw new Error(`round ${r + 1}: ${JSON.stringify(step.metrics.failureDetails)}`);
    if (r > 0) remoteMs.push(step.metrics.ms);
    remoteBytes = step.metrics.bytesDown + step.metrics.bytesUp;
  }
  const secureMs: number[] = [];
  let secureBytes = 0;
  const secureRounds = clients <= args.secureUpTo ? rounds : 0;
  const config = { localEpochs: 1, batchSize: 10, clientLr: 0.05, optimizer: 'sgd' as const, proximalMu: 0 };
  for (let r = 0; r < secureRounds; r++) {
    const started = performance.now();
    const outcome = await remote.transport.secureTrain(
      {
        round: rounds + r + 1,
        spec: model,
        weights: state.weights,
        deadlineMs: 0,
        clients: names.map((_, clientId) => ({ clientId, seed: r * 1000 + clientId, config })),
      },
      { threshold: defaultThreshold(clients), bound: 1 },
    );
    if (outcome.failures.length) throw new Error(`secure round ${r + 1}: ${JSON.stringify(outcome.failures)}`);
    if (r > 0) secureMs.push(performance.now() - started);
    secureBytes = outcome.bytesDown + outcome.bytesUp;
  }
  await remote.close();
  await Promise.all(children.map((child) => new Promise((done) => child.once('exit', done))));

  const split = sameSplit(clients, examples);
  const local = fed.fedAvg({ ...options, workers: availableParallelism() });
  let localState = await local.initialize();
  const inProcessMs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const step = await local.next(localState, split);
    localState = step.state;
    if (r > 0) inProcessMs.push(step.metrics.ms);
  }
  const row = { clients, examplesPerClient: examples, processes: children.length, inProcessMs: median(inProcessMs), remoteMs: median(remoteMs) };
  return {
    bench: 'federation',
    ...row,
    overheadMs: row.remoteMs - row.inProcessMs,
    remoteBytes,
    secureMs: secureRounds ? median(secureMs) : null,
    secureBytes: secureRounds ? secureBytes : null,
  };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'fedbook-bench-federation-'));
  writeFileSync(join(dir, 'data.js'), DATA_MODULE);
  const rows: FederationBenchRow[] = [];
  for (const clients of args.clients) rows.push(await benchOne(clients, args, dir));
  await fed.shutdown();
  console.log(
    `Federation round overhead (2NN, ${args.examples} examples per client, WASM, ${availableParallelism()} cores, median of rounds 2..${args.rounds})`,
  );
  console.log(
    '| clients | client processes | in process (ms) | remote (ms) | overhead (ms) | bytes / round | secure aggregation (ms) | secure bytes / round |',
  );
  console.log('|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    const secure = r.secureMs === null || r.secureBytes === null ? '— | —' : `${r.secureMs.toFixed(0)} | ${(r.secureBytes / 1e6).toFixed(2)} MB`;
    console.log(
      `| ${r.clients} | ${r.processes} | ${r.inProcessMs.toFixed(0)} | ${r.remoteMs.toFixed(0)} | ${r.overheadMs.toFixed(0)} | ${(r.remoteBytes / 1e6).toFixed(2)} MB | ${secure} |`,
    );
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 1));
}

if (require.main === module)
  void main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
