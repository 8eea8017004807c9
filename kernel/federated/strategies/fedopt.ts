/**
 * Server-optimizer variants: FedAvgM (Hsu et al. 2019, server momentum) and
 * FedAdam / FedYogi / FedAdagrad (Reddi et al. 2021). FedAvg's hooks with
 * another optimizer applying the aggregate.
 */
import { adaptiveServer, momentumServer, type AdaptiveKind } from '../server-optimizers';
import { fedAvgStrategy, type FedAvgSettings } from './fedavg';
import type { Strategy } from './strategy';

type BaseSettings = Omit<FedAvgSettings, 'serverOptimizer'>;

export function fedAvgMStrategy(settings: BaseSettings & { serverLr: number; serverMomentum: number }): Strategy {
  const extra = { serverMomentum: settings.serverMomentum, serverLr: settings.serverLr, ...settings.extra };
  return fedAvgStrategy({ ...settings, extra, serverOptimizer: momentumServer(settings.serverLr, settings.serverMomentum) }, 'fedAvgM');
}

const ADAPTIVE_NAMES: Record<AdaptiveKind, string> = { adam: 'fedAdam', yogi: 'fedYogi', adagrad: 'fedAdagrad' };

export function adaptiveStrategy(kind: AdaptiveKind, settings: BaseSettings & { serverLr: number; beta1: number; beta2: number; tau: number }): Strategy {
  const extra = { serverLr: settings.serverLr, beta1: settings.beta1, beta2: settings.beta2, tau: settings.tau, ...settings.extra };
  return fedAvgStrategy({ ...settings, extra, serverOptimizer: adaptiveServer(kind, settings) }, ADAPTIVE_NAMES[kind]);
}
