/**
 * Runs a kernel process around an Executor: protocol thread, request
 * dispatch, SIGINT as interrupt, and exit on shutdown or when the parent
 * process (JPY_PARENT_PID) dies.
 */
import type { Executor } from '../execution/executor';
import { readConnectionFile } from './connection';
import { createKernelSession, type KernelSession } from './kernel-session';
import { startProtocolThread, type ProtocolLink } from './thread-link';
import { parentWatchFromEnv } from './parent-watch';

export interface ServeKernelOptions {
  connectionFile: string;
  /** Called once the sockets are starting, so that loading the executor overlaps with binding them. */
  createExecutor: () => Executor | Promise<Executor>;
  version: string;
  /** How often to check that the parent process is alive (ms). */
  parentPollMs?: number;
}

const log = (line: string): void => void process.stderr.write(`[fedbook kernel] ${line}\n`);

/** Serves until shutdown; the returned promise never resolves (the process exits). */
export async function serveKernel(options: ServeKernelOptions): Promise<void> {
  const connection = readConnectionFile(options.connectionFile);
  // Never die from SIGINT: jupyter_client sends one before shutdown, and it is how interrupts arrive.
  let session: KernelSession | undefined;
  process.on('SIGINT', () => session?.interrupt());

  let exiting = false;
  let link: ProtocolLink | undefined;
  const exit = async (code: number, why: string): Promise<void> => {
    if (exiting) return;
    exiting = true;
    log(`exiting: ${why}`);
    const force = setTimeout(() => process.exit(code), 5000);
    force.unref();
    try {
      await session?.dispose();
    } catch (error) {
      log(`dispose failed: ${(error as Error).message}`);
    }
    await link?.close().catch(() => undefined);
    process.exit(code);
  };

  const linkReady = startProtocolThread(
    connection,
    (request) => session?.handle(request),
    (error) => void exit(1, `protocol thread failed: ${error.message}`),
    { parent: parentWatchFromEnv(process.env, options.parentPollMs ?? 1000), onParentDied: () => void exit(0, 'parent process died') },
  );
  // Load the executor while the protocol thread binds the sockets.
  const executor = Promise.resolve().then(options.createExecutor);
  executor.catch(() => undefined);
  link = await linkReady;
  session = createKernelSession({
    link,
    executor,
    version: options.version,
    onShutdown: (restart) => void exit(0, restart ? 'shutdown before restart' : 'shutdown requested'),
  });
  process.on('SIGTERM', () => void exit(0, 'SIGTERM'));
  return new Promise<void>(() => undefined);
}
