/**
 * The compiled training step: forward, loss, backward and the optimizer step
 * of a ModelPlan, on buffers allocated once (for the largest batch seen) and
 * reused every step. Matrix products go to BLAS (cblas_sgemm); the rest are
 * plain loops over Float32Arrays. Formulas follow tfjs's own kernels and
 * gradients so that tfjs stays the reference.
 */
import type { Sgemm } from '../backend/native-libs/index';
import type { ConvGeometry, Convolution } from '../backend/native-libs/dnnl-conv';
import type { MaxPooling, PoolGeometry } from '../backend/native-libs/dnnl-pool';
import { opOutputSize as outputSize, type Activation, type ModelPlan, type PlanOp } from './model-plan';

/** Native primitives kept per conv2d or maxPool op, one per batch size (the full batch and recent partial ones). */
export const CONVOLUTIONS_KEPT = 4;

/** Makes the native convolution for one geometry and batch size (oneDNN). */
export type ConvolutionFactory = (geometry: ConvGeometry) => Convolution;

/** Makes the native max pooling for one geometry and batch size (oneDNN); without one, pooling runs in JS. */
export type PoolingFactory = (geometry: PoolGeometry) => MaxPooling;

/** What one step reports: the batch's summed cross-entropy and its correct predictions. */
export interface StepOutcome {
  loss: number;
  hits: number;
}

/** Added to every minibatch gradient before the optimizer step. */
export interface GradientTerms {
  /** FedProx μ: adds μ(w − anchor) to the gradient and μ/2·‖w − anchor‖² to the loss. */
  proximalMu: number;
  anchor?: Float32Array;
  /** SCAFFOLD's c − c_i, in the flat weight layout. */
  correction?: Float32Array;
}

export class CompiledStep {
  readonly plan: ModelPlan;
  private readonly sgemm: Sgemm;
  private capacity = 0;
  /** outputs[i]: op i's output for the batch; deltas[i]: the loss gradient with respect to it. */
  private outputs: Float32Array[] = [];
  private deltas: Float32Array[] = [];
  private masks: Array<Float32Array | undefined> = [];
  /** maxPool ops: the input index each output took its value from. */
  private argmax: Array<Int32Array | undefined> = [];
  /** conv2d and maxPool ops: one native primitive per batch size, created on first use. */
  private readonly natives: Array<Map<number, Convolution | MaxPooling>>;
  private readonly makeConvolution?: ConvolutionFactory;
  private readonly makePooling?: PoolingFactory;
  /** Flat gradient, in the weight vector's layout. */
  readonly gradient: Float32Array;
  /**
   * When set, run() adds each op's milliseconds here under 'forward 3 maxPool'-style keys
   * (bench/compiled-step.ts prints them); unset, nothing is timed.
   */
  profile?: Map<string, number>;

  constructor(plan: ModelPlan, sgemm: Sgemm, makeConvolution?: ConvolutionFactory, makePooling?: PoolingFactory) {
    this.plan = plan;
    this.sgemm = sgemm;
    this.gradient = new Float32Array(plan.dimension);
    this.natives = plan.ops.map(() => new Map());
    if (plan.ops.some((op) => op.kind === 'conv2d') && !makeConvolution) throw new Error('compiled step: conv2d needs a convolution library');
    this.makeConvolution = makeConvolution;
    this.makePooling = makePooling;
  }

