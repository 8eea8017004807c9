/**
 * Runs one cell on a kernel: sends execute_request, applies each IOPub
 * message to the cell's outputs through the pure mapper (in arrival order),
 * and ends the execution with the kernel's verdict, or with a clear error if
 * the kernel dies meanwhile.
 */
import * as vscode from 'vscode';
import { kernelDiedMessage, type KernelProcess } from '../kernel/kernel-process';
import { kernelFailureItem, mapIopubMessage, type MappedItem, type MappedOutput, type OutputAction } from './output-mapper';
import { SupersedingQueue } from './superseding-queue';

function toItem(item: MappedItem): vscode.NotebookCellOutputItem {
  return new vscode.NotebookCellOutputItem(item.data, item.mime);
}

function toOutput(output: MappedOutput): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput(output.items.map(toItem), output.displayId ? { ...output.metadata, displayId: output.displayId } : output.metadata);
}

/**
 * Least time between two replacements of one display. The kernel publishes a
 * run's bundle up to ten times a second; every replacement makes the editor
 * re-render and re-measure the output, which under training load delayed
 * everything else sent to the window (the round chart's points by seconds).
 * The chart still gets every round at once; the cell output shows the newest.
 */
export const DISPLAY_UPDATE_INTERVAL_MS = 500;

/**
 * Applies output actions to one execution, in order. A display update still
 * waiting its turn is replaced by a newer one for the same display (each
 * carries the whole run), and one display is replaced at most every
 * DISPLAY_UPDATE_INTERVAL_MS; the last update is always applied.
 */
class OutputWriter {
  private readonly queue = new SupersedingQueue<OutputAction>((action) => this.perform(action), { minIntervalMs: DISPLAY_UPDATE_INTERVAL_MS });
  private clearBeforeNext = false;
  /** Display ids this execution showed: their updates wait for the output to reach the cell; others belong to earlier cells. */
  private readonly ownDisplays = new Set<string>();

  constructor(
    private readonly execution: vscode.NotebookCellExecution,
    private readonly updateElsewhere?: UpdateElsewhere,
  ) {}

  apply(action: OutputAction): void {
    if (action.kind === 'append' && action.output.displayId) this.ownDisplays.add(action.output.displayId);
    this.queue.push(action, action.kind === 'update' ? action.displayId : undefined);
  }

  done(): Promise<unknown> {
    return this.queue.done();
  }

  private async perform(action: OutputAction): Promise<void> {
    const cell = this.execution.cell;
    if (this.clearBeforeNext && (action.kind === 'stream' || action.kind === 'append')) {
      this.clearBeforeNext = false;
      await this.execution.clearOutput();
    }
    switch (action.kind) {
      case 'stream': {
        // Extension-host output objects are snapshots, so the last output is recognised by its metadata.
        const last = cell.outputs[cell.outputs.length - 1];
        if (last && last.metadata?.fedbookStream === action.name) {
          await this.execution.appendOutputItems(toItem(action.item), last);
        } else {
          await this.execution.appendOutput(new vscode.NotebookCellOutput([toItem(action.item)], { fedbookStream: action.name }));
        }
        return;
      }
      case 'append': {
        await this.execution.appendOutput(toOutput(action.output));
        return;
      }
      case 'update': {
        const items = action.output.items.map(toItem);
        // A display shown by an earlier cell is that cell's to update (as in Jupyter).
        if (!this.ownDisplays.has(action.displayId)) {
          await this.updateElsewhere?.(action.displayId, items);
          return;
        }
        // The cell's outputs catch up with appendOutput asynchronously: give a fresh display a moment to appear.
        let target = cell.outputs.find((output) => output.metadata?.displayId === action.displayId);
        for (let tries = 0; !target && tries < 10; tries++) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          target = cell.outputs.find((output) => output.metadata?.displayId === action.displayId);
        }
        if (target) await this.execution.replaceOutputItems(items, target);
        return;
      }
      case 'clear':
        if (action.wait) this.clearBeforeNext = true;
        else {
          await this.execution.clearOutput();
        }
        return;
      case 'executionCount':
        this.execution.executionOrder = action.count;
        return;
      default:
        return;
    }
  }
}

/** Replaces the items of a display shown by another cell; false when no other cell shows it (or it cannot be changed now). */
export type UpdateElsewhere = (displayId: string, items: vscode.NotebookCellOutputItem[]) => Promise<boolean>;

/** Runs one cell; resolves true on success, false on error or kernel death. */
export async function runCell(execution: vscode.NotebookCellExecution, kernel: KernelProcess, updateElsewhere?: UpdateElsewhere): Promise<boolean> {
  execution.start(Date.now());
  await execution.clearOutput();
  const code = execution.cell.document.getText();
  if (code.trim() === '') {
    execution.end(true, Date.now());
    return true;
  }
  const writer = new OutputWriter(execution, updateElsewhere);
  const reply = kernel.client.execute(code, { onOutput: (message) => writer.apply(mapIopubMessage(message)) }).then((result) => ({ result }));
  const died = kernel.exit.then((exit) => ({ exit }));
  const outcome = await Promise.race([reply, died]);
  await writer.done();
  if ('exit' in outcome) {
    await execution.appendOutput(new vscode.NotebookCellOutput([toItem(kernelFailureItem('KernelDied', kernelDiedMessage(outcome.exit)))]));
    execution.end(false, Date.now());
    return false;
  }
  const content: { status: string; execution_count?: number } = outcome.result.reply.content;
  if (typeof content.execution_count === 'number') execution.executionOrder = content.execution_count;
  const ok = content.status === 'ok';
  execution.end(ok, Date.now());
  return ok;
}
