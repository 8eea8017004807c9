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

/**
 * Splits CSV text into records. Blank lines are skipped; a leading byte-order
 * mark is ignored. `source` names the file in error messages.
 */
export function parseCsv(text: string, source: string, delimiter = ','): CsvRecord[] {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new TypeError(`delimiter must be one character other than a quote or a line break (got ${JSON.stringify(delimiter)})`);
  }
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let cellStarted = false; // the record has content (so an empty line is not a record)
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = (): void => {
    // A line of nothing but spaces is blank too.
    if (cells.length > 0 || (cellStarted && cell.trim() !== '')) {
      cells.push(cell);
      records.push({ line: recordLine, cells });
    }
    cells = [];
    cell = '';
    cellStarted = false;
  };
  for (; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (char === '\n') line++;
        cell += char;
      }
      continue;
    }
    if (char === '"' && cell.trim() === '') {
      quoted = true;
      quoteLine = line;
      cell = '';
      cellStarted = true;
    } else if (char === delimiter) {
      cells.push(cell);
      cell = '';
      cellStarted = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (!cellStarted && cells.length === 0) recordLine = line;
      cell += char;
      cellStarted = true;
    }
  }
  if (quoted) throw new Error(`${source}: line ${quoteLine}: a quoted field is never closed`);
  endRecord();
  return records;
}
