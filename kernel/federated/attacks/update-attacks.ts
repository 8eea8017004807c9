/**
 * Model-poisoning attacks on the update a malicious client sends:
 *  - signFlip: −scale·Δ (scale 1 by default; 4 is the strength Li et al. 2019 (RSA) use),
 *  - scaling: boost·Δ (Bagdasaryan et al. 2020's model replacement),
 *  - gaussian: Δ replaced by N(0, std²) noise (Blanchard et al. 2017's Gaussian Byzantine).
 */
import { finiteNumber, positiveNumber } from '../../validate';
import { checkFraction, type Attack } from './attack';

export function signFlip(options: { fraction: number; scale?: number }): Attack {
  const fraction = checkFraction('attacks.signFlip', options?.fraction);
  const scale = options.scale ?? 1;
  positiveNumber('attacks.signFlip: scale', scale);
  return {
    name: scale === 1 ? `signFlip(${fraction})` : `signFlip(${fraction},×${scale})`,
    fraction,
    poisonUpdate: (delta) => delta.map((v) => -scale * v),
  };
}

export function scaling(options: { fraction: number; boost?: number }): Attack {
  const fraction = checkFraction('attacks.scaling', options?.fraction);
  const boost = options.boost ?? 10;
  finiteNumber('attacks.scaling: boost', boost);
  return {
    name: `scaling(${fraction},×${boost})`,
    fraction,
    poisonUpdate: (delta) => delta.map((v) => v * boost),
  };
}

export function gaussian(options: { fraction: number; std?: number }): Attack {
  const fraction = checkFraction('attacks.gaussian', options?.fraction);
  const std = options.std ?? 1;
  positiveNumber('attacks.gaussian: std', std, true);
  return {
    name: `gaussian(${fraction},σ=${std})`,
    fraction,
    poisonUpdate: (delta, rng) => {
      const noise = new Float32Array(delta.length);
      for (let j = 0; j < noise.length; j++) noise[j] = std * rng.normal();
      return noise;
    },
  };
}
