/**
 * Notices when the process that started the kernel is gone (JPY_PARENT_PID,
 * or else a change of our own parent), so an orphaned kernel does not run on.
 * It runs in the protocol thread: a cell spinning in a synchronous loop blocks
 * the main thread's timers, and a kernel whose editor closed must still end.
 */
export interface ParentWatch {
  /** The process declared by JPY_PARENT_PID, if any. */
  declaredPid?: number;
  /** Our parent when the kernel started. */
  originalPpid: number;
  /** How often to look, ms. */
  pollMs: number;
  /** How long the main thread gets to exit by itself before the process is killed, ms. */
  graceMs: number;
}

/** What the main thread passes to the protocol thread: JPY_PARENT_PID and our current parent. */
export function parentWatchFromEnv(env: NodeJS.ProcessEnv, pollMs: number, graceMs = 5000): ParentWatch {
  const declared = Number(env.JPY_PARENT_PID);
  return {
    ...(Number.isInteger(declared) && declared > 1 ? { declaredPid: declared } : {}),
    originalPpid: process.ppid,
    pollMs,
    graceMs,
  };
}

/** True when the watched parent is gone. */
export function parentIsGone(watch: ParentWatch, currentPpid: number, isAlive: (pid: number) => boolean): boolean {
  if (watch.declaredPid !== undefined) return !isAlive(watch.declaredPid);
  return watch.originalPpid > 1 && currentPpid !== watch.originalPpid;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Polls the parent; when it is gone, calls `onDeath` once (the main thread
 * should exit cleanly) and, if the process is still alive `graceMs` later,
 * kills it: the main thread may be stuck in a cell that never yields.
 */
export function watchParent(watch: ParentWatch, onDeath: () => void): void {
  const timer = setInterval(() => {
    if (!parentIsGone(watch, process.ppid, isProcessAlive)) return;
    clearInterval(timer);
    onDeath();
    setTimeout(() => process.kill(process.pid, 'SIGKILL'), watch.graceMs).unref();
  }, watch.pollMs);
  timer.unref();
}
