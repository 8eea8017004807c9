/**
 * The "Fedbook (TypeScript)" notebook controller: one kernel per notebook,
 * cells run one at a time in order, interrupt through the kernel, restart
 * on request, and run bundles forwarded to the chart and status bar.
 */
import * as vscode from 'vscode';
import { runDisplaysOf, type RunDisplay } from './output-mapper';
import { runCell } from './cell-runner';
import { KernelSession, type KernelState, type SessionOptions } from './kernel-session';
import { describeExit } from '../kernel/kernel-process';

export const CONTROLLER_ID = 'fedbook-kernel';
export const CONTROLLER_LABEL = 'Fedbook (TypeScript)';

/** True when a notebook's metadata names the `fedbook` kernelspec. */
export function isFedbookNotebook(notebook: vscode.NotebookDocument): boolean {
  const meta = notebook.metadata as {
    metadata?: { kernelspec?: { name?: string } };
    custom?: { metadata?: { kernelspec?: { name?: string } } };
    kernelspec?: { name?: string };
  };
  const spec = meta.metadata?.kernelspec ?? meta.custom?.metadata?.kernelspec ?? meta.kernelspec;
  return spec?.name === 'fedbook';
}

export class FedbookController implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private readonly sessions = new Map<string, KernelSession>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly runEmitter = new vscode.EventEmitter<{ notebook: vscode.NotebookDocument; run: RunDisplay; receivedAt: number }>();
  private readonly stateEmitter = new vscode.EventEmitter<{ notebook: vscode.NotebookDocument; state: KernelState }>();
  private readonly disposables: vscode.Disposable[] = [];
  /** A run bundle arrived (display_data or update_display_data). */
  readonly onDidReceiveRun = this.runEmitter.event;
  readonly onDidChangeKernelState = this.stateEmitter.event;

  constructor(private readonly options: SessionOptions) {
    this.controller = vscode.notebooks.createNotebookController(CONTROLLER_ID, 'jupyter-notebook', CONTROLLER_LABEL);
    this.controller.supportedLanguages = ['typescript', 'javascript'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = 'Federated learning in TypeScript';
    this.controller.executeHandler = (cells, notebook) => this.enqueue(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.session(notebook).interrupt();
    this.disposables.push(
      this.controller,
      vscode.workspace.onDidOpenNotebookDocument((nb) => this.updateAffinity(nb)),
      vscode.workspace.onDidCloseNotebookDocument((nb) => this.closeSession(nb)),
    );
    for (const notebook of vscode.workspace.notebookDocuments) this.updateAffinity(notebook);
  }

  /** Our notebooks prefer this controller. */
  private updateAffinity(notebook: vscode.NotebookDocument): void {
    if (notebook.notebookType === 'jupyter-notebook' && isFedbookNotebook(notebook)) {
      this.controller.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
    }
  }

  session(notebook: vscode.NotebookDocument): KernelSession {
    const key = notebook.uri.toString();
    let session = this.sessions.get(key);
    if (!session) {
      session = new KernelSession(notebook, this.options);
      const created = session;
      created.onDidChangeState((state) => this.stateEmitter.fire({ notebook, state }));
      created.onDidDie((exit) => {
        void vscode.window
          .showErrorMessage(`The Fedbook kernel of ${notebook.uri.path.split('/').pop()} died (${describeExit(exit)}).`, 'Restart Kernel')
          .then((choice) => {
            if (choice === 'Restart Kernel') void this.restart(notebook);
          });
      });
      this.sessions.set(key, session);
    }
    return session;
  }

  /** Restarts the notebook's kernel (cells queued meanwhile wait for it). */
  async restart(notebook: vscode.NotebookDocument): Promise<void> {
    const kernel = await this.session(notebook).restart();
    this.watchRuns(notebook, kernel.client);
  }

  interrupt(notebook: vscode.NotebookDocument): void {
    this.session(notebook).interrupt();
  }

  private closeSession(notebook: vscode.NotebookDocument): void {
    const key = notebook.uri.toString();
    this.sessions.get(key)?.dispose();
    this.sessions.delete(key);
  }

  private readonly watched = new WeakSet<object>();

  /** Forwards every run bundle the kernel publishes, whichever cell caused it. */
  private watchRuns(
    notebook: vscode.NotebookDocument,
    client: { onIopub(listener: (m: { header: { msg_type: string; date?: string }; content: Record<string, unknown> }) => void): () => void },
  ): void {
    if (this.watched.has(client)) return;
    this.watched.add(client);
    client.onIopub((message) => {
      for (const run of runDisplaysOf(message)) this.runEmitter.fire({ notebook, run, receivedAt: Date.now() });
    });
  }

  private enqueue(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    const key = notebook.uri.toString();
    const executions: vscode.NotebookCellExecution[] = [];
    for (const cell of cells) {
      try {
        executions.push(this.controller.createNotebookCellExecution(cell));
      } catch {
        // Already queued or running: VS Code keeps the earlier request.
      }
    }
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.runAll(executions, notebook));
    this.queues.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  }

  private async runAll(executions: vscode.NotebookCellExecution[], notebook: vscode.NotebookDocument): Promise<void> {
    const session = this.session(notebook);
    for (let i = 0; i < executions.length; i++) {
      const execution = executions[i];
      let ok = false;
      try {
        if (execution.token.isCancellationRequested) {
          execution.start(Date.now());
          execution.end(undefined);
          continue;
        }
        const kernel = await session.ensureStarted();
        this.watchRuns(notebook, kernel.client);
        ok = await runCell(execution, kernel, (displayId, items) => this.updateDisplayElsewhere(notebook, execution.cell, displayId, items));
      } catch (error) {
        execution.start(Date.now());
        await execution.replaceOutput(
          new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error(error instanceof Error ? error : new Error(String(error)))]),
        );
        execution.end(false, Date.now());
      }
      if (!ok) {
        // Like Jupyter's stop_on_error: the rest of this batch does not run.
        for (const rest of executions.slice(i + 1)) {
          rest.start(Date.now());
          rest.end(undefined);
        }
        return;
      }
    }
  }

  /**
   * update_display_data for a display an earlier cell shows. An execution may
   * change only its own cell, so the target cell gets a brief execution of its
   * own that keeps its execution order, verdict and timing (what the Jupyter
   * extension does too). A cell that is queued or running is left alone.
   */
  private async updateDisplayElsewhere(
    notebook: vscode.NotebookDocument,
    running: vscode.NotebookCell,
    displayId: string,
    items: vscode.NotebookCellOutputItem[],
  ): Promise<boolean> {
    for (const cell of notebook.getCells()) {
      if (cell === running || cell.kind !== vscode.NotebookCellKind.Code) continue;
      const output = cell.outputs.find((o) => o.metadata?.displayId === displayId);
      if (!output) continue;
      let execution: vscode.NotebookCellExecution;
      try {
        execution = this.controller.createNotebookCellExecution(cell);
      } catch {
        return false;
      }
      const previous = cell.executionSummary;
      execution.executionOrder = previous?.executionOrder;
      execution.start(previous?.timing?.startTime ?? Date.now());
      try {
        await execution.replaceOutputItems(items, output);
      } finally {
        execution.end(previous?.success, previous?.timing?.endTime ?? Date.now());
      }
      return true;
    }
    return false;
  }

  dispose(): void {
    for (const session of this.sessions.values()) session.dispose();
    this.sessions.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.runEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
