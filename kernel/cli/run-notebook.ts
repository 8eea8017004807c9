/**
 * `fedbook run NOTEBOOK.ipynb`: executes every code cell in order through a
 * real kernel process, echoes streams and display updates to the terminal,
 * and writes the outputs back into the notebook.
 */
import { dirname, resolve } from 'node:path';
import { connectKernel, type KernelClient } from '../protocol/client';
import { isMessageType, type Message } from '../protocol/messages';
import { launchKernel, type LaunchOptions } from './launch-kernel';
import { cellSource, readNotebook, writeNotebook } from './notebook-file';
import { createOutputCollector, terminalText, type NotebookOutput } from './notebook-outputs';

export interface RunNotebookOptions {
  notebook: string;
  /** Where to write the executed notebook; default: back into `notebook`. */
  out?: string;
  /** Per-cell limit in seconds. */
  timeoutS?: number;
  /** Overrides how the kernel is started (tests). */
  launch?: LaunchOptions;
  write?: (text: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunNotebookResult {
  ok: boolean;
  /** 1-based position of the failed cell in the notebook. */
  failedCell?: number;
  message?: string;
}

export async function runNotebook(options: RunNotebookOptions): Promise<RunNotebookResult> {
  const path = resolve(options.notebook);
  const notebook = readNotebook(path);
  const write = options.write ?? ((text, stream) => void process[stream].write(text));
  const kernel = await launchKernel({ cwd: dirname(path), ...options.launch });
  let client: KernelClient | undefined;
  const collector = createOutputCollector();
  let result: RunNotebookResult = { ok: true };
  // A dead kernel never replies: without this, a cell that kills it would be awaited forever.
  const kernelDeath = kernel.exited.then(describeExit);
  let died: { index: number; output: NotebookOutput } | undefined;
  // Ctrl-C interrupts the running cell (the run then stops there and the
  // notebook is still written); a second Ctrl-C leaves at once.
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    write('Interrupting the kernel (Ctrl-C again to quit)\n', 'stderr');
    void client?.request('control', 'interrupt_request', {}, 5000).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    client = await connectKernel(kernel.connection);
    const info = await client.request('shell', 'kernel_info_request');
    notebook.metadata.language_info = info.reply.content.status === 'ok' ? info.reply.content.language_info : undefined;
    for (const [index, cell] of notebook.cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      const number = index + 1;
      const source = cellSource(cell);
      const echo = (message: Message): void => {
        if (message.header.msg_type === 'execute_result') return;
        const text = terminalText(message);
        if (text !== undefined) write(text, isMessageType(message, 'stream') && message.content.name === 'stderr' ? 'stderr' : 'stdout');
      };
      const execution = executeCell(client, source, options.timeoutS, (message) => {
        collector.apply(index, message);
        echo(message);
      });
      // If the kernel wins the race, close() below rejects the execution: that is expected.
      execution.catch(() => undefined);
      const outcome = await Promise.race([execution, kernelDeath.then((reason): CellOutcome => ({ executionCount: null, died: reason }))]);
      cell.outputs = collector.outputs(index);
      cell.execution_count = outcome.executionCount;
      if (outcome.died) {
        const message = `Kernel died while running cell ${number} (${outcome.died})`;
        result = { ok: false, failedCell: number, message };
        died = { index, output: { output_type: 'error', ename: 'DeadKernelError', evalue: message, traceback: [] } };
        write(`${message}\n`, 'stderr');
        break;
      }
      if (outcome.timedOut) {
        result = { ok: false, failedCell: number, message: `Cell ${number} timed out after ${options.timeoutS} s` };
        write(`${result.message}\n`, 'stderr');
        break;
      }
      if (outcome.error) {
        const { ename, evalue, traceback } = outcome.error;
        result = { ok: false, failedCell: number, message: `Cell ${number} failed: ${ename}: ${evalue}` };
        write(`${result.message}\n${traceback.join('\n')}\n`, 'stderr');
        break;
      }
    }
    // Updates that arrive after a later cell started (a run's last round) still land in place.
    for (const [index, cell] of notebook.cells.entries()) if (cell.cell_type === 'code' && cell.outputs) cell.outputs = collector.outputs(index);
    // After that refresh, which would drop it: the death is ours to report, not an IOPub output.
    if (died) notebook.cells[died.index]!.outputs!.push(died.output);
    else await client.request('control', 'shutdown_request', { restart: false }, 10_000).catch(() => undefined);
  } finally {
    process.off('SIGINT', onSigint);
    await client?.close();
    const timer = setTimeout(() => void kernel.kill(), 5000);
    await kernel.exited;
    clearTimeout(timer);
    writeNotebook(options.out ? resolve(options.out) : path, notebook);
  }
  return result;
}

interface CellOutcome {
  executionCount: number | null;
  error?: { ename: string; evalue: string; traceback: string[] };
  timedOut?: boolean;
  /** Why the kernel process ended before the cell did: 'signal SIGKILL', 'exit code 3'. */
  died?: string;
}

function describeExit(status: number | string | null): string {
  if (typeof status === 'string') return `signal ${status}`;
  return status === null ? 'no exit code' : `exit code ${status}`;
}

async function executeCell(client: KernelClient, code: string, timeoutS: number | undefined, onOutput: (m: Message) => void): Promise<CellOutcome> {
  try {
    const { reply } = await client.execute(code, {
      onOutput,
      timeoutMs: timeoutS === undefined ? undefined : timeoutS * 1000,
      stopOnError: true,
    });
    const c: { status: string; execution_count?: number; ename?: string; evalue?: string; traceback?: string[] } = reply.content;
    const executionCount = c.execution_count ?? null;
    if (c.status === 'error') return { executionCount, error: { ename: c.ename ?? 'Error', evalue: c.evalue ?? '', traceback: c.traceback ?? [] } };
    if (c.status === 'aborted') return { executionCount, error: { ename: 'Aborted', evalue: 'the kernel aborted this cell', traceback: [] } };
    return { executionCount };
  } catch (error) {
    if (!/timed out/.test((error as Error).message)) throw error;
    await client.request('control', 'interrupt_request', {}, 5000).catch(() => undefined);
    return { executionCount: null, timedOut: true };
  }
}
