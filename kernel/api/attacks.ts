/**
 * `fed.attacks`: simulated malicious clients for a strategy's `attack` option.
 * The attackers (round(fraction·N) clients) are chosen once per run from the seed;
 * round metrics say how many were in each cohort.
 */
import type { Attack } from '../federated/attacks/attack';
import { backdoor, labelFlip, type BackdoorOptions } from '../federated/attacks/data-attacks';
import { gaussian, scaling, signFlip } from '../federated/attacks/update-attacks';

export const attacks = {
  /** Malicious clients send −scale·Δ (scale 1 by default). @example fed.attacks.signFlip({ fraction: 0.3, scale: 4 }) */
  signFlip: (options: { fraction: number; scale?: number }): Attack => signFlip(options),
  /** Malicious clients send boost·Δ (default ×10). @example fed.attacks.scaling({ fraction: 0.2, boost: 10 }) */
  scaling: (options: { fraction: number; boost?: number }): Attack => scaling(options),
  /** Malicious clients send N(0, std²) noise (default std 1). @example fed.attacks.gaussian({ fraction: 0.2, std: 1 }) */
  gaussian: (options: { fraction: number; std?: number }): Attack => gaussian(options),
  /** Malicious clients train with label y → C − 1 − y. @example fed.attacks.labelFlip({ fraction: 0.2 }) */
  labelFlip: (options: { fraction: number }): Attack => labelFlip(options),
  /**
   * Malicious clients stamp a trigger on half their examples and relabel them `target`; metrics gain
   * `attackSuccessRate` on the triggered test set. @example fed.attacks.backdoor({ fraction: 0.1, target: 7 })
   */
  backdoor: (options: BackdoorOptions): Attack => backdoor(options),
};
