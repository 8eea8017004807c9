/**
 * Scale-out of a simulation: the same FedAvg rounds (the FedAvg paper's 2NN on
 * an MNIST subset, backend wasm) all in this process, and spread over this
 * process plus `fedbook worker` processes on loopback. Prints a table of the
 * median round (rounds after the first, which loads tfjs everywhere and sends
 * the dataset), the bytes sent to workers per round, and whether the final
 * weights equal the all-local run's bit for bit. Timings are never asserted;
 * on a machine with fewer cores than threads the spread rows include the contention.
 *
 *   node out/bench/scale-out.js [--workers 1,2] [--threads 1] [--local 1] [--rounds 4] [--clients 10] [--json FILE]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fed } from '../kernel/api/index';
import { freePorts } from '../kernel/protocol/connection';
import type { RoundMetrics } from '../kernel/contract';
import { writeKeyPair } from '../kernel/transport/remote/keys';
import { median } from './table';

const BIN = join(resolve(__dirname, '..', '..'), 'bin', 'fedbook.js');

interface Row {
  bench: 'scale-out';
  workerProcesses: number;
  threadsPerWorker: number;
  localThreads: number;
  clientsPerRound: number;
  medianRoundMs: number;
  /** medianRoundMs of the all-local row / this row's. */
  speedup: number;
  /** Bytes sent down to the cohort per round (weights and indices to workers, as framed). */
  bytesDownPerRound: number;
  sameWeights: boolean;
}

function parse(argv: readonly string[]) {
  const out = { workers: [1, 2], threads: 1, local: 1, rounds: 4, clients: 10, json: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--workers') out.workers = argv[++i].split(',').map(Number);
    else if (argv[i] === '--threads') out.threads = Number(argv[++i]);
    else if (argv[i] === '--local') out.local = Number(argv[++i]);
    else if (argv[i] === '--rounds') out.rounds = Number(argv[++i]);
    else if (argv[i] === '--clients') out.clients = Number(argv[++i]);
    else if (argv[i] === '--json') out.json = argv[++i];
    else
      throw new Error(
        `usage: node out/bench/scale-out.js [--workers 1,2] [--threads 1] [--local 1] [--rounds 4] [--clients 10] [--json FILE] (unknown '${argv[i]}')`,
      );
  }
  return out;
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'fedbook-scale-out-bench-'));
  process.env.FEDBOOK_RUNS_DIR = join(dir, 'runs');
  const server = writeKeyPair(join(dir, 'keys'), 'server');
  const { train } = await fed.datasets.mnist({ trainLimit: 6000, subsetSeed: 1 });
  const clients = fed.partition(train, { clients: 60, scheme: 'iid', seed: 1 });
  const algorithm = (scaleOut?: Awaited<ReturnType<typeof fed.federation.scaleOut>>) =>
    fed.fedAvg({
      model: fed.models.mlp({ hidden: [200, 200], inputShape: [28, 28, 1], numClasses: 10 }),
      clientsPerRound: options.clients,
      localEpochs: 1,
      batchSize: 10,
      seed: 3,
      backend: 'wasm',
      workers: options.local,
      ...(scaleOut ? { scaleOut } : {}),
    });
  const measure = (rounds: RoundMetrics[]) => ({
    medianRoundMs: median(rounds.slice(1).map((r) => r.ms)),
    bytesDownPerRound: median(rounds.slice(1).map((r) => r.bytesDown)),
  });

  const rows: Row[] = [];
  const local = await algorithm().run({ rounds: options.rounds, clients });
  const base = measure(local.rounds);
  rows.push({
    bench: 'scale-out',
    workerProcesses: 0,
    threadsPerWorker: 0,
    localThreads: options.local,
    clientsPerRound: options.clients,
    ...base,
    speedup: 1,
    sameWeights: true,
  });

  for (const count of options.workers) {
    const port = (await freePorts(1))[0];
    const names = Array.from({ length: count }, (_, i) => `bench-${i}`);
    const keys = names.map((name) => writeKeyPair(join(dir, `keys-${count}`), name));
    const listening = fed.federation.scaleOut({
      port,
      minWorkers: count,
      keys: { server: server.keyFile, allow: keys.map((k) => k.publicFile) },
      log: () => undefined,
    });
    const children: ChildProcess[] = names.map((name, i) =>
      spawn(
        process.execPath,
        [
          BIN,
          'worker',
          '--server',
          `tcp://127.0.0.1:${port}`,
          '--server-key',
          server.publicFile,
          '--key',
          keys[i].keyFile,
          '--name',
          name,
          '--threads',
          String(options.threads),
          '--cache',
          join(dir, 'cache'),
        ],
        { stdio: 'ignore' },
      ),
    );
    const handle = await listening;
    try {
      const spread = await algorithm(handle).run({ rounds: options.rounds, clients });
      const measured = measure(spread.rounds);
      rows.push({
        bench: 'scale-out',
        workerProcesses: count,
        threadsPerWorker: options.threads,
        localThreads: options.local,
        clientsPerRound: options.clients,
        ...measured,
        speedup: base.medianRoundMs / measured.medianRoundMs,
        sameWeights: Buffer.compare(Buffer.from(spread.state.weights.buffer), Buffer.from(local.state.weights.buffer)) === 0,
      });
    } finally {
      await handle.close();
      await Promise.all(children.map((child) => new Promise((done) => (child.exitCode === null ? child.once('exit', done) : done(null)))));
    }
  }
  await fed.shutdown();

  const header = ['worker processes', 'threads each', 'local threads', 'clients/round', 'median round ms', 'speed-up', 'MB down/round', 'same weights'];
  const lines = rows.map((r) => [
    String(r.workerProcesses),
    String(r.threadsPerWorker),
    String(r.localThreads),
    String(r.clientsPerRound),
    r.medianRoundMs.toFixed(0),
    `${r.speedup.toFixed(2)}×`,
    (r.bytesDownPerRound / 1e6).toFixed(1),
    r.sameWeights ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  for (const line of [header, ...lines]) console.log(line.map((cell, i) => cell.padStart(widths[i])).join('  '));
  if (options.json) writeFileSync(options.json, JSON.stringify(rows, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
