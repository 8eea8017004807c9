/**
 * Runs a kernel process around an Executor: protocol thread, request
 * dispatch, SIGINT as interrupt, and exit on shutdown or when the parent
 * process (JPY_PARENT_PID) dies.
 */
import type { Executor } from '../execution/executor';
import { readConnectionFile } from './connection';
import { createKernelSession, type KernelSession } from './kernel-session';
import { startProtocolThread, type ProtocolLink } from './thread-link';

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
  watchParent(options.parentPollMs ?? 1000, () => void exit(0, 'parent process died'));
  return new Promise<void>(() => undefined);
}

/** Polls JPY_PARENT_PID (and our own parent) and calls `onDeath` when it is gone. */
function watchParent(intervalMs: number, onDeath: () => void): void {
  const declared = Number(process.env.JPY_PARENT_PID);
  const parent = Number.isInteger(declared) && declared > 1 ? declared : undefined;
  const originalPpid = process.ppid;
  const timer = setInterval(() => {
    if (parent !== undefined && !isAlive(parent)) return onDeath();
    if (parent === undefined && originalPpid > 1 && process.ppid !== originalPpid) onDeath();
  }, intervalMs);
  timer.unref();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
