/** A worker's reply as the round sees it: the same fields whichever transport carried it. */
import type { TrainResult } from '../../workers/task-types';
import type { ClientTrainResult } from './client-transport';

type TrainedReply = Pick<TrainResult, 'numExamples' | 'trainLoss' | 'trainAccuracy' | 'backend' | 'ms'> & Partial<Pick<TrainResult, 'steps' | 'path'>>;

export function clientTrainResult(clientId: number, reply: TrainedReply, delta: Float32Array): ClientTrainResult {
  return {
    clientId,
    delta,
    numExamples: reply.numExamples,
    trainLoss: reply.trainLoss,
    trainAccuracy: reply.trainAccuracy,
    steps: reply.steps,
    backend: reply.backend,
    path: reply.path,
    ms: reply.ms,
  };
}
