/** A fake ExecutionSink that records every call, in order, for the executor tests. */
import type { ExecutionSink, MimeBundle } from '../../../kernel/execution/executor';

export type SinkEvent =
  | { kind: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { kind: 'display'; data: MimeBundle; displayId?: string }
  | { kind: 'update'; data: MimeBundle; displayId: string }
  | { kind: 'clear'; wait: boolean }
  | { kind: 'page'; data: MimeBundle };

export interface RecordingSink extends ExecutionSink {
  readonly events: SinkEvent[];
  /** Everything written to one stream, joined. */
  text(name?: 'stdout' | 'stderr'): string;
}

export function recordingSink(answers: string[] = []): RecordingSink {
  const events: SinkEvent[] = [];
  return {
    events,
    text: (name = 'stdout') => events.flatMap((e) => (e.kind === 'stream' && e.name === name ? [e.text] : [])).join(''),
    stream: (name, text) => events.push({ kind: 'stream', name, text }),
    display: (data, _metadata, displayId) => events.push({ kind: 'display', data, ...(displayId ? { displayId } : {}) }),
    updateDisplay: (data, displayId) => events.push({ kind: 'update', data, displayId }),
    clearOutput: (wait) => events.push({ kind: 'clear', wait }),
    page: (data) => events.push({ kind: 'page', data }),
    input: async (prompt) => {
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`no answer left for input(${JSON.stringify(prompt)})`);
      return answer;
    },
  };
}
