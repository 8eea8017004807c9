/**
 * FedAvg and its family. Each variant changes one hook of FedAvg:
 *  - FedSGD: one full-batch local step (E = 1, B = ∞)            (McMahan et al. 2017)
 *  - FedProx: a proximal term μ/2‖w − w_t‖² in the client loss   (Li et al. 2020)
 *  - FedAvgM: server momentum on the aggregate                    (Hsu et al. 2019)
 *  - FedAdam / FedYogi / FedAdagrad: adaptive server optimisers   (Reddi et al. 2021)
 */
import { adaptiveServer, momentumServer, plainServer, type AdaptiveKind } from '../server-optimizers';
import type { Weighting } from '../aggregation';
import type { Strategy } from './strategy';

export interface ClientOptions {
  clientsPerRound: number;
  localEpochs: number;
  batchSize: number;
  clientLr: number;
  clientOptimizer: 'sgd' | 'adam';
  weighting: Weighting;
}

export function fedAvgStrategy(options: ClientOptions, extra: Record<string, unknown> = {}): Strategy {
  return {
    name: 'fedAvg',
    hyperparameters: { ...options, ...extra },
    weighting: options.weighting,
    configureClients: () => ({
      localEpochs: options.localEpochs, batchSize: options.batchSize, clientLr: options.clientLr,
      optimizer: options.clientOptimizer, proximalMu: 0,
    }),
    serverOptimizer: plainServer(1),
  };
}

export function fedSgdStrategy(options: ClientOptions, extra: Record<string, unknown> = {}): Strategy {
  const base = fedAvgStrategy({ ...options, localEpochs: 1, batchSize: Infinity }, extra);
  return { ...base, name: 'fedSgd' };
}

export function fedProxStrategy(options: ClientOptions & { mu: number }, extra: Record<string, unknown> = {}): Strategy {
  const base = fedAvgStrategy(options, extra);
  return {
    ...base,
    name: 'fedProx',
    configureClients: (round) => ({ ...base.configureClients(round), proximalMu: options.mu }),
  };
}

export function fedAvgMStrategy(options: ClientOptions & { serverLr: number; serverMomentum: number }, extra: Record<string, unknown> = {}): Strategy {
  return { ...fedAvgStrategy(options, extra), name: 'fedAvgM', serverOptimizer: momentumServer(options.serverLr, options.serverMomentum) };
}

const ADAPTIVE_NAMES: Record<AdaptiveKind, string> = { adam: 'fedAdam', yogi: 'fedYogi', adagrad: 'fedAdagrad' };

export function adaptiveStrategy(
  kind: AdaptiveKind,
  options: ClientOptions & { serverLr: number; beta1: number; beta2: number; tau: number },
  extra: Record<string, unknown> = {},
): Strategy {
  return {
    ...fedAvgStrategy(options, extra),
    name: ADAPTIVE_NAMES[kind],
    serverOptimizer: adaptiveServer(kind, options),
  };
}
