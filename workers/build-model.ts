/** Builds a tfjs layers model from a ModelSpec inside a worker thread. */
import type * as tfjs from '@tensorflow/tfjs';
import type { ModelSpec } from './model-spec';

export async function buildModel(tf: typeof tfjs, spec: ModelSpec): Promise<tfjs.LayersModel> {
  switch (spec.kind) {
    case 'mlp': {
      const model = tf.sequential();
      addInput(tf, model, spec.inputShape);
      for (const units of spec.hidden) model.add(tf.layers.dense({ units, activation: spec.activation }));
      model.add(tf.layers.dense({ units: spec.numClasses }));
      return model;
    }
    case 'cnn': {
      // McMahan et al. 2017's CNN: 5×5 conv 32, 2×2 max pool, 5×5 conv 64, 2×2 max pool, 512 relu, softmax.
      const model = tf.sequential();
      model.add(tf.layers.conv2d({ inputShape: spec.inputShape, filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }));
      model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
      model.add(tf.layers.conv2d({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }));
      model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
      model.add(tf.layers.flatten());
      model.add(tf.layers.dense({ units: 512, activation: 'relu' }));
      model.add(tf.layers.dense({ units: spec.numClasses }));
      return model;
    }
    case 'logistic': {
      const model = tf.sequential();
      addInput(tf, model, spec.inputShape);
      model.add(tf.layers.dense({ units: spec.numClasses }));
      return model;
    }
    case 'custom': {
      const topology = typeof spec.topology === 'string' ? JSON.parse(spec.topology) : spec.topology;
      return await tf.models.modelFromJSON({ modelTopology: topology });
    }
  }
}

/** True when the model's last layer already applies softmax (custom models may). */
export function endsInSoftmax(model: tfjs.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const config = last.getConfig() as { activation?: string };
  return config.activation === 'softmax';
}

/** Flattens image-shaped inputs; vectors go straight in (flatten needs rank ≥ 3 with the batch). */
function addInput(tf: typeof tfjs, model: tfjs.Sequential, inputShape: number[]): void {
  if (inputShape.length === 1) model.add(tf.layers.inputLayer({ inputShape }));
  else model.add(tf.layers.flatten({ inputShape }));
}
