/**
 * The in-process client transport: every client is a task on this process's
 * Piscina pool, reading its examples from the dataset in shared memory. Shared
 * memory, abort flags and the deadline watchdog stay in here.
 */
import type { InjectedFault } from '../../../workers/task-types';
import type { EvaluateResult } from '../../../workers/task-types';
import type { FederatedData } from '../../federated/partition/federated-data';
import { splitHeldOut } from '../../federated/partition/held-out';
import type { ClientFailure, ClientTrainConfig } from '../../federated/types';
import type { ClientTransport, EvaluateCohortOutcome, TrainCohortOutcome } from '../client-transport';
import type { ClientPool } from './client-pool';
import { trainCohort } from './cohort-training';
import { broadcastCopy, sharedDataOf } from './shared-data';

export interface InProcessTransportOptions {
  readonly pool: () => ClientPool;
  readonly backend: string;
  readonly data: FederatedData;
  /** Tests only: make chosen clients misbehave inside their real worker thread. */
  readonly faults?: ReadonlyMap<number, InjectedFault>;
}

export function createInProcessTransport(options: InProcessTransportOptions): ClientTransport {
  const { data } = options;
  const indicesFor = (clientId: number, config: Pick<ClientTrainConfig, 'heldOut'>): Int32Array =>
    config.heldOut ? splitHeldOut(data.clients[clientId], config.heldOut, clientId).train : data.clients[clientId];
  return {
    kind: 'in-process',
    numClients: data.numClients,
    async train(request, signal): Promise<TrainCohortOutcome> {
      const outcome = await trainCohort({
        pool: options.pool(),
        backend: options.backend,
        spec: request.spec,
        data: sharedDataOf(data.dataset),
        tasks: request.clients.map(({ clientId, seed, config }) => ({ clientId, seed, config, indices: indicesFor(clientId, config) })),
        weights: request.weights,
        clientDeadlineMs: request.deadlineMs,
        signal,
        faults: options.faults,
      });
      const bytesDown = request.clients.reduce((sum, task) => sum + request.weights.byteLength + configBytes(task.config), 0);
      return {
        results: outcome.updates,
        failures: outcome.failures,
        bytesDown,
        bytesUp: outcome.bytesUp,
        clientMs: outcome.clientMs,
        paths: Object.fromEntries(outcome.paths),
        release: outcome.release,
      };
    },
    async evaluate(request, signal): Promise<EvaluateCohortOutcome> {
      const shared = sharedDataOf(data.dataset);
      const weights = broadcastCopy(request.weights);
      const settled = await Promise.allSettled(
        request.clients.map(({ clientId, heldOut }) =>
          options.pool().run<EvaluateResult>(
            {
              type: 'evaluate',
              backend: options.backend,
              spec: request.spec,
              data: shared,
              weights,
              start: 0,
              end: 0,
              indices: splitHeldOut(data.clients[clientId], heldOut, clientId).heldOut,
            },
            signal,
          ),
        ),
      );
      const outcome: { results: EvaluateCohortOutcome['results']; failures: ClientFailure[] } = { results: [], failures: [] };
      settled.forEach((result, i) => {
        const { clientId } = request.clients[i];
        if (result.status === 'rejected') {
          outcome.failures.push({
            clientId,
            reason: 'error',
            message: `client ${clientId} could not evaluate: ${(result.reason as Error)?.message ?? result.reason}`,
          });
        } else if (result.value.count > 0) {
          const { lossSum, correct, count } = result.value;
          outcome.results.push({ clientId, loss: lossSum / count, accuracy: correct / count, examples: count });
        }
      });
      return outcome;
    },
  };
}

/** Bytes of the typed arrays a config carries to the client (a control variate travels like the weights). */
function configBytes(config: ClientTrainConfig): number {
  return Object.values(config).reduce<number>((sum, value) => sum + (ArrayBuffer.isView(value) ? value.byteLength : 0), 0);
}
