/**
 * Exact, friendly validation of public options: the message names the option,
 * what it must be and what was given, so a researcher knows what to change.
 * The one set of checks for every public edge (fed.* strategies and models,
 * datasets, the accountant); a leaf module that every layer may import.
 */

/** Catches misspelt options early (`trainlimit` for `trainLimit`), naming the ones that exist. */
export function checkKnownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${where}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}

/** The options object itself: `${where} needs an options object (got null)`. */
export function requireObject(where: string, options: unknown): Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${where} needs an options object (got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options})`);
  }
  return options as Record<string, unknown>;
}

/** An integer in min..max; `why` is appended to the range, e.g. ' (there are 300 examples)'. */
export function integerIn(name: string, value: unknown, min: number, max = Infinity, why = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `an integer ≥ ${min}` : `an integer in ${min}..${max}`;
    throw new RangeError(`${name} must be ${range}${why} (got ${shown(value)})`);
  }
  return value;
}

/** A finite number > 0, or ≥ 0 with `allowZero`. */
export function positiveNumber(name: string, value: unknown, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} finite number (got ${shown(value)})`);
  }
  return value;
}

/** Any finite number (seeds). */
export function finiteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`${name} must be a finite number (got ${shown(value)})`);
  return value;
}

/** A finite number in [min, max]; either end open on request: (0, 1), [0, 1). */
export function numberIn(name: string, value: unknown, min: number, max: number, openMin = false, openMax = false): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (openMin ? value > min : value >= min) && (openMax ? value < max : value <= max);
  if (!ok) {
    throw new RangeError(`${name} must be a number in ${openMin ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'} (got ${shown(value)})`);
  }
  return value as number;
}

/** One of a few strings: `'auto', 'wasm'`. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new RangeError(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${shown(value)})`);
  }
  return value as T;
}

/** A given value as a message shows it: numbers as written (NaN, Infinity too), strings quoted. */
function shown(value: unknown): string {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' || value === undefined || typeof value === 'bigint' || typeof value === 'symbol') return String(value);
  return JSON.stringify(value) ?? String(value);
}
