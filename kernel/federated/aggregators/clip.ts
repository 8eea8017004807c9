/**
 * L2 clipping: scales each update to norm ≤ C before the layer it wraps, which
 * bounds each client's influence (its sensitivity). Wraps a sum (DP-FedAvg) or
 * any aggregator (clip → robust aggregate).
 */
import { positiveNumber } from '../../validate';
import { clipToNorm } from '../privacy/clipping';
import type { AggregatorInput, Aggregator, SumLayer } from './aggregator';

export function clip<T extends SumLayer | Aggregator>(norm: number, inner: T): T {
  positiveNumber('clip: norm', norm);
  const layer = {
    ...inner,
    name: `clip(${norm})>${inner.name}`,
    aggregate(inputs: readonly AggregatorInput[], state: unknown, context: Parameters<T['aggregate']>[2]) {
      const clipped = inputs.map((input) => ({ ...input, vector: clipToNorm(input.vector, norm).vector, bound: norm }));
      const output = inner.aggregate(clipped, state, context);
      return inner.kind === 'sum' ? { ...output, sensitivity: norm } : output;
    },
  };
  return layer as T;
}