  /**
   * The weights whose gradient lands in `gradient` even when SGD is folded into the backward pass
   * (convolutions: oneDNN writes weight gradients, it cannot update in place): [offset, size] ranges.
   */
  get unfusedRanges(): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    for (const op of this.plan.ops) {
      if (op.kind !== 'conv2d' || !op.trainable) continue;
      const g = op.geometry;
      ranges.push([op.kernelOffset, g.kh * g.kw * g.inC * g.outC]);
      if (op.biasOffset >= 0) ranges.push([op.biasOffset, g.outC]);
    }
    return ranges;
  }

  /**
   * Op `index`'s native primitive for this batch size. Clients of any size end in a partial batch of any size,
   * so only the most recently used few are kept; older ones are freed.
   */
  private native<T extends Convolution | MaxPooling>(index: number, batch: number, make: () => T): T {
    const cache = this.natives[index];
    let native = cache.get(batch);
    if (native) {
      cache.delete(batch); // re-inserted below: Map order is the recency order
    } else {
      native = make();
      if (cache.size >= CONVOLUTIONS_KEPT) {
        const [oldest, evicted] = cache.entries().next().value as [number, Convolution | MaxPooling];
        cache.delete(oldest);
        evicted.dispose();
      }
    }
    cache.set(batch, native);
    return native as T;
  }

  private convolution(index: number, op: Extract<PlanOp, { kind: 'conv2d' }>, batch: number): Convolution {
    return this.native(index, batch, () => this.makeConvolution!({ ...op.geometry, batch, bias: op.biasOffset >= 0, relu: op.rectify }));
  }

  /** The native max pooling for this batch size, or undefined to pool in JS. */
  private pooling(index: number, op: Extract<PlanOp, { kind: 'maxPool' }>, batch: number): MaxPooling | undefined {
    const make = this.makePooling;
    if (!make) return undefined;
    const { inH, inW, channels, outH, outW, ph, pw, sh, sw } = op;
    return this.native(index, batch, () => make({ batch, inH, inW, channels, outH, outW, ph, pw, sh, sw, relu: op.activation === 'relu' }));
  }

  /** Grows the batch buffers to hold `batch` examples; a no-op once they are large enough. */
  reserve(batch: number): void {
    if (batch <= this.capacity) return;
    this.capacity = batch;
    this.outputs = this.plan.ops.map((op) => new Float32Array(batch * outputSize(op)));
    this.deltas = this.plan.ops.map((op) => new Float32Array(batch * outputSize(op)));
    this.masks = this.plan.ops.map((op) => (op.kind === 'dropout' ? new Float32Array(batch * op.size) : undefined));
    this.argmax = this.plan.ops.map((op) => (op.kind === 'maxPool' && !this.makePooling ? new Int32Array(batch * outputSize(op)) : undefined));
  }

  /**
   * One minibatch: forward on `x` (count × inputSize), loss against `labels`, backward.
   * With `sgdLr` the dense weights are updated during the backward pass (w ← w − lr·g, folded into the
   * weight-gradient GEMM) and only the `unfusedRanges` (convolutions) are left in `this.gradient`;
   * without it the whole gradient is left there for an optimizer.
   */
  run(weights: Float32Array, x: Float32Array, labels: Int32Array, count: number, random: () => number, sgdLr?: number): StepOutcome {
    const { plan } = this;
    this.checkBatch(weights, x, labels, count);
    this.reserve(count);
    const profile = this.profile;
    const timed = (key: string, call: () => void) => {
      const started = performance.now();
      call();
      profile!.set(key, (profile!.get(key) ?? 0) + performance.now() - started);
    };
    let input = x;
    plan.ops.forEach((op, i) => {
      const opInput = input;
      if (profile) timed(`forward ${i} ${op.kind}`, () => this.forward(i, weights, opInput, count, random, true));
      else this.forward(i, weights, input, count, random, true);
      input = this.outputs[i];
    });
    const last = plan.ops.length - 1;
    const outcome = this.lossGradient(this.outputs[last], labels, count, this.deltas[last]);
    for (let i = last; i >= 0; i--) {
      const opInput = i === 0 ? x : this.outputs[i - 1];
      const dIn = i === 0 ? undefined : this.deltas[i - 1];
      if (profile) timed(`backward ${i} ${plan.ops[i].kind}`, () => this.backward(i, weights, opInput, dIn, count, sgdLr));
      else this.backward(i, weights, opInput, dIn, count, sgdLr);
    }
    return outcome;
  }

  /** Forward and loss only (dropout off, as tfjs's training: false): the batch's summed loss and correct predictions. */
  evaluate(weights: Float32Array, x: Float32Array, labels: Int32Array, count: number): StepOutcome {
    const { plan } = this;
    this.checkBatch(weights, x, labels, count);
    this.reserve(count);
    let input = x;
    plan.ops.forEach((op, i) => {
      if (op.kind === 'dropout') return;
      this.forward(i, weights, input, count, Math.random, false);
      input = this.outputs[i];
    });
    const last = plan.ops.length - 1;
    return this.lossGradient(input, labels, count, this.deltas[last]);
  }

  private checkBatch(weights: Float32Array, x: Float32Array, labels: Int32Array, count: number): void {
    const { plan } = this;
    if (weights.length !== plan.dimension) throw new RangeError(`compiled step: weights have ${weights.length} values, the model has ${plan.dimension}`);
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`compiled step: batch size must be a positive integer, got ${count}`);
    if (x.length < count * plan.inputSize || labels.length < count)
      throw new RangeError(`compiled step: a batch of ${count} needs ${count * plan.inputSize} inputs and ${count} labels`);
  }

  /** Adds the proximal term and the correction to the gradient; returns the proximal loss μ/2·‖w − anchor‖². */
  addGradientTerms(weights: Float32Array, terms: GradientTerms): number {
    const g = this.gradient;
    let proximal = 0;
    const { proximalMu: mu, anchor, correction } = terms;
    for (const [offset, size] of this.plan.trainable) {
      if (mu > 0 && anchor) {
        for (let j = offset; j < offset + size; j++) {
          const d = weights[j] - anchor[j];
          proximal += d * d;
          g[j] += mu * d;
        }
      }
      if (correction) for (let j = offset; j < offset + size; j++) g[j] += correction[j];
    }
    return (mu / 2) * proximal;
  }

  private forward(index: number, w: Float32Array, input: Float32Array, count: number, random: () => number, training: boolean): void {
    const op = this.plan.ops[index];
    const out = this.outputs[index],
      mask = this.masks[index];
    switch (op.kind) {
      case 'conv2d': {
        const n = count * outputSize(op);
        const g = op.geometry;
        const kernel = w.subarray(op.kernelOffset, op.kernelOffset + g.kh * g.kw * g.inC * g.outC);
        const bias = op.biasOffset >= 0 ? w.subarray(op.biasOffset, op.biasOffset + g.outC) : undefined;
        this.convolution(index, op, count).forward(input.subarray(0, count * g.inH * g.inW * g.inC), kernel, bias, out.subarray(0, n));
        activate(op.activation, out, out, 1, n);
        return;
      }
      case 'maxPool': {
        const pooling = this.pooling(index, op, count);
        if (!pooling) {
          maxPool(op, input, out, this.argmax[index]!, count, training);
          return;
        }
        // With activation 'relu' the input is already rectified (see fuseReluIntoPool), and so is its maximum.
        pooling.forward(input.subarray(0, count * op.inH * op.inW * op.channels), out.subarray(0, count * outputSize(op)));
        return;
      }
      case 'dense': {
        const { inputs, units } = op;
        const y = out.subarray(0, count * units);
        if (op.biasOffset >= 0) {
          const bias = w.subarray(op.biasOffset, op.biasOffset + units);
          for (let r = 0; r < count; r++) y.set(bias, r * units);
        }
        this.sgemm(false, false, count, units, inputs, input, w.subarray(op.kernelOffset, op.kernelOffset + inputs * units), y, 1, op.biasOffset >= 0 ? 1 : 0);
        activate(op.activation, y, y, count, units);
        return;
      }
      case 'activation':
        activate(op.activation, input.subarray(0, count * op.size), out.subarray(0, count * op.size), count, op.size);
        return;
      case 'dropout': {
        // tf.dropout: x · floor(u + keep) / keep with u uniform in [0, 1).
        const keep = 1 - op.rate;
        for (let j = 0; j < count * op.size; j++) {
          const m = Math.floor(random() + keep) / keep;
          mask![j] = m;
          out[j] = input[j] * m;
        }
      }
    }
  }

  private backward(index: number, w: Float32Array, input: Float32Array, dIn: Float32Array | undefined, count: number, sgdLr?: number): void {
    const op = this.plan.ops[index];
    const out = this.outputs[index],
      dOut = this.deltas[index],
      mask = this.masks[index];
    switch (op.kind) {
      case 'conv2d': {
        const g = op.geometry;
        const n = count * outputSize(op);
        activationGradient(op.activation, out, dOut, 1, n);
        const kernelSize = g.kh * g.kw * g.inC * g.outC;
        const kernel = w.subarray(op.kernelOffset, op.kernelOffset + kernelSize);
        const conv = this.convolution(index, op, count);
        const dy = dOut.subarray(0, n);
        if (dIn) conv.backwardData(dy, kernel, dIn.subarray(0, count * g.inH * g.inW * g.inC));
        if (!op.trainable) return;
        const dBias = op.biasOffset >= 0 ? this.gradient.subarray(op.biasOffset, op.biasOffset + g.outC) : undefined;
        conv.backwardWeights(
          input.subarray(0, count * g.inH * g.inW * g.inC),
          dy,
          this.gradient.subarray(op.kernelOffset, op.kernelOffset + kernelSize),
          dBias,
        );
        return;
      }
      case 'maxPool': {
        if (!dIn) return;
        const pooling = this.pooling(index, op, count);
        if (pooling) {
          const n = count * outputSize(op);
          // With activation 'relu' the pooling takes the ReLU's gradient first (a gradient only where the pooled value is positive).
          pooling.backward(dOut.subarray(0, n), dIn.subarray(0, count * op.inH * op.inW * op.channels), out.subarray(0, n));
          return;
        }
        const argmax = this.argmax[index]!;
        dIn.fill(0, 0, count * op.inH * op.inW * op.channels);
        const n = count * outputSize(op);
        if (op.activation === 'relu') {
          for (let j = 0; j < n; j++) if (out[j] > 0) dIn[argmax[j]] += dOut[j];
        } else {
          for (let j = 0; j < n; j++) dIn[argmax[j]] += dOut[j];
        }
        return;
      }
      case 'dense': {
        const { inputs, units } = op;
        const g = dOut.subarray(0, count * units);
        activationGradient(op.activation, out, g, count, units);
        const kernel = w.subarray(op.kernelOffset, op.kernelOffset + inputs * units);
        // dIn uses the weights before this step's update.
        if (dIn) this.sgemm(false, true, count, inputs, units, g, kernel, dIn.subarray(0, count * inputs), 1, 0);
        if (!op.trainable) return;
        const fused = sgdLr !== undefined;
        const dKernel = fused ? kernel : this.gradient.subarray(op.kernelOffset, op.kernelOffset + inputs * units);
        this.sgemm(true, false, inputs, units, count, input.subarray(0, count * inputs), g, dKernel, fused ? -sgdLr : 1, fused ? 1 : 0);
        if (op.biasOffset < 0) return;
        const target = fused ? w : this.gradient;
        const base = op.biasOffset;
        if (!fused) target.fill(0, base, base + units);
        const scale = fused ? -sgdLr : 1;
        for (let j = 0; j < units; j++) {
          let sum = 0;
          for (let r = 0; r < count; r++) sum += g[r * units + j];
          target[base + j] += scale * sum;
        }
        return;
      }
      case 'activation':
        activationGradient(op.activation, out, dOut, count, op.size);
        if (dIn) dIn.set(dOut.subarray(0, count * op.size));
        return;
      case 'dropout':
        if (dIn) for (let j = 0; j < count * op.size; j++) dIn[j] = dOut[j] * mask![j];
    }
  }

  /** Cross-entropy as trainLocally computes it: the batch mean, on logits or (after softmax) on probabilities. */
  private lossGradient(output: Float32Array, labels: Int32Array, count: number, dOut: Float32Array): StepOutcome {
    const classes = this.plan.outputSize;
    let loss = 0,
      hits = 0;
    for (let r = 0; r < count; r++) {
      const row = r * classes;
      const label = labels[r];
      let best = 0;
      for (let j = 1; j < classes; j++) if (output[row + j] > output[row + best]) best = j;
      if (best === label) hits++;
      if (this.plan.softmaxOutput) {
        // loss = −mean Σ t·log(p + 1e-7); dp = −t / (p + 1e-7) / B
        for (let j = 0; j < classes; j++) dOut[row + j] = 0;
        if (label >= 0 && label < classes) {
          const p = output[row + label] + 1e-7;
          loss -= Math.log(p);
          dOut[row + label] = -1 / p / count;
        }
      } else {
        // tf.losses.softmaxCrossEntropy: loss = logΣexp(z) − z_y; dz = (softmax(z) − t) / B
        let max = -Infinity;
        for (let j = 0; j < classes; j++) if (output[row + j] > max) max = output[row + j];
        let sum = 0;
        for (let j = 0; j < classes; j++) sum += Math.exp(output[row + j] - max);
        const logSum = Math.log(sum) + max;
        for (let j = 0; j < classes; j++) dOut[row + j] = (Math.exp(output[row + j] - logSum) - (j === label ? 1 : 0)) / count;
        if (label >= 0 && label < classes) loss += logSum - output[row + label];
      }
    }
    return { loss, hits };
  }
}

