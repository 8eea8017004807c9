/**
 * The steps of one round, each a function of its inputs:
 * plan (sample + configure) → train (distribute to the transport) → aggregate
 * (+ apply, owned by the strategy) → evaluate → metrics.
 */
import type { Dataset } from '../data/dataset';
import { createRng, hashLabel } from '../federated/random';
import type { ServerState } from '../federated/server-state';
import type { ClientEvaluationSettings, RoundContext, Strategy, TrainAggregate } from '../federated/strategies/strategy';
import type { HeldOutSplit } from '../federated/types';
import type { ModelSpec } from '../../workers/model-spec';
import type { SecureSumRequest } from '../federated/aggregators/secure-stack';
import type { ClientTask, ClientTransport, TrainCohortOutcome } from '../transport/client-transport';
import type { ServerCompute } from './server-compute';

/** The round's context: its number, the population size and its seeded generator. */
export function roundContext(seed: number, round: number, numClients: number): RoundContext {
  return { round, numClients, rng: createRng(seed).fork(`round-${round}`) };
}

/** Sample + configure: the strategy's plan, each client with its own seed for the round, and its secure sum if it has one. */
export function planRound(
  strategy: Strategy,
  context: RoundContext,
  state: ServerState,
  heldOut?: HeldOutSplit,
): { tasks: ClientTask[]; secureSum?: SecureSumRequest } {
  const plan = strategy.configureTrain(context, state, { heldOut });
  const seedBase = context.rng.fork('clients').uint32();
  const tasks = plan.clients.map(({ clientId, config }) => ({ clientId, config, seed: (hashLabel(`client-${clientId}`) ^ seedBase ^ clientId) >>> 0 }));
  return plan.secureSum ? { tasks, secureSum: plan.secureSum } : { tasks };
}

/** Aggregate + apply: results in client order (completion order varies with threads; client order keeps runs bit-identical). */
export function aggregateRound(strategy: Strategy, context: RoundContext, outcome: TrainCohortOutcome, state: ServerState): TrainAggregate {
  const results = [...outcome.results].sort((a, b) => a.clientId - b.clientId);
  return strategy.aggregateTrain(context, results, outcome.failures, state, outcome.secureSum);
}

export interface EvaluationRequest {
  readonly central?: Dataset;
  /** Extra test sets (e.g. a backdoor's triggered examples) reported as accuracy under their metric name. */
  readonly extra?: readonly { readonly metric: string; readonly data: Dataset }[];
  readonly clients?: ClientEvaluationSettings;
}

/** Centralised evaluation, extra test sets and client-side evaluation of the new global model. */
export async function evaluateRound(
  parts: { strategy: Strategy; server: ServerCompute; transport: ClientTransport; spec: ModelSpec; context: RoundContext },
  weights: Float32Array,
  request: EvaluationRequest,
  signal?: AbortSignal,
): Promise<Record<string, unknown>> {
  const metrics: Record<string, unknown> = {};
  if (request.central) {
    const evaluation = await parts.server.evaluate(parts.spec, weights, request.central, signal);
    metrics.testAccuracy = evaluation.accuracy;
    metrics.testLoss = evaluation.loss;
  }
  for (const { metric, data } of request.extra ?? []) {
    metrics[metric] = (await parts.server.evaluate(parts.spec, weights, data, signal)).accuracy;
  }
  if (request.clients) {
    const evaluators = parts.strategy.configureEvaluate(parts.context, request.clients);
    const outcome = await parts.transport.evaluate(
      {
        round: parts.context.round,
        spec: parts.spec,
        weights,
        clients: evaluators.map((clientId) => ({ clientId, heldOut: request.clients!.heldOut })),
      },
      signal,
    );
    Object.assign(metrics, parts.strategy.aggregateEvaluate(outcome.results));
    if (outcome.failures.length) metrics.clientEvaluationFailures = outcome.failures.length;
  }
  return metrics;
}

/** Example-weighted training loss and accuracy of the usable updates. */
export function trainingMetrics(outcome: TrainCohortOutcome): { trainLoss: number; trainAccuracy: number } {
  const total = outcome.results.reduce((sum, r) => sum + r.numExamples, 0);
  const sorted = [...outcome.results].sort((a, b) => a.clientId - b.clientId);
  return {
    trainLoss: total ? sorted.reduce((sum, u) => sum + u.trainLoss * u.numExamples, 0) / total : NaN,
    trainAccuracy: total ? sorted.reduce((sum, u) => sum + u.trainAccuracy * u.numExamples, 0) / total : NaN,
  };
}
