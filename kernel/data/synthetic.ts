/**
 * FedProx's synthetic(α, β) data (Li et al. 2020, "Federated Optimization in
 * Heterogeneous Networks", §5.1, after Shamir et al. 2014), generated as the
 * paper's reference code does (litian96/FedProx, `generate_niid.py` under data/synthetic_1_1).
 *
 * For each device k:
 *   u_k ~ N(0, α),  W_k ~ N(u_k, 1) (features × classes),  b_k ~ N(u_k, 1) (classes);
 *   B_k ~ N(0, β),  v_k ~ N(B_k, 1) per feature;
 *   x ~ N(v_k, Σ) with Σ diagonal, Σ_jj = j^(−1.2);
 *   y = argmax(softmax(W_kᵀ x + b_k)).
 * α controls how much the local models differ, β how much the local inputs
 * differ. As in the reference code, the second argument of N(·, ·) is a
 * standard deviation (numpy's `normal(loc, scale)`), and device k holds
 * ⌊lognormal(4, 2)⌋ + 50 examples, of which the first 90% train and the rest test.
 * Note that u_k shifts every class's logit by the same u_k·(Σ_j x_j + 1), so
 * it never changes the argmax: in this definition the devices' models differ
 * through W_k's unit-variance noise whatever α is, and α changes no label.
 * With `iid: true` (the paper's synthetic_iid), every device shares one W and b
 * and v_k = B_k for every feature.
 */
import { createRng, type Rng } from '../federated/random';
import { createDataset, sharedFloat32, sharedInt32, type Dataset } from './dataset';
import { checkKnownOptions, finiteNumber, integerIn, numberIn, positiveNumber } from '../validate';

/** Options of {@link generateSynthetic}. */
export interface SyntheticOptions {
  /** α: spread of the devices' models (0 = one model for all). */
  readonly alpha: number;
  /** β: spread of the devices' inputs (0 = same input distribution). */
  readonly beta: number;
  /** Seed of every draw; defaults to 0. */
  readonly seed?: number;
  /** Number of devices; defaults to 30. */
  readonly devices?: number;
  /** Features per example; defaults to 60. */
  readonly features?: number;
  /** Number of classes; defaults to 10. */
  readonly classes?: number;
  /** Share of each device's examples kept for testing; defaults to 0.1. */
  readonly testFraction?: number;
  /** The paper's synthetic_iid: one shared model and v_k = B_k; defaults to false. */
  readonly iid?: boolean;
}

/** Train and test splits; `groups` holds each example's device id in both. */
export interface SyntheticSplits {
  readonly train: Dataset;
  readonly test: Dataset;
}

/**
 * Generates FedProx's synthetic(α, β) federated dataset. Partition it with
 * `scheme: 'natural'` to give each device its own client.
 *
 * @example
 * const { train, test } = fed.datasets.synthetic({ alpha: 1, beta: 1, seed: 0 });
 * const clients = fed.partition(train, { scheme: 'natural' }); // 30 devices
 */
export function generateSynthetic(options: SyntheticOptions): SyntheticSplits {
  if (!options || typeof options !== 'object') throw new TypeError('synthetic needs options, e.g. { alpha: 1, beta: 1, seed: 0 }');
  checkKnownOptions('synthetic', options, ['alpha', 'beta', 'seed', 'devices', 'features', 'classes', 'testFraction', 'iid']);
  const { alpha, beta } = options;
  positiveNumber('synthetic: alpha', alpha, true);
  positiveNumber('synthetic: beta', beta, true);
  const seed = options.seed ?? 0;
  finiteNumber('seed', seed);
  const devices = integerIn('devices', options.devices ?? 30, 1);
  const features = integerIn('features', options.features ?? 60, 1);
  const classes = integerIn('classes', options.classes ?? 10, 2);
  const testFraction = options.testFraction ?? 0.1;
  numberIn('testFraction', testFraction, 0, 1, false, true);
  const iid = options.iid ?? false;
  const rng = createRng(seed).fork('synthetic');

  const sizes = Array.from({ length: devices }, () => Math.floor(Math.exp(4 + 2 * rng.normal())) + 50);
  const trainSizes = sizes.map((size) => Math.floor((1 - testFraction) * size));
  const totalTrain = trainSizes.reduce((a, b) => a + b, 0);
  const totalTest = sizes.reduce((a, b) => a + b, 0) - totalTrain;
  const train = allocate(totalTrain, features);
  const test = allocate(totalTest, features);
  const scale = Float64Array.from({ length: features }, (_, j) => Math.sqrt(Math.pow(j + 1, -1.2)));
  const shared = iid ? drawModel(rng, 0, features, classes) : undefined;

  for (let k = 0; k < devices; k++) {
    const u = alpha * rng.normal();
    const B = beta * rng.normal();
    const mean = Float64Array.from({ length: features }, () => (iid ? B : B + rng.normal()));
    const model = shared ?? drawModel(rng, u, features, classes);
    for (let s = 0; s < sizes[k]; s++) {
      const target = s < trainSizes[k] ? train : test;
      const row = target.filled++;
      const x = target.x.subarray(row * features, (row + 1) * features);
      for (let j = 0; j < features; j++) x[j] = mean[j] + scale[j] * rng.normal();
      target.y[row] = argmaxLogit(model, x, classes);
      target.groups[row] = k;
    }
  }
  const name = `synthetic(${alpha},${beta})${iid ? '-iid' : ''}`;
  const build = (part: Part, split: string): Dataset =>
    createDataset({ x: part.x, y: part.y, groups: part.groups, exampleShape: [features], numClasses: classes, name: `${name}-${split}` });
  return { train: build(train, 'train'), test: build(test, 'test') };
}

interface Part {
  x: Float32Array;
  y: Int32Array;
  groups: Int32Array;
  filled: number;
}

function allocate(count: number, features: number): Part {
  return { x: sharedFloat32(count * features), y: sharedInt32(count), groups: sharedInt32(count), filled: 0 };
}

interface LinearModel {
  W: Float64Array;
  b: Float64Array;
}

/** W ~ N(mean, 1) of shape features × classes (row-major), b ~ N(mean, 1). */
function drawModel(rng: Rng, mean: number, features: number, classes: number): LinearModel {
  const W = Float64Array.from({ length: features * classes }, () => mean + rng.normal());
  const b = Float64Array.from({ length: classes }, () => mean + rng.normal());
  return { W, b };
}

/** argmax of softmax(Wᵀx + b), which is the argmax of the logits themselves. */
function argmaxLogit({ W, b }: LinearModel, x: Float32Array, classes: number): number {
  let best = 0;
  let bestLogit = -Infinity;
  for (let c = 0; c < classes; c++) {
    let logit = b[c];
    for (let j = 0; j < x.length; j++) logit += x[j] * W[j * classes + c];
    if (logit > bestLogit) {
      bestLogit = logit;
      best = c;
    }
  }
  return best;
}
