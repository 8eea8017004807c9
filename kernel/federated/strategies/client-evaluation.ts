/**
 * The default client-side evaluation hooks: a seeded fraction of clients, and
 * the distribution of their accuracy (mean, 10th percentile, worst), the
 * fairness view researchers ask for.
 */
import { sampleFixedCohort } from '../sampling';
import type { ClientEvaluationResult, ClientEvaluationSettings, RoundContext } from './strategy';

export function sampleEvaluators(context: RoundContext, settings: ClientEvaluationSettings): number[] {
  const count = Math.max(1, Math.round(settings.fraction * context.numClients));
  return sampleFixedCohort(context.numClients, Math.min(count, context.numClients), context.rng.fork('client-evaluation'));
}

/** Example-weighted mean accuracy and loss, plus the 10th percentile and the worst client's accuracy. */
export function summarizeClientEvaluations(results: readonly ClientEvaluationResult[]): Record<string, number> {
  if (results.length === 0) return {};
  const examples = results.reduce((sum, r) => sum + r.examples, 0);
  const sorted = results.map((r) => r.accuracy).sort((a, b) => a - b);
  return {
    clientAccuracyMean: results.reduce((sum, r) => sum + r.accuracy * r.examples, 0) / examples,
    clientAccuracyP10: percentile(sorted, 0.1),
    clientAccuracyWorst: sorted[0],
    clientLossMean: results.reduce((sum, r) => sum + r.loss * r.examples, 0) / examples,
    clientsEvaluated: results.length,
  };
}

/** Linear-interpolated percentile of ascending values (p in [0, 1]). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 1) return sorted[0];
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
}
