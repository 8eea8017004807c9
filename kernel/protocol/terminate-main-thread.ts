/**
 * The last resort of an interrupt, run from the protocol thread: a loop that
 * runs after an `await` (or in a timer) is out of `vm` breakOnSigint's reach
 * and keeps the main thread from ever running its SIGINT handler.
 */
import { Session } from 'node:inspector';

let session: Session | undefined;

/**
 * Ends the JavaScript the main thread is running (V8's TerminateExecution,
 * through the inspector): the stuck cell's stack unwinds, the event loop goes
 * on, the SIGINT handler runs and the executor settles the cell as
 * interrupted. Only call it from a worker thread, and only when the main
 * thread is known to be busy: with nothing running, V8 would end the next
 * script instead. Needs node --no-force-async-hooks-checks (see KERNEL_NODE_FLAGS)
 * to survive termination inside a timer callback.
 */
export function terminateMainThreadScript(log: (line: string) => void): void {
  try {
    if (!session) {
      session = new Session();
      session.connectToMainThread();
    }
    session.post('Runtime.terminateExecution', (error) => {
      if (error) log(`could not stop the main thread: ${error.message}`);
    });
    log('the main thread ignored SIGINT: terminated its running script');
  } catch (error) {
    log(`could not stop the main thread: ${(error as Error).message}`);
  }
}
