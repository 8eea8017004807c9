/**
 * Simulated attackers around any transport: the run's malicious clients train
 * on poisoned data and/or send a poisoned update. The round does not know;
 * it sees ordinary results plus how many attackers its cohort held.
 */
import type { Attack } from '../federated/attacks/attack';
import { createRng } from '../federated/random';
import type { ClientTransport } from './client-transport';

export function withAttack(
  inner: ClientTransport,
  attack: Attack,
  attackers: ReadonlySet<number>,
  context: { numClasses: number; seed: number },
): ClientTransport {
  return {
    ...inner,
    kind: `${inner.kind}+attack`,
    async train(request, signal) {
      const clients = request.clients.map((task) =>
        attackers.has(task.clientId) && attack.poisonConfig ? { ...task, config: attack.poisonConfig(task.config, context) } : task,
      );
      const outcome = await inner.train({ ...request, clients }, signal);
      const rng = createRng(context.seed).fork(`attack-round-${request.round}`);
      const results = outcome.results.map((result) =>
        attackers.has(result.clientId) && attack.poisonUpdate ? { ...result, delta: attack.poisonUpdate(result.delta, rng.fork(result.clientId)) } : result,
      );
      const inCohort = request.clients.filter((task) => attackers.has(task.clientId)).length;
      return { ...outcome, results, metrics: { ...outcome.metrics, attackers: inCohort } };
    },
  };
}
