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

/** Thrown by process.exit inside the kernel: the process is on its way out. */
export class KernelExitError extends Error {
  constructor(readonly code: number) {
    super(`the kernel is exiting (process.exit(${code}))`);
    this.name = 'KernelExit';
  }
}

/** Serves until shutdown; the returned promise never resolves (the process exits). */
export async function serveKernel(options: ServeKernelOptions): Promise<void> {
  const connection = readConnectionFile(options.connectionFile);
  // Never die from SIGINT: jupyter_client sends one before shutdown, and it is how interrupts arrive.
  let session: KernelSession | undefined;
  process.on('SIGINT', () => session?.interrupt());

  let exiting = false;
  let link: ProtocolLink | undefined;
  const realExit = process.exit.bind(process);
  const exit = async (code: number, why: string): Promise<void> => {
    if (exiting) return;
    exiting = true;
    log(`exiting: ${why}`);
    const force = setTimeout(() => realExit(code), 5000);
    force.unref();
    try {
      await session?.dispose();
    } catch (error) {
      log(`dispose failed: ${(error as Error).message}`);
    }
    await link?.close().catch(() => undefined);
    realExit(code);
  };
  // Exiting with the protocol thread's sockets still open aborts the process
  // (zeromq throws while Node tears the thread down: SIGABRT, the code lost).
  // A cell's process.exit(code) therefore closes the sockets first; the throw
  // stops the cell where it called exit, as the real one would.
  process.exit = ((code?: number | string | null) => {
    const status = code === undefined || code === null ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : Number(code) || 0;
    void exit(status, `process.exit(${status}) called`);
    throw new KernelExitError(status);
  }) as typeof process.exit;

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
