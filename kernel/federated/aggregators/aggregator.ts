/**
 * Aggregators as composable layers (TFF's aggregation factories), state in and
 * state out. Two kinds:
 *  - a sum layer turns client vectors into their (possibly noised) sum: sum,
 *    Gaussian noise, clipping, adaptive clipping;
 *  - an aggregator turns client updates into the round's delta: mean, weighted
 *    mean, DP mean, median, trimmed mean, Krum, centered clipping.
 * Secure aggregation is split at its sum instead (secure-stack.ts), so that a
 * federation's clients can run the part below it themselves.
 * A layer never mutates itself: `init()` gives its state, `aggregate()` takes a
 * state and returns the next one, so a server state can be saved and replayed.
 */
import type { Rng } from '../random';

/** One client's contribution as it passes through the layers. */
export interface AggregatorInput {
  readonly clientId: number;
  /** The update, or what earlier layers made of it (scaled, clipped). */
  readonly vector: Float32Array | Float64Array;
  /** n_i: examples the client trained on. */
  readonly numExamples: number;
  /** A known bound on |vector[j]| (a clip norm bounds every coordinate). */
  readonly bound?: number;
  /** Product of the factors applied to the vector since its bound was known (a mean's α_i). */
  readonly scale?: number;
}

/** Context of one round's aggregation. */
export interface AggregationContext {
  readonly round: number;
  /** Number of model parameters. Coordinates past it are side channels owned by the layer that appended them. */
  readonly dimension: number;
  /** Length of the vectors reaching a sum (dimension plus side channels); defaults to dimension. */
  readonly width?: number;
  /** Expected cohort size (q·N under Poisson sampling); DP divides by it. */
  readonly expectedCohort: number;
  /** Seeded generator of this round's aggregation (noise, masks). */
  readonly rng: Rng;
}

export type Metrics = Record<string, unknown>;

export interface SumOutput {
  readonly sum: Float64Array;
  /** Positions (in the inputs) whose vectors are in the sum, when some may have dropped out. */
  readonly survivors?: readonly number[];
  /** L2 bound on one client's contribution (set by a clip layer; noise is calibrated to it). */
  readonly sensitivity?: number;
  readonly state: unknown;
  readonly metrics: Metrics;
}

export interface AggregateOutput {
  readonly delta: Float32Array;
  readonly state: unknown;
  readonly metrics: Metrics;
}

interface Layer<Output> {
  /** e.g. 'clip(1)>noise(0.5)>sum'. */
  readonly name: string;
  /** Facts the composition checks (e.g. a secure sum cannot feed a median). */
  readonly traits: LayerTraits;
  init(): unknown;
  /** Throws when a cohort of this many updates cannot be aggregated soundly (Krum needs K > 2f + 2). */
  checkCohort?(cohort: number): void;
  aggregate(inputs: readonly AggregatorInput[], state: unknown, context: AggregationContext): Output;
}

export interface LayerTraits {
  /** Contains a secure sum: only sums of the inputs are ever seen. */
  readonly secure?: boolean;
  /** Adds differentially private noise. */
  readonly private?: boolean;
  /** Needs each update in the clear (order statistics, distances). */
  readonly needsIndividualUpdates?: boolean;
}

export type SumLayer = Layer<SumOutput> & {
  readonly kind: 'sum';
  /**
   * Σ scales[i] · vector_i, bit for bit what `aggregate` returns for vectors pre-scaled in float64, into
   * `into` (overwritten), or, when `out` is given, rounded to float32 into `out` (`into` is then scratch).
   * Only a stateless layer without metrics offers it: a weighted mean then needs no scaled copy of each
   * update (for a CNN, 10 × 13 MB of fresh memory a round) nor a pass to round the sum.
   */
  readonly sumScaled?: (inputs: readonly AggregatorInput[], scales: readonly number[], into: Float64Array, out?: Float32Array) => void;
};
export type Aggregator = Layer<AggregateOutput> & { readonly kind: 'aggregator' };

/** Merges metric records, one level deep, so that layers can each add to `dp`. */
export function mergeMetrics(outer: Metrics, inner: Metrics): Metrics {
  const merged: Metrics = { ...inner };
  for (const [key, value] of Object.entries(outer)) {
    const below = merged[key];
    merged[key] = isRecord(value) && isRecord(below) ? { ...value, ...below } : value;
  }
  return merged;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !ArrayBuffer.isView(value) && !Array.isArray(value);
}

/** Throws when an input's length is not the model's (a broken invariant: the transport checks updates first). */
export function checkLengths(inputs: readonly AggregatorInput[], length: number): void {
  for (const input of inputs) {
    if (input.vector.length !== length) {
      throw new RangeError(`client ${input.clientId} sent an update of length ${input.vector.length}, expected ${length}`);
    }
  }
}
