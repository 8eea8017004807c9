/**
 * A federation's training round when the strategy sums securely: the cohort is
 * planned by the strategy (each client's weight, clip and fixed-point scale),
 * each client encodes and masks its own update, and the round gets back only
 * the sum the protocol recovered, with metrics (never an update) per survivor.
 */
import { RoundFailedError } from '../../federated/server-state';
import { SecureAggregationError } from '../../federated/privacy/secagg/server';
import type { SecureSumRequest } from '../../federated/aggregators/secure-stack';
import type { ClientTrainResult, TrainCohortOutcome, TrainCohortRequest } from '../client-transport';
import type { RemoteLink } from './remote-transport';
import { secureTrain } from './secure-round';

/** No update reaches the server: the results a round counts carry an empty delta. */
const NO_UPDATE = new Float32Array(0);

export async function trainSecurely(
  link: RemoteLink,
  request: TrainCohortRequest & { readonly secureSum: SecureSumRequest },
  signal?: AbortSignal,
): Promise<TrainCohortOutcome> {
  const metrics = { transport: 'remote', connectedClients: link.registry.connected().length };
  if (request.clients.length === 0) {
    // A Poisson-sampled cohort may be empty; the strategy still adds its noise to a zero sum, as in the simulation.
    const plan = request.secureSum.plan([]);
    const recovered = { sum: new Float64Array(plan.width), survivors: [] };
    return { results: [], failures: [], bytesDown: 0, bytesUp: 0, clientMs: 0, metrics, secureSum: { plan, recovered } };
  }
  let outcome;
  try {
    outcome = await secureTrain(link, request, request.secureSum, {}, signal);
  } catch (error) {
    // Too few clients left for the threshold fails the round like too few updates do: the run loop records it.
    if (error instanceof SecureAggregationError) throw new RoundFailedError(error.message, []);
    throw error;
  }
  const { plan } = outcome;
  const position = new Map(plan.cohort.map((member, i) => [member.clientId, i]));
  const inSum = new Set(outcome.survivors);
  const results: ClientTrainResult[] = outcome.clients.filter((client) => inSum.has(client.clientId)).map((client) => ({ ...client, delta: NO_UPDATE }));
  for (const failure of outcome.failures) {
    const slot = link.registry.byClientId(failure.clientId);
    if (slot) slot.failures++;
  }
  for (const id of inSum) {
    const slot = link.registry.byClientId(id);
    if (slot) slot.roundsTrained++;
  }
  const rejected = link.tasks.takeRejectedCount();
  return {
    results,
    failures: outcome.failures,
    bytesDown: outcome.bytesDown,
    bytesUp: outcome.bytesUp,
    clientMs: results.reduce((sum, r) => sum + r.ms, 0),
    metrics: { ...metrics, ...(rejected ? { rejectedMessages: rejected } : {}), clientStates: outcome.clientStates },
    secureSum: {
      plan,
      recovered: {
        sum: outcome.sum,
        survivors: outcome.survivors.map((id) => position.get(id)!),
        metrics: {
          dropped: outcome.droppedAfterKeys.length,
          ...(outcome.droppedAfterInput.length ? { droppedAfterInput: outcome.droppedAfterInput.length } : {}),
          recovered: true,
          ms: outcome.ms,
          serverMs: outcome.serverMs,
          bytes: outcome.bytesDown + outcome.bytesUp,
          threshold: plan.threshold,
          scale: plan.scale,
        },
      },
    },
  };
}
