/**
 * Messages between the simulation's worker pool and a client worker thread.
 * Large arrays are SharedArrayBuffer views (shared, not copied) on the way in,
 * and a transferred Float32Array (moved, not copied) on the way back.
 */
import type { ModelSpec } from './model-spec';
import type { ClientTrainConfig } from '../kernel/federated/types';

/** The shared training or test data, as seen by a worker. */
export interface SharedData {
  x: Float32Array;
  y: Int32Array;
  exampleShape: number[];
  numClasses: number;
}

/** Test-only fault injection: makes a client misbehave in a chosen way. */
export type InjectedFault = 'throw' | 'exit' | 'nan' | 'wrong-length' | 'hang';

export interface TrainTask {
  type: 'train';
  backend: string;
  spec: ModelSpec;
  data: SharedData;
  clientId: number;
  /** Example indices of this client in `data`. */
  indices: Int32Array;
  /** The round's global weights (one shared copy per round). */
  globalWeights: Float32Array;
  config: ClientTrainConfig;
  /** Seed for this client's shuffling in this round. */
  seed: number;
  /** abortFlag[0] becomes 1 when the run is aborted: stop between batches. */
  abortFlag: Int32Array;
  /** The client gives up this many ms after it starts (0 = no deadline). */
  deadlineMs: number;
  /** startTimes[startSlot] ← Date.now() when the task starts, for the pool's watchdog. */
  startTimes: Float64Array;
  startSlot: number;
  fault?: InjectedFault;
}

export interface TrainResult {
  type: 'train';
  clientId: number;
  status: 'ok' | 'aborted' | 'timeout';
  delta?: Float32Array;
  numExamples: number;
  trainLoss: number;
  trainAccuracy: number;
  backend: string;
  /** Which path trained this client: 'compiled-native' (the compiled BLAS step) or 'tfjs-<backend>'. */
  path: string;
  /** Why a client that could have used the compiled step did not (e.g. the unsupported layer), one line. */
  pathNote?: string;
  /** Optimizer steps taken (minibatches trained). */
  steps: number;
  ms: number;
}

/**
 * A whole cohort for one worker to share with the others: each worker claims
 * the next untrained client from `next` until none is left, so W tasks train K
 * clients with no dispatch per client and no idle worker while clients remain.
 * Client i's delta goes into `deltas` at i · dimension (shared, reused between
 * rounds); only small records come back.
 */
export interface CohortTask {
  type: 'train-cohort';
  backend: string;
  spec: ModelSpec;
  data: SharedData;
  clientIds: number[];
  /** Client i's examples are indices[offsets[i] .. offsets[i + 1]). */
  indices: Int32Array;
  offsets: Int32Array;
  seeds: number[];
  configs: ClientTrainConfig[];
  globalWeights: Float32Array;
  /** next[0]: the next client to claim (Atomics.add). */
  next: Int32Array;
  /** claims[i] ← this task's `worker` + 1 when it claims client i (so the clients of a dead thread are known). */
  claims: Int32Array;
  worker: number;
  deltas: Float32Array;
  abortFlag: Int32Array;
  /** Test-only: faults a client of a shared cohort can simulate without stopping its thread. */
  faults?: Record<number, 'throw' | 'nan'>;
}

/** One client of a shared cohort: its numbers, or why it failed; its delta is in the task's `deltas`. */
export type CohortClientResult =
  | ({ slot: number } & Omit<TrainResult, 'delta' | 'type'> & { invalid?: string })
  | { slot: number; clientId: number; error: string };

export interface CohortResult {
  type: 'train-cohort';
  clients: CohortClientResult[];
}

export interface EvaluateTask {
  type: 'evaluate';
  backend: string;
  spec: ModelSpec;
  data: SharedData;
  start: number;
  end: number;
  /** When given, the examples to evaluate (a client's held-out split) instead of start..end. */
  indices?: Int32Array;
  weights: Float32Array;
}

export interface EvaluateResult {
  type: 'evaluate';
  lossSum: number;
  correct: number;
  count: number;
  backend: string;
}

export interface DescribeTask {
  type: 'describe';
  backend: string;
  spec: ModelSpec;
}

export interface DescribeResult {
  type: 'describe';
  weights: { name: string; shape: number[]; trainable: boolean }[];
  backend: string;
  backendDetail?: string;
}

export type WorkerTask = TrainTask | CohortTask | EvaluateTask | DescribeTask;
export type WorkerResult = TrainResult | CohortResult | EvaluateResult | DescribeResult;
