/**
 * The contract between the protocol side of the kernel (kernel/protocol,
 * kernel/main.ts) and cell evaluation (kernel/execution). The protocol side
 * turns these callbacks into Jupyter messages; the executor knows nothing of
 * sockets or message headers.
 */

/** A MIME bundle: MIME type → data (string for text types, JSON value otherwise). */
export type MimeBundle = Record<string, unknown>;

/** Callbacks through which a running cell talks to the front end. */
export interface ExecutionSink {
  stream(name: 'stdout' | 'stderr', text: string): void;
  /** A new output; with a displayId it can be replaced later by updateDisplay. */
  display(data: MimeBundle, metadata?: Record<string, unknown>, displayId?: string): void;
  updateDisplay(data: MimeBundle, displayId: string, metadata?: Record<string, unknown>): void;
  clearOutput(wait: boolean): void;
  /** Asks the user for a line of input (stdin channel); rejects if the front end does not allow stdin. */
  input(prompt: string, password: boolean): Promise<string>;
  /** Pager payload for help(): shown like IPython's `?`. */
  page(data: MimeBundle): void;
}

export type ExecutionOutcome =
  | { status: 'ok'; result?: MimeBundle }
  | { status: 'error'; ename: string; evalue: string; traceback: string[] }
  | { status: 'aborted' };

export interface CompletionResult {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  metadata?: Record<string, unknown>;
}

export interface InspectionResult {
  found: boolean;
  data: MimeBundle;
}

export interface Executor {
  /** Runs one cell. Never throws: errors come back as an 'error' outcome. */
  execute(code: string, sink: ExecutionSink, options: { silent: boolean; executionCount: number }): Promise<ExecutionOutcome>;
  complete(code: string, cursorPos: number): Promise<CompletionResult>;
  inspect(code: string, cursorPos: number, detailLevel: 0 | 1): Promise<InspectionResult>;
  isComplete(code: string): { status: 'complete' | 'incomplete' | 'invalid' | 'unknown'; indent?: string };
  /** Stops the running cell (async work and federated rounds) while keeping every variable. */
  interrupt(): void;
  /** Frees resources (worker pools) before the process exits or restarts. */
  dispose(): Promise<void>;
}
