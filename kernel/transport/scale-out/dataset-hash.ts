/**
 * A dataset's content hash: SHA-256 over its shape, class count, labels and
 * feature bytes. It names the dataset between the server and its workers, keys
 * the workers' disk cache, and is checked on every copy a worker receives or
 * loads, so a worker never trains on examples other than the server's.
 */
import { createHash } from 'node:crypto';
import type { Dataset } from '../../data/dataset';

type Hashable = Pick<Dataset, 'x' | 'y' | 'exampleShape' | 'numClasses'>;

const hashes = new WeakMap<object, string>();

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Hex SHA-256 of a dataset's content (cached per dataset object: its arrays are not meant to change). */
export function datasetHash(dataset: Hashable): string {
  let hash = hashes.get(dataset);
  if (!hash) {
    hash = createHash('sha256')
      .update(JSON.stringify({ exampleShape: dataset.exampleShape, numClasses: dataset.numClasses, length: dataset.y.length }))
      .update(bytesOf(dataset.y))
      .update(bytesOf(dataset.x))
      .digest('hex');
    hashes.set(dataset, hash);
  }
  return hash;
}

export function isDatasetHash(text: unknown): text is string {
  return typeof text === 'string' && /^[0-9a-f]{64}$/.test(text);
}
