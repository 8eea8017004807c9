/**
 * The scale-out protocol: a server lends simulated clients to `fedbook worker`
 * processes. Same wire format as the federation (kernel/transport/remote/wire.ts:
 * JSON header plus binary frames, version and round checked, size limits),
 * its own messages: a worker receives a client's examples as a dataset
 * reference plus that client's indices, never a dataset it already holds.
 */
import type { ModelSpec } from '../../../workers/model-spec';
import type { DatasetOrigin } from '../../data/origin';
import type { ClientTrainConfig } from '../../federated/types';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  decodeFrames,
  encodeFrames,
  type Bye,
  type Cancel,
  type Envelope,
  TRAIN_RESULT_FIELDS,
  type Fields,
  type Heartbeat,
  type HelloAgain,
  type Notice,
  type Refuse,
  type Shutdown,
  type TaskFailed,
  type TrainReply,
  type Welcome,
} from '../remote/wire';

export interface WorkerHello {
  readonly type: 'worker-hello';
  readonly name: string;
  /** Client trainings this worker runs at once (its thread count). */
  readonly threads: number;
  readonly publicKey: string;
  readonly proof: string;
}
/** The worker lacks the dataset of this hash (not cached, not loadable by name): send its bytes. */
export interface NeedDataset {
  readonly type: 'need-dataset';
  readonly hash: string;
}

export type WorkerMessage = WorkerHello | Heartbeat | Bye | NeedDataset | TrainReply | TaskFailed;

/** How a worker finds a dataset: its content hash, and for a built-in dataset how to load it by name. */
export interface DatasetRef {
  readonly hash: string;
  readonly origin?: DatasetOrigin;
}

/** A round's global weights, sent once per worker and round; the round's tasks name them by `id`. */
export interface RoundWeights {
  readonly type: 'round-weights';
  readonly id: string;
  readonly weights: Float32Array;
}
/** Train one simulated client: the examples `indices` of the dataset `dataset`, from the round's weights `weightsId`. */
export interface SimTrain {
  readonly type: 'sim-train';
  readonly task: string;
  readonly clientId: number;
  readonly backend: string;
  readonly spec: ModelSpec;
  readonly weightsId: string;
  readonly seed: number;
  readonly config: ClientTrainConfig;
  readonly deadlineMs: number;
  readonly dataset: DatasetRef;
  readonly indices: Int32Array;
}
/** A dataset's bytes, sent once per worker that asks; the worker checks them against `hash`. */
export interface DatasetBytes {
  readonly type: 'dataset';
  readonly hash: string;
  readonly name: string;
  readonly exampleShape: readonly number[];
  readonly numClasses: number;
  readonly x: Float32Array;
  readonly y: Int32Array;
}

/** The server cannot send the dataset asked for (unknown hash, too large for the wire): the worker fails those clients' tasks. */
export interface NoDataset {
  readonly type: 'no-dataset';
  readonly hash: string;
  readonly reason: string;
}

export type ScaleOutServerMessage = Welcome | Refuse | Heartbeat | Notice | Shutdown | HelloAgain | Cancel | RoundWeights | SimTrain | DatasetBytes | NoDataset;

const WORKER_FIELDS: Record<WorkerMessage['type'], Fields> = {
  'worker-hello': { name: 'string', threads: 'integer', publicKey: 'string', proof: 'string' },
  heartbeat: {},
  bye: { reason: 'string' },
  'need-dataset': { hash: 'string' },
  'train-result': TRAIN_RESULT_FIELDS,
  'task-failed': { task: 'string', message: 'string' },
};

const SERVER_FIELDS: Record<ScaleOutServerMessage['type'], Fields> = {
  welcome: { name: 'string' },
  refuse: { reason: 'string' },
  heartbeat: {},
  notice: { message: 'string' },
  shutdown: { reason: 'string' },
  'hello-again': { reason: 'string' },
  cancel: { task: 'string' },
  'round-weights': { id: 'string', weights: 'f32' },
  'sim-train': {
    task: 'string',
    clientId: 'integer',
    backend: 'string',
    spec: 'object',
    weightsId: 'string',
    seed: 'integer',
    config: 'object',
    deadlineMs: 'number',
    dataset: 'object',
    indices: 'i32',
  },
  dataset: { hash: 'string', name: 'string', exampleShape: 'shape', numClasses: 'integer', x: 'f32', y: 'i32' },
  'no-dataset': { hash: 'string', reason: 'string' },
};

export function encodeScaleOut(message: WorkerMessage | ScaleOutServerMessage, round: number, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Buffer[] {
  return encodeFrames(message, round, { maxMessageBytes });
}

export function decodeWorkerMessage(frames: readonly Buffer[], maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Envelope<WorkerMessage> {
  return decodeFrames<WorkerMessage>(frames, maxMessageBytes, WORKER_FIELDS);
}

export function decodeScaleOutServerMessage(frames: readonly Buffer[], maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Envelope<ScaleOutServerMessage> {
  return decodeFrames<ScaleOutServerMessage>(frames, maxMessageBytes, SERVER_FIELDS);
}
