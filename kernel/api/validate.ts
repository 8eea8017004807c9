/** Exact, friendly validation of public options: the message says what to change. */

export function checkKnownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${where}: unknown option '${key}' (known options: ${known.join(', ')})`);
    }
  }
}

export function integerIn(name: string, value: unknown, min: number, max = Infinity, why = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`;
    throw new RangeError(`${name} must be ${range}${why} (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function positiveNumber(name: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function numberIn(name: string, value: unknown, min: number, max: number, openMin = false, openMax = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value)
    && (openMin ? value > min : value >= min) && (openMax ? value < max : value <= max);
  if (!ok) {
    throw new RangeError(`${name} must be a number in ${openMin ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'} (got ${JSON.stringify(value)})`);
  }
  return value as number;
}

export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new RangeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value as T;
}
