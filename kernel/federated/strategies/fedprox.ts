/** FedProx (Li et al. 2020): FedAvg whose clients add μ/2‖w − w_t‖² to their loss. One hook changes. */
import { plainServer } from '../server-optimizers';
import { fedAvgStrategy, type FedAvgSettings } from './fedavg';
import type { Strategy, StrategyDefinition } from './strategy';

export function fedProxStrategy(settings: FedAvgSettings & { mu: number }): Strategy {
  const base = fedAvgStrategy({ ...settings, extra: { mu: settings.mu, ...settings.extra } }, 'fedProx');
  return {
    ...base,
    configureTrain(context, state, options) {
      const plan = base.configureTrain(context, state, options);
      return { ...plan, clients: plan.clients.map(({ clientId, config }) => ({ clientId, config: { ...config, proximalMu: settings.mu } })) };
    },
  };
}

export const fedProxDefinition: StrategyDefinition<{ mu: number }> = {
  name: 'fedProx',
  options: { mu: { check: 'nonNegative' } },
  build: (settings, { mu }) => fedProxStrategy({ ...settings, serverOptimizer: plainServer(1), mu }),
};
