/**
 * The kernel process: wires the protocol side to cell evaluation. Run it
 * through `fedbook kernel -f CONNECTION_FILE`.
 */
import type * as Execution from './execution/index';
import { packageVersion } from './package-version';
import { serveKernel } from './protocol/serve';

/** Serves a Jupyter kernel on the sockets named in the connection file until shutdown. */
export function runKernel(connectionFile: string): Promise<void> {
  return serveKernel({
    connectionFile,
    // Loaded after the protocol thread has started, so the two overlap at start-up.
    createExecutor: async () => {
      const { createExecutor } = require('./execution/index') as typeof Execution;
      return createExecutor({ cwd: process.cwd() });
    },
    version: packageVersion(),
  });
}
