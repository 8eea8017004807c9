/** Catches misspelt options early (`trainlimit` for `trainLimit`), naming the ones that exist. */
export function checkKnownOptions(where: string, options: object, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`${where}: unknown option '${key}' (known: ${known.join(', ')})`);
  }
}
