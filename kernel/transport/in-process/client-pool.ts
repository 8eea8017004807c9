/**
 * The pool of client worker threads (Piscina). min = max = the worker count
 * and a long idle timeout: Piscina's defaults on 2 cores oversubscribe and
 * restart workers, and a new worker costs ~125 ms to load tfjs and WASM.
 */
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Piscina } from 'piscina';
import type { TrainResult, TrainTask, WorkerResult, WorkerTask } from '../../../workers/task-types';
import { dropSharedBuffers } from './shared-buffers';

export interface ClientPool {
  readonly workers: number;
  run<T extends WorkerResult>(task: WorkerTask, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

/** Trains one client on its own (a remote client's or a scale-out worker's task): its start time has a slot of its own. */
export function trainOne(pool: ClientPool, task: Omit<TrainTask, 'type' | 'startTimes' | 'startSlot'>): Promise<TrainResult> {
  return pool.run<TrainResult>({ type: 'train', ...task, startTimes: new Float64Array(new SharedArrayBuffer(8)), startSlot: 0 });
}

/**
 * out/workers/client-worker.js, found from the nearest `out` folder above this file: compiled, this file is
 * out/kernel/transport/in-process/client-pool.js; packaged, it is inlined in the bundle out/kernel/cli/main.js.
 */
const WORKER_FILE = join(outFolder(__dirname), 'workers', 'client-worker.js');

function outFolder(from: string): string {
  let folder = from;
  while (basename(folder) !== 'out' && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

/** Default number of workers: one per core. */
export function defaultWorkerCount(): number {
  return availableParallelism();
}

/**
 * A young generation of at least 8 MB for the worker threads created from now on. V8 starts it at 1 MB,
 * grows it under a client's small per-step allocations and shrinks it again, committing fresh pages each
 * time: ~1,900 page faults per worker per round of 1,000 logistic clients (~6 µs each here), ~50 with
 * this. V8 flags are per process and read when an isolate starts, so this is set before the first pool;
 * a size the user chose on the command line wins.
 */
function reserveYoungGeneration(): void {
  const chosen = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) => arg.includes('semi-space-size'));
  if (!chosen) setFlagsFromString('--min-semi-space-size=8');
}

export function createClientPool(workers: number): ClientPool {
  reserveYoungGeneration();
  const piscina = new Piscina({
    filename: WORKER_FILE,
    minThreads: workers,
    maxThreads: workers,
    idleTimeout: 24 * 60 * 60 * 1000,
    concurrentTasksPerWorker: 1,
    // Workers inherit stdout/stderr, so tfjs warnings appear where the user looks.
  });
  let closed = false;
  return {
    workers,
    run<T extends WorkerResult>(task: WorkerTask, signal?: AbortSignal): Promise<T> {
      if (closed) return Promise.reject(new Error('the client pool was shut down (fed.shutdown() was called)'));
      return piscina.run(task, signal ? { signal } : {}) as Promise<T>;
    },
    async close() {
      if (closed) return;
      closed = true;
      await piscina.destroy();
    },
  };
}

const pools = new Map<number, ClientPool>();

/** The shared pool for a worker count, created on first use and kept warm across rounds and runs. */
export function getClientPool(workers: number): ClientPool {
  let pool = pools.get(workers);
  if (!pool) {
    pool = createClientPool(workers);
    pools.set(workers, pool);
  }
  return pool;
}

/** Ends every pool so that the process can exit. */
export async function shutdownPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close()));
  dropSharedBuffers();
}
