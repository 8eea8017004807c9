/**
 * Server-optimizer variants: FedAvgM (Hsu et al. 2019, server momentum) and
 * FedAdam / FedYogi / FedAdagrad (Reddi et al. 2021). FedAvg's hooks with
 * another optimizer applying the aggregate.
 */
import { adaptiveServer, momentumServer, type AdaptiveKind } from '../server-optimizers';
import { fedAvgStrategy, type FedAvgSettings } from './fedavg';
import type { Strategy, StrategyDefinition } from './strategy';

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

export const fedAvgMDefinition: StrategyDefinition<{ serverMomentum?: number; serverLr?: number }> = {
  name: 'fedAvgM',
  options: { serverMomentum: { default: 0.9, check: 'unitOpen' }, serverLr: { default: 1, check: 'positive' } },
  build: (settings, extra) => fedAvgMStrategy({ ...settings, ...extra }),
};

type AdaptiveExtra = { serverLr?: number; beta1?: number; beta2?: number; tau?: number };
const ADAPTIVE_OPTIONS = {
  serverLr: { default: 0.01, check: 'positive' },
  beta1: { default: 0.9, check: 'unitOpen' },
  beta2: { default: 0.99, check: 'unitOpen' },
  tau: { default: 1e-3, check: 'positive' },
} as const;

function adaptiveDefinition(kind: AdaptiveKind): StrategyDefinition<AdaptiveExtra> {
  return { name: ADAPTIVE_NAMES[kind], options: ADAPTIVE_OPTIONS, build: (settings, extra) => adaptiveStrategy(kind, { ...settings, ...extra }) };
}

export const fedAdamDefinition = adaptiveDefinition('adam');
export const fedYogiDefinition = adaptiveDefinition('yogi');
export const fedAdagradDefinition = adaptiveDefinition('adagrad');