/**
 * tf.maxPool with 'valid' padding, NHWC; the first maximum in row-major window order wins, as in tfjs's
 * gradient. With a fused ReLU the pooled value is clamped at 0 afterwards.
 */
function maxPool(op: Extract<PlanOp, { kind: 'maxPool' }>, x: Float32Array, y: Float32Array, argmax: Int32Array, count: number, training: boolean): void {
  const { inH, inW, channels: C, outH, outW, ph, pw, sh, sw } = op;
  const window = new Int32Array(ph * pw);
  for (let i = 0; i < ph; i++) for (let j = 0; j < pw; j++) window[i * pw + j] = (i * inW + j) * C;
  const relu = op.activation === 'relu';
  let o = 0;
  for (let n = 0; n < count; n++) {
    const image = n * inH * inW * C;
    for (let r = 0; r < outH; r++) {
      for (let c = 0; c < outW; c++) {
        const base = image + (r * sh * inW + c * sw) * C;
        for (let ch = 0; ch < C; ch++, o++) {
          let at = base + ch;
          let best = x[at];
          for (let k = 1; k < window.length; k++) {
            const at2 = base + window[k] + ch;
            if (x[at2] > best) {
              best = x[at2];
              at = at2;
            }
          }
          y[o] = relu && !(best > 0) ? 0 : best;
          if (training) argmax[o] = at;
        }
      }
    }
  }
}

