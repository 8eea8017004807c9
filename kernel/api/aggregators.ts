/**
 * `fed.aggregators`: what a strategy's `aggregator` option takes. Robust
 * aggregators replace the weighted mean; `clip` pre-clips updates before any of them.
 */
import type { Aggregator } from '../federated/aggregators/aggregator';
import { centeredClipping, type CenteredClippingOptions } from '../federated/aggregators/centered-clipping';
import { clip as clipLayer } from '../federated/aggregators/clip';
import { krum, type KrumOptions } from '../federated/aggregators/krum';
import { median } from '../federated/aggregators/median';
import { trimmedMean, type TrimmedMeanOptions } from '../federated/aggregators/trimmed-mean';
import { mean, weightedMean, type Weighting } from '../federated/aggregators/weighted-mean';

export const aggregators = {
  /** FedAvg's mean: Σ α_i Δ_i with α_i = n_i / Σ n_j ('examples', the default) or 1/K ('uniform'). */
  weightedMean: (weighting: Weighting = 'examples'): Aggregator => weightedMean(weighting),
  /** The unweighted mean 1/K Σ Δ_i. */
  mean: (): Aggregator => mean(),
  /**
   * Coordinate-wise median (Yin et al. 2018).
   * @example fed.fedAvg({ ..., aggregator: fed.aggregators.median() })
   */
  median: (): Aggregator => median(),
  /**
   * Coordinate-wise trimmed mean: drops the ⌊β·K⌋ largest and smallest values per coordinate.
   * @param options.beta β in [0, 0.5).
   * @example fed.aggregators.trimmedMean({ beta: 0.2 })
   */
  trimmedMean: (options: TrimmedMeanOptions): Aggregator => trimmedMean(options),
  /**
   * Krum / Multi-Krum (Blanchard et al. 2017): keeps the `select` updates closest to their K − f − 2 neighbours, then averages them.
   * Needs K > 2f + 2 clients per round.
   * @example fed.aggregators.krum({ byzantine: 2, select: 4 })
   */
  krum: (options: KrumOptions): Aggregator => krum(options),
  /**
   * Centered clipping (Karimireddy et al. 2021): v ← v + 1/K Σ clip_τ(Δ_i − v), from the previous round's aggregate.
   * @example fed.aggregators.centeredClipping({ tau: 1, iterations: 3 })
   */
  centeredClipping: (options: CenteredClippingOptions): Aggregator => centeredClipping(options),
  /**
   * Clips every update to L2 norm ≤ `norm` before `inner` (default: the weighted mean).
   * @example fed.aggregators.clip(1.0, fed.aggregators.median())
   */
  clip: (norm: number, inner: Aggregator = weightedMean()): Aggregator => clipLayer(norm, inner),
};
