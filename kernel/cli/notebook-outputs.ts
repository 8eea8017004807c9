/**
 * Maps IOPub messages to nbformat 4 outputs, cell by cell: consecutive
 * streams merge, `clear_output` (with `wait`) empties a cell, and
 * `update_display_data` rewrites every output that carries its display_id,
 * in whichever cell it was first shown. Pure: no I/O.
 */
import { SWEEP_MIME } from '../contract';
import type { Message } from '../protocol/messages';

export type NotebookOutput =
  | { output_type: 'stream'; name: string; text: string }
  | { output_type: 'display_data'; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: 'execute_result'; execution_count: number | null; data: Record<string, unknown>; metadata: Record<string, unknown> }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

type DisplayOutput = Extract<NotebookOutput, { data: unknown }>;

export interface OutputCollector {
  /** Applies one IOPub message to the outputs of the given cell; returns true if it changed anything. */
  apply(cell: number, message: Message): boolean;
  outputs(cell: number): NotebookOutput[];
}

export function createOutputCollector(): OutputCollector {
  const cells = new Map<number, NotebookOutput[]>();
  const displays = new Map<string, DisplayOutput[]>();
  const pendingClear = new Set<number>();
  const outputsOf = (cell: number): NotebookOutput[] => {
    let list = cells.get(cell);
    if (!list) cells.set(cell, (list = []));
    return list;
  };
  const push = (cell: number, output: NotebookOutput): void => {
    if (pendingClear.delete(cell)) outputsOf(cell).length = 0;
    const list = outputsOf(cell);
    const previous = list[list.length - 1];
    if (output.output_type === 'stream' && previous?.output_type === 'stream' && previous.name === output.name) {
      previous.text += output.text;
    } else {
      list.push(output);
    }
  };
  return {
    apply(cell, message) {
      // biome-ignore lint/suspicious/noExplicitAny: Jupyter message content is untyped until the wire layer is typed (issue 10)
      const c = message.content as Record<string, any>;
      const displayId = c.transient?.display_id as string | undefined;
      switch (message.header.msg_type) {
        case 'stream':
          push(cell, { output_type: 'stream', name: String(c.name), text: String(c.text) });
          return true;
        case 'display_data': {
          const output: DisplayOutput = { output_type: 'display_data', data: c.data ?? {}, metadata: c.metadata ?? {} };
          push(cell, output);
          if (displayId !== undefined) displays.set(displayId, [...(displays.get(displayId) ?? []), output]);
          return true;
        }
        case 'update_display_data': {
          const targets = displayId === undefined ? [] : (displays.get(displayId) ?? []);
          for (const output of targets) {
            output.data = c.data ?? {};
            output.metadata = c.metadata ?? {};
          }
          return targets.length > 0;
        }
        case 'execute_result':
          push(cell, { output_type: 'execute_result', execution_count: c.execution_count ?? null, data: c.data ?? {}, metadata: c.metadata ?? {} });
          return true;
        case 'error':
          push(cell, { output_type: 'error', ename: String(c.ename), evalue: String(c.evalue), traceback: (c.traceback ?? []).map(String) });
          return true;
        case 'clear_output':
          if (c.wait) pendingClear.add(cell);
          else outputsOf(cell).length = 0;
          return true;
        default:
          return false;
      }
    },
    outputs: (cell) => outputsOf(cell).slice(),
  };
}

/** The text a terminal shows for an output message: text/plain, or the stream text. */
export function terminalText(message: Message): string | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: Jupyter message content is untyped until the wire layer is typed (issue 10)
  const c = message.content as Record<string, any>;
  switch (message.header.msg_type) {
    case 'stream':
      return String(c.text);
    case 'display_data':
    case 'update_display_data':
    case 'execute_result': {
      const text = c.data?.['text/plain'];
      if (typeof text !== 'string') return undefined;
      // A running sweep's table is replaced after every round of every run: a terminal gets its headline, and the table once at the end.
      if (c.data?.[SWEEP_MIME]?.status === 'running' && message.header.msg_type === 'update_display_data') return `${text.split('\n', 1)[0]}\n`;
      return text.replace(/\n?$/, '\n');
    }
    default:
      return undefined;
  }
}
