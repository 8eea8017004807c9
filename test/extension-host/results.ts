/**
 * The results file the in-host suite writes and the driver reads: the one
 * channel between the extension host and the Node test process.
 */

export interface HostTestResult {
  /** Suite and test title, as mocha's fullTitle() gives it. */
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number;
  /** The failure's stack (assertion message first). */
  error?: string;
}

export interface HostResults {
  /** True once mocha has run every test (false while running, or after a crash or hang). */
  finished: boolean;
  tests: HostTestResult[];
}
