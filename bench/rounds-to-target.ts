/**
 * Rounds and wall time for the FedAvg paper's 2NN (E = 1, B = 10, C = 0.1:
 * 10 of 100 clients of 600 MNIST examples per round) to reach 97% test
 * accuracy on the full 10,000-image test set: 87 rounds IID and 664 on the
 * pathological split (2 shards of 300 sorted examples per client) in
 * McMahan et al. 2017, Table 2.
 *
 * Each round is timed as a user sees it: train, aggregate and evaluate.
 * The default run stops after a few rounds and projects the wall time of the
 * paper's round count from the measured seconds per round.
 */
import { fed } from '../kernel/api/index';
import type { Dataset } from '../kernel/data/dataset';
import { roundsToTargetRow, type RoundsToTargetRow } from './table';
import { PAPER_MODELS, PATH_RUNS, pathLabel, type BenchPath } from './throughput';

/** McMahan et al. 2017, Table 2, 2NN, E = 1, B = 10. */
export const PAPER_ROUNDS = { iid: 87, shards: 664 } as const;

export interface TargetOptions {
  splits: Array<'iid' | 'shards'>;
  /** Round cap per split. */
  maxRounds: Record<'iid' | 'shards', number>;
  target: number;
  clientLr: number;
  workers: number;
  /** What trains the clients: the compiled native step or a tfjs backend. */
  path: BenchPath;
  train: Dataset;
  test: Dataset;
  log: (line: string) => void;
  onRow?: (row: RoundsToTargetRow) => void;
}

export async function benchRoundsToTarget(options: TargetOptions): Promise<RoundsToTargetRow[]> {
  const rows: RoundsToTargetRow[] = [];
  for (const split of options.splits) {
    const clients = fed.partition(options.train, { clients: 100, scheme: split, seed: 1 });
    const algo = fed.fedAvg({
      model: PAPER_MODELS['2nn'](),
      clientsPerRound: 10,
      localEpochs: 1,
      batchSize: 10,
      clientLr: options.clientLr,
      seed: 1,
      workers: options.workers,
      backend: PATH_RUNS[options.path].backend,
    });
    const paths = new Set<string>();
    let state = await algo.initialize();
    let seconds = 0,
      accuracy = 0,
      rounds = 0;
    const cap = options.maxRounds[split];
    while (rounds < cap && accuracy < options.target) {
      const { state: next, metrics } = await algo.next(state, clients, { evaluate: options.test });
      state = next;
      for (const path of Object.keys((metrics.trainPaths as Record<string, unknown> | undefined) ?? {})) paths.add(path);
      rounds++;
      seconds += metrics.ms / 1000;
      accuracy = Math.max(accuracy, metrics.testAccuracy ?? 0);
      if (rounds % 10 === 0 || rounds <= 5 || accuracy >= options.target) {
        options.log(`  ${split} round ${rounds}: test accuracy ${(metrics.testAccuracy ?? NaN).toFixed(4)}, ${seconds.toFixed(1)} s`);
      }
    }
    await fed.shutdown();
    const row = roundsToTargetRow({
      split,
      rounds,
      seconds,
      accuracy,
      reached: accuracy >= options.target,
      target: options.target,
      paperRounds: PAPER_ROUNDS[split],
      backend: pathLabel(options.path, { backend: state.backend, paths: Object.fromEntries([...paths].map((p) => [p, { clients: 0 }])) }),
    });
    rows.push(row);
    options.onRow?.(row);
  }
  return rows;
}
