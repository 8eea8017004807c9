/** Requires an optional package; undefined when it is not installed, a throw when it is but fails to load. */
export function requireOptional(name: string): unknown {
  try {
    // A computed name keeps bundlers and tsc from resolving an absent package.
    return require(/* webpackIgnore: true */ `${name}`);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${name}'`)) return undefined;
    throw error;
  }
}
