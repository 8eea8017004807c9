/**
 * A small RFC 4180 reader: fields separated by a delimiter, records by LF or
 * CRLF, fields in double quotes may hold delimiters, line breaks and doubled
 * quotes (""). Pure: text in, records out, each with the line it starts on.
 */

/** One record of a CSV file. */
export interface CsvRecord {
  /** 1-based line number where the record starts (the header is line 1). */
  readonly line: number;
  readonly cells: string[];
}

const QUOTE = 0x22,
  SPACE = 0x20,
  LF = 0x0a,
  CR = 0x0d;

/**
 * Splits CSV text into records. Blank lines (and lines of only spaces) are
 * skipped; a leading byte-order mark is ignored. Unquoted fields keep their
 * spaces; a quoted field may be preceded by spaces. `source` names the file in
 * error messages.
 */
export function parseCsv(text: string, source: string, delimiter = ','): CsvRecord[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new TypeError(`delimiter must be one character other than a quote or a line break (got ${JSON.stringify(delimiter)})`);
  }
  const separator = delimiter.charCodeAt(0);
  const length = text.length;
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (i < length) {
    const recordLine = line;
    const cells: string[] = [];
    let quotedRecord = false;
    for (;;) {
      let start = i;
      while (start < length && text.charCodeAt(start) === SPACE) start++;
      if (start < length && text.charCodeAt(start) === QUOTE) {
        quotedRecord = true;
        const field = readQuoted(text, start + 1, source, line);
        line += field.lineBreaks;
        i = endOfField(text, field.end, separator);
        // Anything between the closing quote and the delimiter is kept, as most readers do.
        cells.push(field.value + text.slice(field.end, i));
      } else {
        const end = endOfField(text, i, separator);
        cells.push(text.slice(i, end));
        i = end;
      }
      if (i < length && text.charCodeAt(i) === separator) {
        i++;
        continue;
      }
      break;
    }
    if (i < length) {
      i += text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
    }
    if (quotedRecord || cells.length > 1 || cells[0].trim() !== '') records.push({ line: recordLine, cells });
  }
  return records;
}

/** Index of the delimiter or line break that ends the field starting at `from` (or the text's length). */
function endOfField(text: string, from: number, separator: number): number {
  let end = from;
  while (end < text.length) {
    const code = text.charCodeAt(end);
    if (code === separator || code === LF || code === CR) break;
    end++;
  }
  return end;
}

/** Reads a quoted field whose content starts at `from`; `end` is just past the closing quote. */
function readQuoted(text: string, from: number, source: string, line: number): { value: string; end: number; lineBreaks: number } {
  let value = '';
  let at = from;
  for (;;) {
    const quote = text.indexOf('"', at);
    if (quote < 0) throw new Error(`${source}: line ${line}: a quoted field is never closed`);
    value += text.slice(at, quote);
    if (text.charCodeAt(quote + 1) === QUOTE) {
      value += '"';
      at = quote + 2;
      continue;
    }
    let lineBreaks = 0;
    for (let k = from; k < quote; k++) if (text.charCodeAt(k) === LF) lineBreaks++;
    return { value, end: quote + 1, lineBreaks };
  }
}
