/**
 * Round overhead of a federation across processes: the same FedAvg round over
 * N real `fedbook client` processes on loopback (CurveZMQ, one process per
 * client, data built in each by a JS module) next to the same split trained in
 * process. Prints a table; timings are never asserted.
 *
 *   node out/bench/federation.js [--clients 2,4,8] [--rounds 4] [--examples 200] [--json FILE]
 *
 * The model is the FedAvg paper's 2NN (199,210 parameters, 0.8 MB per message)
 * on MNIST-shaped random data. Rounds after the first are measured (the first
 * loads tfjs in every client). On a machine with fewer cores than clients the
 * remote column includes the clients' contention for cores, as a deployment's would not.
 * The secure column runs the same cohort through remote.transport.secureTrain
 * (Bonawitz et al.'s four rounds over the wire, threshold ⌈2m/3⌉, no dropouts).
 */
import { runInNewContext } from 'node:vm';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fed } from '../kernel/api/index';
import { createDataset, sharedFloat32, sharedInt32 } from '../kernel/data/dataset';
import { createFederatedData } from '../kernel/federated/partition/federated-data';
import { defaultThreshold } from '../kernel/federated/privacy/secagg/run-secure-sum';
import { writeKeyPair } from '../kernel/transport/remote/keys';

const ROOT = resolve(__dirname, '..', '..');

export interface FederationBenchRow {
  bench: 'federation';
  clients: number;
  examplesPerClient: number;
  /** Median round, in process (workers = cores), ms. */
  inProcessMs: number;
  /** Median round over the client processes, ms. */
  remoteMs: number;
  /** remoteMs − inProcessMs. */
  overheadMs: number;
  /** Bytes on the wire per round (down + up, frames as sent). */
  remoteBytes: number;
  /** Median round under secure aggregation across the processes (threshold ⌈2m/3⌉), ms: training plus the four protocol steps. */
  secureMs: number;
  secureBytes: number;
}

/** The data module every client loads with --data: seeded, MNIST-shaped, built in code. */
const DATA_MODULE = `
module.exports = () => {
  const seed = Number(process.env.FEDBOOK_BENCH_SEED), n = Number(process.env.FEDBOOK_BENCH_EXAMPLES);
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  for (let i = 0; i < n; i++) { y[i] = Math.floor(next() * 10); for (let j = 0; j < 784; j++) x[i * 784 + j] = Math.fround(next() * (j % 10 === y[i] ? 1 : 0.3)); }
  return { x, y, exampleShape: [784], numClasses: 10, length: n, name: 'bench-' + seed };
};`;

function parse(argv: readonly string[]): { clients: number[]; rounds: number; examples: number; json?: string } {
  const out = { clients: [2, 4, 8], rounds: 4, examples: 200, json: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--clients') out.clients = argv[++i].split(',').map(Number);
    else if (argv[i] === '--rounds') out.rounds = Number(argv[++i]);
    else if (argv[i] === '--examples') out.examples = Number(argv[++i]);
    else if (argv[i] === '--json') out.json = argv[++i];
    else throw new Error(`usage: node out/bench/federation.js [--clients 2,4,8] [--rounds 4] [--examples 200] [--json FILE] (unknown '${argv[i]}')`);
  }
  return out;
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The data each client process builds, rebuilt here for the in-process run of the same split. */
function sameSplit(clients: number, examples: number) {
  // The module's source is what the client processes load: run the same text here rather than a copy of its logic.
  const build = runInNewContext(`(() => { const module = {}; ${DATA_MODULE}; return module.exports; })()`, {
    Float32Array,
    Int32Array,
    Math,
    Number,
    process,
  }) as () => { x: Float32Array; y: Int32Array };
  const x = sharedFloat32(clients * examples * 784);
  const y = sharedInt32(clients * examples);
  for (let c = 0; c < clients; c++) {
    process.env.FEDBOOK_BENCH_SEED = String(c + 1);
    process.env.FEDBOOK_BENCH_EXAMPLES = String(examples);
    const part = build();
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

async function benchOne(clients: number, rounds: number, examples: number, dir: string): Promise<FederationBenchRow> {
  const model = fed.models.mlp({ hidden: [200, 200], inputShape: [784] });
  const options = { model, clientsPerRound: clients, localEpochs: 1, batchSize: 10, clientLr: 0.05, seed: 1, backend: 'wasm' as const };
  const names = Array.from({ length: clients }, (_, c) => `c${String(c).padStart(3, '0')}`);
  const keyDir = join(dir, `keys-${clients}`);
  const server = writeKeyPair(keyDir, 'server');
  const clientKeys = names.map((name) => writeKeyPair(keyDir, name));
  const port = await freePort();
  const listening = fed.federation.listen({
    port,
    minClients: clients,
    joinTimeoutMs: 120_000,
    keys: { server: server.keyFile, allow: clientKeys.map((k) => k.publicFile) },
    log: () => undefined,
  });
  const children: ChildProcess[] = names.map((name, c) =>
    spawn(
      process.execPath,
      [
        join(ROOT, 'bin', 'fedbook.js'),
        'client',
        '--server',
        `tcp://127.0.0.1:${port}`,
        '--server-key',
        server.publicFile,
        '--key',
        clientKeys[c].keyFile,
        '--data',
        join(dir, 'data.js'),
        '--name',
        name,
        '--backend',
        'wasm',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FEDBOOK_BENCH_SEED: String(c + 1), FEDBOOK_BENCH_EXAMPLES: String(examples) } },
    ),
  );
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
  const config = { localEpochs: 1, batchSize: 10, clientLr: 0.05, optimizer: 'sgd' as const, proximalMu: 0 };
  for (let r = 0; r < rounds; r++) {
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
  const row = { clients, examplesPerClient: examples, inProcessMs: median(inProcessMs), remoteMs: median(remoteMs) };
  return { bench: 'federation', ...row, overheadMs: row.remoteMs - row.inProcessMs, remoteBytes, secureMs: median(secureMs), secureBytes };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'fedbook-bench-federation-'));
  writeFileSync(join(dir, 'data.js'), DATA_MODULE);
  const rows: FederationBenchRow[] = [];
  for (const clients of args.clients) rows.push(await benchOne(clients, args.rounds, args.examples, dir));
  await fed.shutdown();
  console.log(
    `Federation round overhead (2NN, ${args.examples} examples per client, WASM, ${availableParallelism()} cores, median of rounds 2..${args.rounds})`,
  );
  console.log('| clients | in process (ms) | remote processes (ms) | overhead (ms) | bytes / round | secure aggregation (ms) | secure bytes / round |');
  console.log('|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    console.log(
      `| ${r.clients} | ${r.inProcessMs.toFixed(0)} | ${r.remoteMs.toFixed(0)} | ${r.overheadMs.toFixed(0)} | ${(r.remoteBytes / 1e6).toFixed(2)} MB | ${r.secureMs.toFixed(0)} | ${(r.secureBytes / 1e6).toFixed(2)} MB |`,
    );
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(rows, null, 1));
}

if (require.main === module)
  void main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
