/**
 * Reads a tfjs layers model into a training plan the compiled step can run:
 * a chain of dense, activation and dropout operations over flat vectors, with
 * each weight's offset in the flat weight vector. A model with any other layer
 * is reported as unsupported, naming the layer, and trains through tfjs.
 */
import type * as tfjs from '@tensorflow/tfjs';
import type { ConvGeometry } from '../backend/native-libs/dnnl-conv';
import type { PoolWindow } from '../backend/native-libs/dnnl-pool';

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'softmax';

export type PlanOp =
  | {
      kind: 'dense';
      layer: string;
      inputs: number;
      units: number;
      activation: Activation;
      trainable: boolean;
      /** Offsets into the flat weight vector; bias is -1 without one. */
      kernelOffset: number;
      biasOffset: number;
    }
  | { kind: 'activation'; layer: string; size: number; activation: Activation }
  | { kind: 'dropout'; layer: string; size: number; rate: number }
  | {
      kind: 'conv2d';
      layer: string;
      activation: Activation;
      /**
       * The ReLU that fuseReluIntoPool moved to the next pool is also applied here, inside the convolution's
       * kernel (a oneDNN post-op, free there): the pool's input is then already rectified.
       */
      rectify: boolean;
      trainable: boolean;
      kernelOffset: number;
      biasOffset: number;
      /** Per example, NHWC; padding top, left, bottom, right. */
      geometry: Omit<ConvGeometry, 'batch' | 'bias'>;
    }
  | (PoolWindow & {
      kind: 'maxPool';
      layer: string;
      /** 'relu' when the previous conv2d's ReLU moved here (see fuseReluIntoPool): that conv2d rectifies its output. */
      activation: 'linear' | 'relu';
    });

/** Values per example an op produces. */
export function opOutputSize(op: PlanOp): number {
  switch (op.kind) {
    case 'dense':
      return op.units;
    case 'conv2d':
      return op.geometry.outH * op.geometry.outW * op.geometry.outC;
    case 'maxPool':
      return op.outH * op.outW * op.channels;
    default:
      return op.size;
  }
}

export interface ModelPlan {
  /** Values per example going in (the product of the input shape). */
  inputSize: number;
  /** Values per example coming out (classes). */
  outputSize: number;
  ops: PlanOp[];
  /** True when the last op applies softmax (the loss then works on probabilities, as in tfjs). */
  softmaxOutput: boolean;
  /** Length of the flat weight vector. */
  dimension: number;
  /** [offset, size] of each trainable weight. */
  trainable: Array<[number, number]>;
}

/** The layer classes the compiled step runs; everything else goes through tfjs. */
export const COMPILED_LAYERS = ['InputLayer', 'Dense', 'Flatten', 'Dropout', 'Activation', 'Conv2D', 'MaxPooling2D'] as const;

