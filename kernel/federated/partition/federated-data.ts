/**
 * A dataset split among clients: what the engine consumes. The dataset lives
 * in shared memory once; every client's example indices are views into one
 * shared Int32Array, so a worker can be sent a client's indices (or just its
 * offset and size) without copying the examples.
 */
import { subset, type Dataset } from '../../data/dataset';
import { labelHistogram } from './histogram';

/** The partition schemes `partition()` knows. */
export type PartitionScheme = 'iid' | 'shards' | 'dirichlet' | 'natural';

/** A dataset split among clients. */
export interface FederatedData {
  /** The whole dataset, in shared memory. */
  readonly dataset: Dataset;
  /** `clients[c]`: the example indices of client c, ascending; views into {@link FederatedData.indices}. */
  readonly clients: readonly Int32Array[];
  readonly numClients: number;
  readonly scheme: PartitionScheme;
  readonly seed: number;
  /** Every client's indices back to back, in a SharedArrayBuffer. */
  readonly indices: Int32Array;
  /** Client c's indices are `indices[offsets[c] .. offsets[c + 1])`; length numClients + 1. */
  readonly offsets: Int32Array;
  /** The scheme's settings and how it got there (e.g. `{ alpha, minSize, attempts, moved }`), for run records. */
  readonly details: Readonly<Record<string, number | string>>;
  /** Number of examples of every client. */
  sizes(): number[];
  /** `labelHistogram()[c][k]`: examples of class k held by client c. */
  labelHistogram(): number[][];
  /** Client c's examples as a dataset of their own (a copy, in new shared memory). */
  client(c: number): Dataset;
  /** A JSON-friendly summary: scheme, seed, client count, sizes' min/mean/max, details. */
  describe(): PartitionSummary;
  /** The summary, so that `JSON.stringify` and run records do not spell out every index. */
  toJSON(): PartitionSummary;
}

/** What {@link FederatedData.describe} returns. */
export interface PartitionSummary {
  readonly dataset: string;
  readonly scheme: PartitionScheme;
  readonly seed: number;
  readonly numClients: number;
  readonly examples: number;
  readonly minSize: number;
  readonly meanSize: number;
  readonly maxSize: number;
  readonly details: Readonly<Record<string, number | string>>;
}

/** Packs client index lists into shared memory and wraps them as FederatedData. */
export function createFederatedData(parts: {
  dataset: Dataset;
  clients: readonly ArrayLike<number>[];
  scheme: PartitionScheme;
  seed: number;
  details?: Record<string, number | string>;
}): FederatedData {
  const { dataset, scheme, seed } = parts;
  const numClients = parts.clients.length;
  const offsets = new Int32Array(new SharedArrayBuffer((numClients + 1) * Int32Array.BYTES_PER_ELEMENT));
  parts.clients.forEach((list, c) => {
    offsets[c + 1] = offsets[c] + list.length;
  });
  const indices = new Int32Array(new SharedArrayBuffer(offsets[numClients] * Int32Array.BYTES_PER_ELEMENT));
  parts.clients.forEach((list, c) => {
    for (let i = 0; i < list.length; i++) {
      const index = list[i];
      if (!Number.isInteger(index) || index < 0 || index >= dataset.length) {
        throw new RangeError(`client ${c}: example index ${index} is outside 0..${dataset.length - 1}`);
      }
      indices[offsets[c] + i] = index;
    }
  });
  const clients = Array.from({ length: numClients }, (_, c) => indices.subarray(offsets[c], offsets[c + 1]));
  const details = Object.freeze({ ...parts.details });
  const sizes = (): number[] => clients.map((list) => list.length);
  const checkClient = (c: number): void => {
    if (!Number.isInteger(c) || c < 0 || c >= numClients) throw new RangeError(`client must be an integer in 0..${numClients - 1} (got ${c})`);
  };
  const describe = (): PartitionSummary => {
    const all = sizes();
    const examples = offsets[numClients];
    return {
      dataset: dataset.name,
      scheme,
      seed,
      numClients,
      examples,
      minSize: all.reduce((a, b) => Math.min(a, b)),
      meanSize: examples / numClients,
      maxSize: all.reduce((a, b) => Math.max(a, b)),
      details,
    };
  };
  return {
    dataset,
    clients,
    numClients,
    scheme,
    seed,
    indices,
    offsets,
    details,
    sizes,
    labelHistogram: () => labelHistogram(dataset.y, clients, dataset.numClasses),
    client(c) {
      checkClient(c);
      return subset(dataset, clients[c], `${dataset.name}[${scheme} client ${c}]`);
    },
    describe,
    toJSON: describe,
    // console.log in a notebook shows the summary, not a hundred index arrays.
    [Symbol.for('nodejs.util.inspect.custom')]: () => `FederatedData ${JSON.stringify(describe())}`,
  };
}
