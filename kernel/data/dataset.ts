/**
 * A labelled dataset held in shared memory, so that worker threads read the
 * same bytes without a copy. Features are row-major: example i occupies
 * x[i * featureSize .. (i + 1) * featureSize).
 */
export interface Dataset {
  /** Feature values, backed by a SharedArrayBuffer. */
  readonly x: Float32Array;
  /** Integer class labels in 0..numClasses-1, backed by a SharedArrayBuffer. */
  readonly y: Int32Array;
  /** Shape of one example's features, e.g. [28, 28, 1] for MNIST or [60] for synthetic. */
  readonly exampleShape: readonly number[];
  readonly numClasses: number;
  /** Number of examples. */
  readonly length: number;
  /** Optional per-example group id (for the 'natural' partition), e.g. a device or writer. */
  readonly groups?: Int32Array;
  /** Where the data came from, for run records. */
  readonly name: string;
}

export function featureSize(dataset: Pick<Dataset, 'exampleShape'>): number {
  return dataset.exampleShape.reduce((product, dim) => product * dim, 1);
}

/** Allocates a Float32Array over a SharedArrayBuffer. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

/** Allocates an Int32Array over a SharedArrayBuffer. */
export function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
}

/** Builds a Dataset, checking that the arrays agree. */
export function createDataset(parts: {
  x: Float32Array;
  y: Int32Array;
  exampleShape: readonly number[];
  numClasses: number;
  name: string;
  groups?: Int32Array;
}): Dataset {
  const size = featureSize(parts);
  const length = parts.y.length;
  if (parts.x.length !== length * size) {
    throw new RangeError(`dataset '${parts.name}': x has ${parts.x.length} values, expected ${length} examples × ${size} features = ${length * size}`);
  }
  if (parts.groups && parts.groups.length !== length) {
    throw new RangeError(`dataset '${parts.name}': groups has ${parts.groups.length} entries for ${length} examples`);
  }
  return { ...parts, exampleShape: [...parts.exampleShape], length };
}

/** A subset of a dataset by example indices (copies into new shared memory). */
export function subset(dataset: Dataset, indices: ArrayLike<number>, name = `${dataset.name}[subset]`): Dataset {
  const size = featureSize(dataset);
  const x = sharedFloat32(indices.length * size);
  const y = sharedInt32(indices.length);
  const groups = dataset.groups ? sharedInt32(indices.length) : undefined;
  for (let i = 0; i < indices.length; i++) {
    const source = indices[i];
    x.set(dataset.x.subarray(source * size, (source + 1) * size), i * size);
    y[i] = dataset.y[source];
    if (groups && dataset.groups) groups[i] = dataset.groups[source];
  }
  return createDataset({ x, y, exampleShape: dataset.exampleShape, numClasses: dataset.numClasses, name, groups });
}