const ACTIVATIONS: readonly string[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

interface WeightEntry {
  variable: unknown;
  offset: number;
  size: number;
}

/** A plan for `model`, or one line saying why it cannot be compiled. */
export function compileModelPlan(model: tfjs.LayersModel, weights: readonly WeightEntry[]): { plan: ModelPlan } | { unsupported: string } {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return { unsupported: 'the model has several inputs or outputs' };
  const inputShape = model.inputs[0].shape;
  const outputShape = model.outputs[0].shape;
  if (outputShape.length !== 2) return { unsupported: `the model's output has shape [${outputShape}], not [batch, classes]` };
  const ops: PlanOp[] = [];
  let size = product(inputShape.slice(1));
  /** The per-example shape flowing between layers. */
  let shape = inputShape.slice(1).map((d) => d ?? 1);
  let previous: unknown;
  for (const layer of model.layers) {
    const className = layer.getClassName();
    const label = `layer '${layer.name}' (${className})`;
    if (previous !== undefined && !followsOnly(layer, previous))
      return { unsupported: `${label} does not take the previous layer's output alone (only chains compile)` };
    previous = layer;
    const config = layer.getConfig() as Record<string, unknown>;
    switch (className) {
      case 'InputLayer':
        break;
      case 'Flatten':
        if (config.dataFormat === 'channelsFirst') return { unsupported: `${label} with channelsFirst is not supported by the compiled step` };
        shape = [size];
        break;
      case 'Dropout': {
        const rate = Number(config.rate);
        if (config.noiseShape != null) return { unsupported: `${label} with a noiseShape is not supported by the compiled step` };
        if (rate > 0) ops.push({ kind: 'dropout', layer: layer.name, size, rate });
        break;
      }
      case 'Activation': {
        const activation = String(config.activation);
        if (!ACTIVATIONS.includes(activation)) return { unsupported: `${label} with activation '${activation}' is not supported by the compiled step` };
        if (activation !== 'linear') ops.push({ kind: 'activation', layer: layer.name, size, activation: activation as Activation });
        break;
      }
      case 'Dense': {
        const activation = String(config.activation ?? 'linear');
        if (!ACTIVATIONS.includes(activation)) return { unsupported: `${label} with activation '${activation}' is not supported by the compiled step` };
        const inShape = (layer.input as tfjs.SymbolicTensor).shape;
        if (inShape.length !== 2) return { unsupported: `${label} on a rank-${inShape.length} input is not supported by the compiled step (flatten first)` };
        const units = Number(config.units);
        const [kernel, bias] = layer.weights;
        const kernelEntry = weights.find((w) => w.variable === kernel);
        const biasEntry = bias ? weights.find((w) => w.variable === bias) : undefined;
        if (!kernelEntry || kernelEntry.size !== size * units || (bias && (!biasEntry || biasEntry.size !== units))) {
          return { unsupported: `${label}'s weights are not where the compiled step expects them` };
        }
        shape = [units];
        ops.push({
          kind: 'dense',
          layer: layer.name,
          inputs: size,
          units,
          activation: activation as Activation,
          trainable: layer.trainable,
          kernelOffset: kernelEntry.offset,
          biasOffset: biasEntry ? biasEntry.offset : -1,
        });
        size = units;
        break;
      }
      case 'Conv2D': {
        const activation = String(config.activation ?? 'linear');
        if (!ACTIVATIONS.includes(activation) || activation === 'softmax')
          return { unsupported: `${label} with activation '${activation}' is not supported by the compiled step` };
        if (shape.length !== 3) return { unsupported: `${label} on a rank-${shape.length + 1} input is not supported by the compiled step` };
        if (config.dataFormat === 'channelsFirst') return { unsupported: `${label} with channelsFirst is not supported by the compiled step` };
        if (pair(config.dilationRate).some((d) => d !== 1)) return { unsupported: `${label} with dilation is not supported by the compiled step` };
        const [inH, inW, inC] = shape;
        const [kh, kw] = pair(config.kernelSize);
        const [sh, sw] = pair(config.strides);
        const outC = Number(config.filters);
        if (config.padding !== 'same' && config.padding !== 'valid')
          return { unsupported: `${label} with padding '${config.padding}' is not supported by the compiled step` };
        const padding = spatialPadding(String(config.padding), inH, inW, kh, kw, sh, sw);
        if (!(padding.outH > 0 && padding.outW > 0)) return { unsupported: `${label}'s kernel is larger than its input` };
        const [kernel, bias] = layer.weights;
        const kernelEntry = weights.find((w) => w.variable === kernel);
        const biasEntry = bias ? weights.find((w) => w.variable === bias) : undefined;
        if (!kernelEntry || kernelEntry.size !== kh * kw * inC * outC || (bias && (!biasEntry || biasEntry.size !== outC))) {
          return { unsupported: `${label}'s weights are not where the compiled step expects them` };
        }
        const geometry = {
          inH,
          inW,
          inC,
          outH: padding.outH,
          outW: padding.outW,
          outC,
          kh,
          kw,
          sh,
          sw,
          pt: padding.pt,
          pl: padding.pl,
          pb: padding.pb,
          pr: padding.pr,
        };
        ops.push({
          kind: 'conv2d',
          layer: layer.name,
          activation: activation as Activation,
          trainable: layer.trainable,
          kernelOffset: kernelEntry.offset,
          biasOffset: biasEntry ? biasEntry.offset : -1,
          rectify: false,
          geometry,
        });
        shape = [padding.outH, padding.outW, outC];
        size = product(shape);
        break;
      }
      case 'MaxPooling2D': {
        if (shape.length !== 3) return { unsupported: `${label} on a rank-${shape.length + 1} input is not supported by the compiled step` };
        if (config.padding !== 'valid')
          return { unsupported: `${label} with padding '${config.padding}' is not supported by the compiled step (only 'valid')` };
        if (config.dataFormat === 'channelsFirst') return { unsupported: `${label} with channelsFirst is not supported by the compiled step` };
        const [inH, inW, channels] = shape;
        const [ph, pw] = pair(config.poolSize);
        const [sh, sw] = pair(config.strides ?? config.poolSize);
        const outH = Math.floor((inH - ph) / sh) + 1,
          outW = Math.floor((inW - pw) / sw) + 1;
        if (!(outH > 0 && outW > 0)) return { unsupported: `${label}'s pool is larger than its input` };
        ops.push({ kind: 'maxPool', layer: layer.name, inH, inW, channels, outH, outW, ph, pw, sh, sw, activation: 'linear' });
        shape = [outH, outW, channels];
        size = product(shape);
        break;
      }
      default:
        return { unsupported: `${label} is not supported by the compiled step (it runs ${COMPILED_LAYERS.slice(1).join(', ')})` };
    }
  }
  const softmaxAt = ops.findIndex((op) => 'activation' in op && op.activation === 'softmax');
  if (softmaxAt >= 0 && softmaxAt !== ops.length - 1) return { unsupported: `softmax in '${ops[softmaxAt].layer}' is not the last operation` };
  if (size !== outputShape[1]) return { unsupported: `the compiled plan ends with ${size} values, the model with ${outputShape[1]}` };
  if (!ops.some((op) => op.kind === 'dense')) return { unsupported: 'the model has no dense layer' };
  fuseReluIntoPool(ops);
  const dimension = weights.reduce((sum, w) => sum + w.size, 0);
  const trainable: Array<[number, number]> = [];
  for (const op of ops) {
    if (op.kind === 'dense' && op.trainable) {
      trainable.push([op.kernelOffset, op.inputs * op.units]);
      if (op.biasOffset >= 0) trainable.push([op.biasOffset, op.units]);
    }
    if (op.kind === 'conv2d' && op.trainable) {
      const g = op.geometry;
      trainable.push([op.kernelOffset, g.kh * g.kw * g.inC * g.outC]);
      if (op.biasOffset >= 0) trainable.push([op.biasOffset, g.outC]);
    }
  }
  return { plan: { inputSize: product(inputShape.slice(1)), outputSize: size, ops, softmaxOutput: softmaxAt >= 0, dimension, trainable } };
}

/**
 * ReLU is monotonic, so maxPool(relu(x)) = relu(maxPool(x)), and the pool picks the same input whenever the
 * result is positive (a zero result has a zero gradient either way): applying the ReLU after the pool touches
 * a quarter of the values (2×2 pools), forward and backward, with the same numbers as tfjs. The convolution
 * still rectifies its output, inside its kernel where that costs nothing, so that the pool's forward has no
 * separate ReLU pass; the pool's backward takes the ReLU's gradient.
 */
function fuseReluIntoPool(ops: PlanOp[]): void {
  for (let i = 0; i + 1 < ops.length; i++) {
    const conv = ops[i],
      pool = ops[i + 1];
    if (conv.kind === 'conv2d' && conv.activation === 'relu' && pool.kind === 'maxPool') {
      conv.activation = 'linear';
      conv.rectify = true;
      pool.activation = 'relu';
    }
  }
}

function pair(value: unknown): [number, number] {
  const v = Array.isArray(value) ? value.map(Number) : [Number(value), Number(value)];
  return [v[0], v[1] ?? v[0]];
}

/** tfjs's output size and padding ('same' puts the odd pixel at the bottom and right). */
function spatialPadding(padding: string, inH: number, inW: number, kh: number, kw: number, sh: number, sw: number) {
  if (padding === 'valid') return { outH: Math.ceil((inH - kh + 1) / sh), outW: Math.ceil((inW - kw + 1) / sw), pt: 0, pl: 0, pb: 0, pr: 0 };
  const outH = Math.ceil(inH / sh),
    outW = Math.ceil(inW / sw);
  const totalH = Math.max((outH - 1) * sh + kh - inH, 0),
    totalW = Math.max((outW - 1) * sw + kw - inW, 0);
  return { outH, outW, pt: Math.floor(totalH / 2), pl: Math.floor(totalW / 2), pb: totalH - Math.floor(totalH / 2), pr: totalW - Math.floor(totalW / 2) };
}

function product(dims: ReadonlyArray<number | null>): number {
  return dims.reduce<number>((a, b) => a * (b ?? 1), 1);
}

/** True when `layer`'s only input is `previous`'s output (a chain, as in a Sequential model). */
function followsOnly(layer: tfjs.layers.Layer, previous: unknown): boolean {
  const nodes = (layer as unknown as { inboundNodes: Array<{ inboundLayers: unknown[] }> }).inboundNodes;
  if (nodes?.length !== 1) return false;
  const inbound = nodes[0].inboundLayers;
  return inbound.length === 1 && inbound[0] === previous;
}
