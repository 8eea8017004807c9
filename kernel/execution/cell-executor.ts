/**
 * The Executor: runs cells one after another in one persistent context and
 * reports through the sink of the cell that is running. It knows nothing of
 * sockets; kernel/main.ts wires it to the protocol side.
 */
import { Script } from 'node:vm';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { CompletionResult, ExecutionOutcome, ExecutionSink, Executor, InspectionResult } from './executor';
import { compileCell, CellSyntaxError } from './compile-cell';
import { createCellContext, createSinkConsole, type SinkSlot } from './cell-context';
import { errorOutcome, interruptOutcome, isSigintInterruption, syntaxErrorOutcome, type CellRecord } from './errors';
import { renderValue } from './render';
import { watchRuns } from './run-progress';
import { complete, inspectAt } from './completion';
import { isComplete } from './is-complete';
import { kernelDocs } from './docs';
import { setAmbientSignal } from '../simulation/run-events';

/** Options of createExecutor. */
export interface ExecutorOptions {
  /** The notebook's folder: `require`/`import` resolve packages from here. */
  cwd: string;
  /**
   * Also send the kernel's own console output (e.g. TensorFlow.js warnings)
   * to the running cell (default true).
   */
  captureKernelConsole?: boolean;
  /** Backend preference for `tf` and `fed` (default 'auto'). */
  backend?: string;
}

/** Cells that mention these names wait for the TensorFlow.js backend before they run. */
const NEEDS_BACKEND = /\b(?:tf|fed)\b/;

const CONSOLE_METHODS = [
  ['log', 'log'],
  ['info', 'info'],
  ['debug', 'debug'],
  ['warn', 'warn'],
  ['error', 'error'],
] as const;

interface Running {
  readonly controller: AbortController;
  readonly interrupted: Promise<never>;
  interrupt(): void;
  wasInterrupted: boolean;
}

class CellExecutor implements Executor {
  private readonly slot: SinkSlot = { current: undefined };
  private readonly cells = new Map<string, CellRecord>();
  private readonly kernelRequire = createRequire(__filename);
  private readonly cellContext;
  private readonly kernelConsole = createSinkConsole(this.slot);
  private backend: Promise<{ tf: unknown; name: string }> | undefined;
  private loadedTf: unknown;
  private running: Running | undefined;
  private sequence = 0;
  private readonly onUnhandled = (reason: unknown): void => this.reportStray(reason);

  constructor(private readonly options: ExecutorOptions) {
    this.cellContext = createCellContext({
      cwd: options.cwd,
      slot: this.slot,
      tf: () => (this.loadedTf ??= this.kernelRequire('@tensorflow/tfjs')),
    });
    // A promise rejected or a timer that throws after its cell ended must not kill the kernel.
    process.on('unhandledRejection', this.onUnhandled);
    process.on('uncaughtException', this.onUnhandled);
  }

  async execute(code: string, sink: ExecutionSink, options: { silent: boolean; executionCount: number }): Promise<ExecutionOutcome> {
    this.slot.current = sink;
    const label = `Cell In[${options.executionCount}]`;
    let compiled;
    try {
      compiled = compileCell(code);
    } catch (error) {
      if (error instanceof CellSyntaxError) return syntaxErrorOutcome(error, code, label);
      return errorOutcome(error, this.cells);
    }
    const running = this.startRunning();
    const progress = watchRuns(() => this.slot.current);
    const restoreConsole = this.options.captureKernelConsole === false ? () => {} : this.captureKernelConsole();
    try {
      if (NEEDS_BACKEND.test(code)) await Promise.race([this.ensureBackend(sink), running.interrupted]);
      const filename = `fedbook-cell-${++this.sequence}`;
      this.cells.set(filename, { compiled, code, label });
      const global = this.cellContext.global;
      for (const name of compiled.declared) if (!(name in global)) global[name] = undefined;
      const script = new Script(compiled.script, { filename });
      const promise = script.runInContext(this.cellContext.context, { breakOnSigint: true }) as Promise<unknown[] | undefined>;
      promise.then(undefined, () => {}); // reported through the race below, or dropped after an interrupt
      const returned = await Promise.race([promise, running.interrupted]);
      const result = options.silent || !Array.isArray(returned) ? undefined : renderValue(returned[0]);
      return result ? { status: 'ok', result } : { status: 'ok' };
    } catch (error) {
      if (running.wasInterrupted || isSigintInterruption(error)) {
        // Runs stop within milliseconds of the abort: let their final status reach the output.
        await progress.settle(1000);
        return interruptOutcome();
      }
      return errorOutcome(error, this.cells);
    } finally {
      progress.dispose();
      restoreConsole();
      setAmbientSignal(undefined);
      this.running = undefined;
    }
  }

