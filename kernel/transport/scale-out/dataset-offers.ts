/**
 * The datasets a scale-out server has offered its workers, by content hash,
 * and the answer to a worker that asks for one: its bytes, or why not. Counts
 * what was sent, for describe().
 */
import type { Dataset } from '../../data/dataset';
import { originOf } from '../../data/origin';
import { datasetHash } from './dataset-hash';
import type { DatasetBytes, DatasetRef, NoDataset } from './scale-out-wire';

export class DatasetOffers {
  private readonly byHash = new Map<string, Dataset>();
  datasetsSent = 0;
  bytesSent = 0;

  /** Makes a dataset available by its hash; the reference says how a worker finds it (by name when built in). */
  offer(dataset: Dataset): DatasetRef {
    const hash = datasetHash(dataset);
    this.byHash.set(hash, dataset);
    const origin = originOf(dataset);
    return origin ? { hash, origin } : { hash };
  }

  /**
   * Answers an ask: `send` frames the bytes (it throws when they are too large for the wire) and returns the
   * bytes sent; the outcome says what went out, for the log.
   */
  answer(hash: string, send: (message: DatasetBytes | NoDataset) => number): { sent: true; name: string; bytes: number } | { sent: false; reason: string } {
    const dataset = this.byHash.get(hash);
    if (!dataset) {
      const reason = 'this server holds no dataset with that hash';
      send({ type: 'no-dataset', hash, reason });
      return { sent: false, reason };
    }
    try {
      const bytes = send({
        type: 'dataset',
        hash,
        name: dataset.name,
        exampleShape: dataset.exampleShape,
        numClasses: dataset.numClasses,
        x: dataset.x,
        y: dataset.y,
      });
      this.datasetsSent++;
      this.bytesSent += bytes;
      return { sent: true, name: dataset.name, bytes };
    } catch (error) {
      // Too large for the wire: the worker fails those tasks, and their clients train on the server instead.
      const reason = `dataset '${dataset.name}' cannot be sent: ${(error as Error).message}`;
      send({ type: 'no-dataset', hash, reason });
      return { sent: false, reason };
    }
  }
}
