/**
 * A worker's datasets, found by content hash: in memory, else in the disk
 * cache, else loaded by name when the server says it is built in, else asked
 * of the server once. Every copy is checked against the hash before use.
 */
import type { Dataset } from '../../data/dataset';
import { createDataset, sharedFloat32, sharedInt32 } from '../../data/dataset';
import { loadByOrigin } from '../../data/origin';
import type { DatasetCache } from './dataset-cache';
import { datasetHash, isDatasetHash } from './dataset-hash';
import type { DatasetBytes, DatasetRef, NoDataset } from './scale-out-wire';

export interface WorkerDatasets {
  get(ref: DatasetRef): Promise<Dataset>;
  /** Bytes the server sent in answer to an ask. */
  receive(message: DatasetBytes): void;
  /** The server's word that it cannot send a dataset. */
  unavailable(message: NoDataset): void;
  /** How datasets were found so far. */
  readonly counts: { fromCache: number; byName: number; received: number };
}

export function createWorkerDatasets(cache: DatasetCache, ask: (hash: string) => void, log: (line: string) => void): WorkerDatasets {
  const found = new Map<string, Promise<Dataset>>();
  const waiting = new Map<string, { resolve: (dataset: Dataset) => void; reject: (error: Error) => void }>();
  const counts = { fromCache: 0, byName: 0, received: 0 };

  const find = async (ref: DatasetRef): Promise<Dataset> => {
    const cached = cache.read(ref.hash);
    if (cached) {
      counts.fromCache++;
      log(`dataset '${cached.name}' (${ref.hash.slice(0, 12)}) from the cache in ${cache.dir}`);
      return cached;
    }
    if (ref.origin) {
      const loaded = await loadByOrigin(ref.origin).catch((error: Error) => {
        log(`could not load the built-in dataset ${ref.origin!.loader} here (${error.message}); asking the server for it`);
        return undefined;
      });
      if (loaded && datasetHash(loaded) === ref.hash) {
        counts.byName++;
        log(`dataset '${loaded.name}' (${ref.hash.slice(0, 12)}) loaded here by name (${ref.origin.loader} ${ref.origin.split})`);
        return loaded;
      }
      if (loaded) log(`the built-in dataset ${ref.origin.loader} ${ref.origin.split} differs on this machine from the server's; asking the server for it`);
    }
    const sent = new Promise<Dataset>((resolve, reject) => waiting.set(ref.hash, { resolve, reject }));
    ask(ref.hash);
    const dataset = await sent;
    counts.received++;
    try {
      cache.write(ref.hash, dataset);
      log(`dataset '${dataset.name}' (${ref.hash.slice(0, 12)}) received from the server and cached in ${cache.dir}`);
    } catch (error) {
      log(`dataset '${dataset.name}' received from the server; could not cache it in ${cache.dir}: ${(error as Error).message}`);
    }
    return dataset;
  };

  return {
    counts,
    get(ref) {
      if (!ref || !isDatasetHash(ref.hash))
        return Promise.reject(new Error(`the server sent a dataset reference without a valid hash: ${JSON.stringify(ref)?.slice(0, 80)}`));
      let dataset = found.get(ref.hash);
      if (!dataset) {
        dataset = find(ref);
        found.set(ref.hash, dataset);
        // A failed find is tried afresh by the next task.
        dataset.catch(() => found.delete(ref.hash));
      }
      return dataset;
    },
    receive(message) {
      const waiter = waiting.get(message.hash);
      if (!waiter) return log(`ignored a dataset nobody asked for (${message.hash.slice(0, 12)})`);
      waiting.delete(message.hash);
      const x = sharedFloat32(message.x.length);
      x.set(message.x);
      const y = sharedInt32(message.y.length);
      y.set(message.y);
      let dataset: Dataset;
      try {
        dataset = createDataset({ x, y, exampleShape: message.exampleShape, numClasses: message.numClasses, name: message.name });
      } catch (error) {
        return waiter.reject(new Error(`the server's dataset is malformed: ${(error as Error).message}`));
      }
      const hash = datasetHash(dataset);
      if (hash !== message.hash)
        return waiter.reject(new Error(`the dataset received hashes to ${hash.slice(0, 12)}, not ${message.hash.slice(0, 12)}: refused`));
      waiter.resolve(dataset);
    },
    unavailable(message) {
      const waiter = waiting.get(message.hash);
      waiting.delete(message.hash);
      waiter?.reject(new Error(`the server cannot send dataset ${message.hash.slice(0, 12)}: ${message.reason}`));
    },
  };
}
