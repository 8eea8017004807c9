/**
 * Model-poisoning attacks on the update a malicious client sends:
 *  - signFlip: −scale·Δ (scale 1 by default; 4 is the strength Li et al. 2019 (RSA) use),
 *  - scaling: boost·Δ (Bagdasaryan et al. 2020's model replacement),
 *  - gaussian: Δ replaced by N(0, std²) noise (Blanchard et al. 2017's Gaussian Byzantine).
 */
import { checkFraction, type Attack } from './attack';

export function signFlip(options: { fraction: number; scale?: number }): Attack {
  const fraction = checkFraction('attacks.signFlip', options?.fraction);
  const scale = options.scale ?? 1;
  if (!(typeof scale === 'number' && scale > 0 && Number.isFinite(scale))) throw new RangeError(`attacks.signFlip: scale must be a finite number > 0 (got ${String(scale)})`);
  return {
    name: scale === 1 ? `signFlip(${fraction})` : `signFlip(${fraction},×${scale})`,
    fraction,
    poisonUpdate: (delta) => delta.map((v) => -scale * v),
  };
}

export function scaling(options: { fraction: number; boost?: number }): Attack {
  const fraction = checkFraction('attacks.scaling', options?.fraction);
  const boost = options.boost ?? 10;
  if (!(typeof boost === 'number' && Number.isFinite(boost))) throw new RangeError(`attacks.scaling: boost must be a finite number (got ${String(boost)})`);
  return {
    name: `scaling(${fraction},×${boost})`,
    fraction,
    poisonUpdate: (delta) => delta.map((v) => v * boost),
  };
}

export function gaussian(options: { fraction: number; std?: number }): Attack {
  const fraction = checkFraction('attacks.gaussian', options?.fraction);
  const std = options.std ?? 1;
  if (!(typeof std === 'number' && std >= 0 && Number.isFinite(std))) throw new RangeError(`attacks.gaussian: std must be a finite number >= 0 (got ${String(std)})`);
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
