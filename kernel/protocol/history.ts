/**
 * This session's input history, answering `history_request` (tail, range and
 * search) the way IPython does. Pure: no storage beyond memory.
 */
import type { HistoryEntry, HistoryRequest } from './content';

/** The session number entries carry; 0 and negative-free lookups of it mean "this session". */
export const CURRENT_SESSION = 1;

export class InputHistory {
  private readonly entries: { line: number; input: string; output: string | null }[] = [];

  /** Records a cell's input under its execution count. */
  add(line: number, input: string): void {
    this.entries.push({ line, input, output: null });
  }

  /** Records the text/plain of the cell's result, for `output: true` queries. */
  setOutput(line: number, output: string): void {
    const entry = this.entries.find((e) => e.line === line);
    if (entry) entry.output = output;
  }

  query(q: HistoryRequest): HistoryEntry[] {
    const picked = this.pick(q);
    return picked.map((e) => (q.output ? [CURRENT_SESSION, e.line, [e.input, e.output]] : [CURRENT_SESSION, e.line, e.input]));
  }

  private pick(q: HistoryRequest): typeof this.entries {
    switch (q.hist_access_type) {
      case 'tail':
        return last(this.entries, q.n);
      case 'range': {
        if (q.session !== undefined && q.session !== 0 && q.session !== CURRENT_SESSION) return [];
        const start = q.start ?? 0;
        const stop = q.stop ?? Infinity;
        return this.entries.filter((e) => e.line >= start && e.line < stop);
      }
      case 'search': {
        const regex = globToRegExp(q.pattern ?? '*');
        let found = this.entries.filter((e) => regex.test(e.input));
        if (q.unique) found = found.filter((e, i) => !found.slice(i + 1).some((later) => later.input === e.input));
        return last(found, q.n);
      }
      default:
        return [];
    }
  }
}

function last<T>(items: T[], n: number | null | undefined): T[] {
  return n === undefined || n === null ? items.slice() : n <= 0 ? [] : items.slice(-n);
}

/** SQLite GLOB semantics as IPython uses them: `*` any run, `?` one character, whole-string match. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}
