/**
 * Round parallel efficiency and orchestration overhead: the same round (same
 * seed, so the same cohort and the same examples) with 1 worker and with W,
 * without evaluation.
 *
 *   efficiency = T1 / (W · TW), T = the round's wall time (metrics.ms)
 *   overhead   = round − train phase: the strategy's plan, aggregation and the
 *                server step, i.e. everything the server does around local
 *                training. The weights' copy, dispatch to the pool and the updates' transfer
 *                happen inside the train phase and are not counted here.
 */
import { fed } from '../kernel/api/index';
import type { Dataset } from '../kernel/data/dataset';
import type { ModelSpec } from '../workers/model-spec';
import { median, roundRow, type RoundRow } from './table';
import { PAPER_MODELS, PATH_RUNS, pathLabel, timeRounds, type BenchPath } from './throughput';

export interface RoundCase {
  model: string;
  spec: () => ModelSpec;
  /** Clients in the partition and per round. */
  numClients: number;
  clientsPerRound: number;
  batchSize: number;
  /** Training examples used (the first N of a seeded subset of MNIST's 60,000). */
  examples: number;
}

/** The FedAvg paper's setups (100 clients of 600, 10 per round) in --full; a tenth of the data otherwise. */
export function roundCases(full: boolean): RoundCase[] {
  const paper = full ? 60000 : 6000;
  return [
    { model: '2nn', spec: PAPER_MODELS['2nn'], numClients: 100, clientsPerRound: 10, batchSize: 10, examples: paper },
    { model: 'cnn', spec: PAPER_MODELS.cnn, numClients: 100, clientsPerRound: 10, batchSize: 10, examples: paper },
    // 1,000 clients of 60 examples, all of them in every round: the orchestration-bound case.
    { model: 'logistic', spec: () => fed.models.logistic(), numClients: 1000, clientsPerRound: 1000, batchSize: 10, examples: 60000 },
  ];
}

export interface RoundOptions {
  full: boolean;
  workers: number[];
  /** What trains the clients: the compiled native step or a tfjs backend. */
  path: BenchPath;
  /** Loads `examples` MNIST training examples. */
  load: (examples: number) => Promise<Dataset>;
  log: (line: string) => void;
  onRow?: (row: RoundRow) => void;
}

export async function benchRounds(options: RoundOptions): Promise<RoundRow[]> {
  const rows: RoundRow[] = [];
  for (const c of roundCases(options.full)) {
    // Medians of several rounds: other work on a shared machine lands on one round, not on all.
    const measured = c.model === 'cnn' ? 3 : 5;
    const train = await options.load(c.examples);
    const clients = fed.partition(train, { clients: c.numClients, scheme: 'iid', seed: 1 });
    // Warm-up on clients a tenth the size (same dataset): the workers build the model without a full extra round.
    const warmup = fed.partition(train, { clients: Math.min(train.length, c.numClients * 10), scheme: 'iid', seed: 2 });
    let oneWorkerMs: number | undefined;
    let oneWorkerCpuMs: number | undefined;
    for (const workers of options.workers) {
      const timed = await timeRounds(
        { model: c.spec(), clientsPerRound: c.clientsPerRound, batchSize: c.batchSize, workers, backend: PATH_RUNS[options.path].backend },
        clients,
        measured,
        warmup,
      );
      await fed.shutdown();
      const roundMs = median(timed.roundMs);
      // The train phase of the same (median) round: the overhead is taken round by round, then its median.
      const overheads = timed.roundMs.map((ms, i) => ms - timed.trainMs[i]);
      const trainMs = roundMs - median(overheads);
      const cpuMs = median(timed.counters.map((k) => k.cpuMs));
      if (workers === 1) {
        oneWorkerMs = roundMs;
        oneWorkerCpuMs = cpuMs;
      }
      const row = roundRow(
        {
          model: c.model,
          workers,
          clientsPerRound: c.clientsPerRound,
          roundMs,
          trainMs,
          cpuMs,
          mainCpuMs: median(timed.counters.map((k) => k.mainCpuMs)),
          minorFaults: median(timed.counters.map((k) => k.minorFaults)),
          backend: pathLabel(options.path, timed),
        },
        oneWorkerMs,
        oneWorkerCpuMs,
      );
      options.log(
        `  round ${c.model} W=${workers} K=${c.clientsPerRound}: ${roundMs.toFixed(0)} ms, overhead ${row.overheadMs.toFixed(1)} ms (${row.overheadPct.toFixed(2)}%)` +
          (row.efficiency === null ? '' : `, efficiency ${(100 * row.efficiency).toFixed(0)}%`) +
          `; CPU ${cpuMs.toFixed(0)} ms (main thread ${row.mainCpuMs.toFixed(0)} ms, waited ${median(timed.counters.map((k) => k.mainWaitMs)).toFixed(0)} ms), ${row.minorFaults} faults`,
      );
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}