  async complete(code: string, cursorPos: number): Promise<CompletionResult> {
    try {
      return complete(code, cursorPos, { global: this.cellContext.global, docs: kernelDocs });
    } catch {
      return { matches: [], cursorStart: cursorPos, cursorEnd: cursorPos };
    }
  }

  async inspect(code: string, cursorPos: number, detailLevel: 0 | 1): Promise<InspectionResult> {
    try {
      return inspectAt(code, cursorPos, detailLevel, { global: this.cellContext.global, docs: kernelDocs });
    } catch {
      return { found: false, data: {} };
    }
  }

  isComplete(code: string): ReturnType<Executor['isComplete']> {
    return isComplete(code);
  }

  interrupt(): void {
    this.running?.interrupt();
  }

  async dispose(): Promise<void> {
    this.interrupt();
    process.off('unhandledRejection', this.onUnhandled);
    process.off('uncaughtException', this.onUnhandled);
    if (this.cellContext.fedLoaded()) {
      const shutdown = this.cellContext.fed().shutdown;
      if (typeof shutdown === 'function') await (shutdown as () => Promise<void>)();
    }
  }

  private startRunning(): Running {
    const controller = new AbortController();
    setAmbientSignal(controller.signal);
    let reject!: (error: Error) => void;
    const interrupted = new Promise<never>((_, r) => {
      reject = r;
    });
    interrupted.catch(() => {});
    const running: Running = {
      controller,
      interrupted,
      wasInterrupted: false,
      interrupt: () => {
        if (running.wasInterrupted) return;
        running.wasInterrupted = true;
        const error = Object.assign(new Error('interrupted by the user'), { name: 'KeyboardInterrupt' });
        controller.abort(error);
        reject(error);
      },
    };
    this.running = running;
    return running;
  }

  /** Loads the TensorFlow.js backend once, before the first cell that uses tf or fed. */
  private async ensureBackend(sink: ExecutionSink): Promise<void> {
    if (!this.backend) {
      const { loadBackend } = this.kernelRequire(join(__dirname, '..', '..', 'workers', 'backend')) as {
        loadBackend(preference: string): Promise<{ tf: unknown; name: string }>;
      };
      this.backend = loadBackend(this.options.backend ?? 'auto');
    }
    try {
      const { tf } = await this.backend;
      this.loadedTf = tf;
    } catch (error) {
      this.backend = undefined; // the next cell that needs it tries again
      const tf = this.kernelRequire('@tensorflow/tfjs') as { setBackend(name: string): Promise<boolean> };
      const fellBack = await tf.setBackend('cpu').catch(() => false);
      this.loadedTf = tf;
      sink.stream(
        'stderr',
        `warning: the TensorFlow.js backend did not load (${(error as Error).message})${fellBack ? '; tf uses the slower cpu backend for now' : ''}\n`,
      );
    }
  }

  /** Routes the kernel realm's console to the running cell; returns the undo. */
  private captureKernelConsole(): () => void {
    const target = console as unknown as Record<string, unknown>;
    const saved = CONSOLE_METHODS.map(([name]) => [name, target[name]] as const);
    for (const [name, via] of CONSOLE_METHODS) {
      target[name] = (...args: unknown[]) => (this.kernelConsole[via] as (...a: unknown[]) => void)(...args);
    }
    return () => {
      for (const [name, original] of saved) target[name] = original;
    };
  }

  /** An error from asynchronous cell code after its cell ended: shown in the latest cell's stderr. */
  private reportStray(reason: unknown): void {
    // Throwing from here would end the process: every step is guarded.
    let text: string;
    try {
      const outcome = errorOutcome(reason, this.cells);
      text = outcome.status === 'error' ? outcome.traceback.join('\n') : String(reason);
    } catch {
      text = Object.prototype.toString.call(reason);
    }
    const message = `Uncaught (in asynchronous code):\n${text}\n`;
    try {
      const sink = this.slot.current;
      if (sink) sink.stream('stderr', message);
      else process.stderr.write(message);
    } catch {
      try {
        process.stderr.write(message);
      } catch {
        // stderr itself is gone: nothing left to tell.
      }
    }
  }
}

/** Creates the executor the protocol side drives: one persistent context rooted at `options.cwd`. */
export function createExecutor(options: ExecutorOptions): Executor {
  if (typeof options?.cwd !== 'string' || options.cwd === '')
    throw new TypeError('createExecutor: options.cwd must be the notebook folder (a non-empty string)');
  return new CellExecutor(options);
}
