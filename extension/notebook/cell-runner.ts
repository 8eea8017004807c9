/**
 * Runs one cell on a kernel: sends execute_request, applies each IOPub
 * message to the cell's outputs through the pure mapper (in arrival order),
 * and ends the execution with the kernel's verdict, or with a clear error if
 * the kernel dies meanwhile.
 */
import * as vscode from 'vscode';
import { kernelDiedMessage, type KernelProcess } from '../kernel/kernel-process';
import { kernelFailureItem, mapIopubMessage, type MappedItem, type MappedOutput, type OutputAction } from './output-mapper';

/** Outputs that carry a Jupyter display_id, so update_display_data can find them. */
export type DisplayRegistry = Map<string, { cell: vscode.NotebookCell; output: vscode.NotebookCellOutput }>;

function toItem(item: MappedItem): vscode.NotebookCellOutputItem {
  return new vscode.NotebookCellOutputItem(item.data, item.mime);
}

function toOutput(output: MappedOutput): vscode.NotebookCellOutput {
  return new vscode.NotebookCellOutput(output.items.map(toItem), output.displayId ? { ...output.metadata, displayId: output.displayId } : output.metadata);
}

/** Applies output actions to one execution, strictly in order. */
class OutputWriter {
  private chain: Promise<unknown> = Promise.resolve();
  private lastStream: { name: string; output: vscode.NotebookCellOutput } | undefined;
  private clearBeforeNext = false;

  constructor(private readonly execution: vscode.NotebookCellExecution, private readonly displays: DisplayRegistry) {}

  apply(action: OutputAction): void {
    this.chain = this.chain.then(() => this.perform(action)).catch(() => undefined);
  }

  done(): Promise<unknown> {
    return this.chain;
  }

  private async perform(action: OutputAction): Promise<void> {
    const cell = this.execution.cell;
    if (this.clearBeforeNext && (action.kind === 'stream' || action.kind === 'append')) {
      this.clearBeforeNext = false;
      this.lastStream = undefined;
      await this.execution.clearOutput();
    }
    switch (action.kind) {
      case 'stream': {
        const last = cell.outputs[cell.outputs.length - 1];
        if (this.lastStream && this.lastStream.name === action.name && last === this.lastStream.output) {
          await this.execution.appendOutputItems(toItem(action.item), this.lastStream.output);
        } else {
          const output = new vscode.NotebookCellOutput([toItem(action.item)]);
          await this.execution.appendOutput(output);
          this.lastStream = { name: action.name, output };
        }
        return;
      }
      case 'append': {
        const output = toOutput(action.output);
        await this.execution.appendOutput(output);
        this.lastStream = undefined;
        if (action.output.displayId) this.displays.set(action.output.displayId, { cell, output });
        return;
      }
      case 'update': {
        const target = this.displays.get(action.displayId);
        // Outputs of other cells cannot be changed by this execution; the chart still gets the update.
        if (target && target.cell === cell && cell.outputs.includes(target.output)) {
          await this.execution.replaceOutputItems(action.output.items.map(toItem), target.output);
        }
        return;
      }
      case 'clear':
        if (action.wait) this.clearBeforeNext = true;
        else {
          this.lastStream = undefined;
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

/** Runs one cell; resolves true on success, false on error or kernel death. */
export async function runCell(execution: vscode.NotebookCellExecution, kernel: KernelProcess, displays: DisplayRegistry): Promise<boolean> {
  execution.start(Date.now());
  await execution.clearOutput();
  const code = execution.cell.document.getText();
  if (code.trim() === '') {
    execution.end(true, Date.now());
    return true;
  }
  const writer = new OutputWriter(execution, displays);
  const reply = kernel.client.execute(code, { onOutput: (message) => writer.apply(mapIopubMessage(message)) }).then((result) => ({ result }));
  const died = kernel.exit.then((exit) => ({ exit }));
  const outcome = await Promise.race([reply, died]);
  await writer.done();
  if ('exit' in outcome) {
    await execution.appendOutput(new vscode.NotebookCellOutput([toItem(kernelFailureItem('KernelDied', kernelDiedMessage(outcome.exit)))]));
    execution.end(false, Date.now());
    return false;
  }
  const content = outcome.result.reply.content as { status?: string; execution_count?: number };
  if (typeof content.execution_count === 'number') execution.executionOrder = content.execution_count;
  const ok = content.status === 'ok';
  execution.end(ok, Date.now());
  return ok;
}
