/** `fed.models`: the FedAvg paper's models, logistic regression, and any tfjs layers model. */
import type * as tfjs from '@tensorflow/tfjs';
import type { ModelSpec } from '../../workers/model-spec';
import { checkKnownOptions, integerIn, oneOf } from '../validate';

/** Input shape and class count; both default to MNIST's ([28, 28, 1], 10 classes). */
export interface ModelShapeOptions {
  inputShape?: number[];
  numClasses?: number;
}

const MNIST_SHAPE = [28, 28, 1];

function shapeOf(where: string, options: ModelShapeOptions): { inputShape: number[]; numClasses: number } {
  const inputShape = options.inputShape ?? MNIST_SHAPE;
  if (!Array.isArray(inputShape) || inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new RangeError(`${where}: inputShape must be a non-empty array of positive integers, e.g. [28, 28, 1] (got ${JSON.stringify(inputShape)})`);
  }
  const numClasses = integerIn(`${where}: numClasses`, options.numClasses ?? 10, 2);
  return { inputShape: [...inputShape], numClasses };
}

/**
 * A multilayer perceptron. `fed.models.mlp({ hidden: [200, 200] })` is the
 * FedAvg paper's "2NN" (784-200-200-10, ReLU, 199,210 parameters).
 */
export function mlp(options: ModelShapeOptions & { hidden?: number[]; activation?: 'relu' | 'tanh' | 'sigmoid' } = {}): ModelSpec {
  checkKnownOptions('fed.models.mlp', options, ['hidden', 'activation', 'inputShape', 'numClasses']);
  const hidden = options.hidden ?? [200, 200];
  if (!Array.isArray(hidden) || !hidden.every((units) => Number.isInteger(units) && units > 0)) {
    throw new RangeError(`fed.models.mlp: hidden must be an array of positive integers, e.g. [200, 200] (got ${JSON.stringify(hidden)})`);
  }
  const activation = oneOf('fed.models.mlp: activation', options.activation ?? 'relu', ['relu', 'tanh', 'sigmoid'] as const);
  return { kind: 'mlp', hidden: [...hidden], activation, ...shapeOf('fed.models.mlp', options) };
}

/** The FedAvg paper's CNN: 5×5×32 conv, pool, 5×5×64 conv, pool, 512 dense, 10 (1,663,370 parameters on MNIST). */
export function cnn(options: ModelShapeOptions = {}): ModelSpec {
  checkKnownOptions('fed.models.cnn', options, ['inputShape', 'numClasses']);
  const shape = shapeOf('fed.models.cnn', options);
  if (shape.inputShape.length !== 3) {
    throw new RangeError(`fed.models.cnn: inputShape must be [height, width, channels] (got ${JSON.stringify(shape.inputShape)})`);
  }
  return { kind: 'cnn', ...shape };
}

/** Multinomial logistic regression (one dense layer, softmax loss). */
export function logistic(options: ModelShapeOptions = {}): ModelSpec {
  checkKnownOptions('fed.models.logistic', options, ['inputShape', 'numClasses']);
  return { kind: 'logistic', ...shapeOf('fed.models.logistic', options) };
}

/**
 * Any tfjs layers model: `fed.models.custom(() => tf.sequential({ layers: [...] }))`.
 * The factory runs once here; its topology (not its weights) is sent to the
 * workers, which rebuild it. Initial weights come from the run's seed.
 */
export function custom(factory: () => tfjs.LayersModel): ModelSpec {
  if (typeof factory !== 'function')
    throw new TypeError('fed.models.custom needs a function that returns a tfjs layers model, e.g. () => tf.sequential({...})');
  const model = factory();
  if (!model || typeof (model as { toJSON?: unknown }).toJSON !== 'function' || !Array.isArray(model.inputs)) {
    throw new TypeError('fed.models.custom: the factory must return a tfjs LayersModel (tf.sequential or tf.model)');
  }
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const outputShape = model.outputs[0].shape;
  if (outputShape.length !== 2) {
    throw new RangeError(`fed.models.custom: the model must output [batch, classes] (its output shape is [${outputShape}])`);
  }
  const topology = model.toJSON(undefined, false);
  model.dispose();
  return { kind: 'custom', topology, inputShape, numClasses: outputShape[1] as number };
}