function activate(activation: Activation, input: Float32Array, out: Float32Array, rows: number, cols: number): void {
  const n = rows * cols;
  switch (activation) {
    case 'linear':
      if (out !== input) out.set(input.subarray(0, n));
      return;
    case 'relu':
      for (let j = 0; j < n; j++) out[j] = input[j] > 0 ? input[j] : 0;
      return;
    case 'sigmoid':
      for (let j = 0; j < n; j++) out[j] = 1 / (1 + Math.exp(-input[j]));
      return;
    case 'tanh':
      for (let j = 0; j < n; j++) out[j] = Math.tanh(input[j]);
      return;
    case 'softmax':
      for (let r = 0; r < rows; r++) {
        const row = r * cols;
        let max = -Infinity;
        for (let j = 0; j < cols; j++) if (input[row + j] > max) max = input[row + j];
        let sum = 0;
        for (let j = 0; j < cols; j++) sum += Math.exp(input[row + j] - max);
        const logSum = Math.log(sum) + max;
        for (let j = 0; j < cols; j++) out[row + j] = Math.exp(input[row + j] - logSum);
      }
  }
}

/** dOut ← dOut · f′, written in terms of the activation's output y (as tfjs's gradients are). */
function activationGradient(activation: Activation, y: Float32Array, d: Float32Array, rows: number, cols: number): void {
  const n = rows * cols;
  switch (activation) {
    case 'linear':
      return;
    case 'relu':
      for (let j = 0; j < n; j++) if (!(y[j] > 0)) d[j] = 0;
      return;
    case 'sigmoid':
      for (let j = 0; j < n; j++) d[j] *= y[j] * (1 - y[j]);
      return;
    case 'tanh':
      for (let j = 0; j < n; j++) d[j] *= 1 - y[j] * y[j];
      return;
    case 'softmax':
      // dz = y · (dy − Σ dy·y)
      for (let r = 0; r < rows; r++) {
        const row = r * cols;
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += d[row + j] * y[row + j];
        for (let j = 0; j < cols; j++) d[row + j] = y[row + j] * (d[row + j] - dot);
      }
  }
}
