/**
 * Adaptive clipping (Andrew et al. 2021, "Differentially Private Learning with
 * Adaptive Clipping"), as TFF's gaussian_adaptive does it: the clip norm C
 * follows a geometric update toward the γ-quantile of client update norms,
 * driven by a noised count of clients whose update was not clipped.
 */

/** What persists across rounds: the clip norm for the next round. */
export interface AdaptiveClipState {
  readonly clip: number;
}

/**
 * The privately released fraction of unclipped clients:
 * b̄ = (Σ (b_i − ½) + N(0, σ_b²)) / E + ½, where b_i = 1 when ‖Δ_i‖ ≤ C and E is the expected cohort.
 * Centring b_i at ½ halves the query's sensitivity to ½ (hence 2σ_b in the accounting).
 * `noisedCenteredCount` is Σ (b_i − ½) with its noise already added.
 */
export function unclippedFraction(noisedCenteredCount: number, expectedCohort: number): number {
  return noisedCenteredCount / expectedCohort + 0.5;
}

/** Geometric update C ← C·exp(−η_C (b̄ − γ)): shrink when more than γ of the clients were unclipped. */
export function nextClip(clip: number, fractionUnclipped: number, targetQuantile: number, clipLr: number): number {
  return clip * Math.exp(-clipLr * (fractionUnclipped - targetQuantile));
}
