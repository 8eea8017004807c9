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
    sumScaled(inputs, scales, into) {
      into.fill(0);
      // The same float64 products and the same order of additions as aggregate() over pre-scaled vectors.
      inputs.forEach(({ vector }, i) => {
        const scale = scales[i];
        for (let j = 0; j < into.length; j++) into[j] += scale * vector[j];
      });
    },
  };
}
