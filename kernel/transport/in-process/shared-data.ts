/** Puts a dataset into the shape workers receive, in shared memory (copied once if it is not already). */
import type { Dataset } from '../../data/dataset';
import type { SharedData } from '../../../workers/task-types';

const cache = new WeakMap<Dataset, SharedData>();

function toShared<T extends Float32Array | Int32Array>(array: T, make: (length: number) => T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const shared = make(array.length);
  shared.set(array);
  return shared;
}

export function sharedDataOf(dataset: Dataset): SharedData {
  let data = cache.get(dataset);
  if (!data) {
    data = {
      x: toShared(dataset.x, (n) => new Float32Array(new SharedArrayBuffer(n * 4))),
      y: toShared(dataset.y, (n) => new Int32Array(new SharedArrayBuffer(n * 4))),
      exampleShape: [...dataset.exampleShape],
      numClasses: dataset.numClasses,
    };
    cache.set(dataset, data);
  }
  return data;
}

/** One shared copy of the global weights per round, read by every client. */
export function broadcastCopy(weights: Float32Array): Float32Array {
  const shared = new Float32Array(new SharedArrayBuffer(weights.byteLength));
  shared.set(weights);
  return shared;
}
