/**
 * Data-poisoning attacks, applied by a malicious client to its own batches:
 *  - labelFlip: label y becomes C − 1 − y (Tolpegin et al. 2020),
 *  - backdoor: a trigger (pixels set to a value) stamped on a share of the client's
 *    examples, relabelled to the target class (Bagdasaryan et al. 2020). The metrics
 *    gain the attack success rate: the share of triggered test examples of other
 *    classes that the global model assigns to the target.
 */
import { integerIn, numberIn } from '../../validate';
import { subset, type Dataset } from '../../data/dataset';
import { checkFraction, type Attack } from './attack';

export function labelFlip(options: { fraction: number }): Attack {
  const fraction = checkFraction('attacks.labelFlip', options?.fraction);
  return {
    name: `labelFlip(${fraction})`,
    fraction,
    poisonConfig: (config, { numClasses }) => ({ ...config, poison: { kind: 'labelFlip', numClasses } }),
  };
}

export interface BackdoorOptions {
  fraction: number;
  /** The class triggered examples are relabelled to. */
  target: number;
  /** Flat feature positions of the trigger (default: a 3×3 square near the bottom-right corner of a 28×28 image). */
  trigger?: readonly number[];
  /** Value written at the trigger positions (default 1, white). */
  value?: number;
  /** Share of a malicious client's examples it poisons (default 0.5). */
  poisonShare?: number;
}

export const DEFAULT_TRIGGER: readonly number[] = [23, 24, 25].flatMap((row) => [23, 24, 25].map((col) => row * 28 + col));

export function backdoor(options: BackdoorOptions): Attack {
  const fraction = checkFraction('attacks.backdoor', options?.fraction);
  const { target } = options;
  integerIn('attacks.backdoor: target', target, 0, Infinity, ' (a class index)');
  const positions = options.trigger ?? DEFAULT_TRIGGER;
  const value = options.value ?? 1;
  const poisonShare = options.poisonShare ?? 0.5;
  numberIn('attacks.backdoor: poisonShare', poisonShare, 0, 1, true);
  return {
    name: `backdoor(${fraction},→${target})`,
    fraction,
    poisonConfig: (config, { numClasses }) => {
      if (target >= numClasses) throw new RangeError(`attacks.backdoor: target ${target} is not a class of this data (${numClasses} classes)`);
      return { ...config, poison: { kind: 'backdoor', target, positions, value, fraction: poisonShare } };
    },
    evaluations: (test) => [{ metric: 'attackSuccessRate', data: triggeredTestSet(test, positions, value, target) }],
  };
}

/** The test examples whose label is not the target, with the trigger stamped and the label set to the target. */
export function triggeredTestSet(test: Dataset, positions: readonly number[], value: number, target: number): Dataset {
  const others: number[] = [];
  for (let i = 0; i < test.length; i++) if (test.y[i] !== target) others.push(i);
  const triggered = subset(test, others);
  const size = test.exampleShape.reduce((a, b) => a * b, 1);
  for (const position of positions) {
    if (!(position >= 0 && position < size)) throw new RangeError(`attacks.backdoor: trigger position ${position} is outside an example of ${size} values`);
  }
  for (let i = 0; i < triggered.length; i++) {
    for (const position of positions) triggered.x[i * size + position] = value;
    triggered.y[i] = target;
  }
  return triggered;
}
