/**
 * Text edits that remember where they were made, so that a position in the
 * edited text can be traced back to the text before the edits (used to map a
 * stack frame in the rewritten cell back through esbuild's sourcemap).
 */

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Offsets of the first character of every line of `text`. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** Zero-based line and column of an offset. */
export function positionOf(starts: readonly number[], offset: number): { line: number; column: number } {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low, column: offset - starts[low] };
}

/** A set of non-overlapping replacements over one source text. */
export class SourceEdits {
  private readonly edits: Edit[] = [];

  constructor(private readonly source: string) {}

  /** Replaces source[start, end) by text. */
  replace(start: number, end: number, text: string): void {
    this.edits.push({ start, end, text });
  }

  insert(at: number, text: string): void {
    this.replace(at, at, text);
  }

  /** Applies the edits; returns the new text and a map from its offsets to the source's offsets. */
  apply(): { text: string; toSourceOffset(offset: number): number } {
    const edits = [...this.edits].sort((a, b) => a.start - b.start || a.end - b.end);
    let text = '';
    let cursor = 0;
    // For each edit: where its replacement starts in the new text.
    const placed: { outStart: number; outEnd: number; edit: Edit }[] = [];
    for (const edit of edits) {
      if (edit.start < cursor) throw new Error(`overlapping source edits at ${edit.start}`);
      text += this.source.slice(cursor, edit.start);
      const outStart = text.length;
      text += edit.text;
      placed.push({ outStart, outEnd: text.length, edit });
      cursor = edit.end;
    }
    text += this.source.slice(cursor);
    const toSourceOffset = (offset: number): number => {
      let delta = 0;
      for (const { outStart, outEnd, edit } of placed) {
        if (offset < outStart) break;
        if (offset < outEnd) return edit.start;
        delta = edit.end - outEnd;
      }
      return offset + delta;
    };
    return { text, toSourceOffset };
  }
}
