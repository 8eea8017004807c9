/** The plain sum Σ v_i, accumulated in float64: the innermost layer of most stacks. */
import type { AggregationContext, AggregatorInput, SumLayer, SumOutput } from './aggregator';

export function sum(): SumLayer {
  return {
    kind: 'sum',
    name: 'sum',
    traits: {},
    init: () => undefined,
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): SumOutput {
      const width = context.width ?? context.dimension;
      const total = new Float64Array(width);
      for (const { vector } of inputs) for (let j = 0; j < width; j++) total[j] += vector[j];
      return { sum: total, state, metrics: {} };
    },
    sumScaled(inputs, scales, into, out) {
      into.fill(0);
      // The same float64 products added in the same order as aggregate() over pre-scaled vectors, four
      // updates per pass so that the accumulator is read and written a quarter as often.
      const n = into.length;
      const k = inputs.length;
      let i = 0;
      for (; i + 4 <= k; i += 4) {
        const [v0, v1, v2, v3] = [inputs[i].vector, inputs[i + 1].vector, inputs[i + 2].vector, inputs[i + 3].vector];
        const [s0, s1, s2, s3] = [scales[i], scales[i + 1], scales[i + 2], scales[i + 3]];
        for (let j = 0; j < n; j++) into[j] = into[j] + s0 * v0[j] + s1 * v1[j] + s2 * v2[j] + s3 * v3[j];
      }
      // The last 0–3 updates and the float32 copy in one more pass.
      const target = out ?? into;
      const [v0, v1, v2] = [inputs[i]?.vector, inputs[i + 1]?.vector, inputs[i + 2]?.vector];
      const [s0, s1, s2] = [scales[i], scales[i + 1], scales[i + 2]];
      if (v2 && v1 && v0) for (let j = 0; j < n; j++) target[j] = into[j] + s0 * v0[j] + s1 * v1[j] + s2 * v2[j];
      else if (v1 && v0) for (let j = 0; j < n; j++) target[j] = into[j] + s0 * v0[j] + s1 * v1[j];
      else if (v0) for (let j = 0; j < n; j++) target[j] = into[j] + s0 * v0[j];
      else if (out) for (let j = 0; j < n; j++) out[j] = into[j];
    },
  };
}
