/** This package's version, from its package.json (read once). */
let version: string | undefined;

/** The `version` of fedbook's package.json: kernel_info's implementation_version, every run record's `version`. */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      // out/kernel/package-version.js → the package root (inlined by esbuild in the packaged kernel).
      version = (require('../../package.json') as { version: string }).version;
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
