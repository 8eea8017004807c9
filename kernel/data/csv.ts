/**
 * A user's own tabular data from a CSV file: numeric feature columns, one
 * label column (integers, or strings mapped to integers), and optionally a
 * group column for the 'natural' partition.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createDataset, sharedFloat32, sharedInt32, type Dataset } from './dataset';
import { parseCsv, type CsvRecord } from './csv-parse';
import { checkKnownOptions, integerIn } from '../validate';

/** A column, by header name or by 0-based index. */
export type CsvColumn = string | number;

/** Options of {@link loadCsv}. */
export interface CsvOptions {
  /** The label column, by header name or 0-based index. */
  readonly label: CsvColumn;
  /** Feature columns; defaults to every column except the label and group columns. */
  readonly features?: readonly CsvColumn[];
  /** Whether the first line names the columns; defaults to true. Without a header, columns are given by index. */
  readonly header?: boolean;
  /** A column whose values name each example's owner (a device, a patient…), for the 'natural' partition. */
  readonly group?: CsvColumn;
  /**
   * Number of classes. Defaults to the largest integer label + 1, or the
   * number of distinct labels when labels are strings.
   */
  readonly numClasses?: number;
  /** Field separator; defaults to ','. */
  readonly delimiter?: string;
  /** Dataset name for run records; defaults to the file name. */
  readonly name?: string;
}

/** A dataset read from CSV, with the names needed to read results back. */
export interface CsvDataset extends Dataset {
  /** Names of the feature columns, in feature order. */
  readonly featureNames: readonly string[];
  /** With string labels: classNames[k] is the label mapped to k (in order of first appearance). */
  readonly classNames?: readonly string[];
  /** With a group column: groupNames[g] is the value mapped to group id g (in order of first appearance). */
  readonly groupNames?: readonly string[];
  /** With a group column: its name, which `fed.partition(data, { scheme: 'natural', by })` accepts. */
  readonly groupColumn?: string;
}

/**
 * Reads a CSV file into a Dataset in shared memory.
 *
 * @example
 * const iris = await fed.datasets.csv('iris.csv', { label: 'species' });
 * iris.classNames; // ['setosa', 'versicolor', 'virginica']
 */
export async function loadCsv(path: string, options: CsvOptions): Promise<CsvDataset> {
  if (typeof path !== 'string' || path === '') throw new TypeError('loadCsv needs a file path');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`CSV file not found: ${path}`);
    if (code === 'EISDIR') throw new Error(`CSV path is a folder, not a file: ${path}`);
    throw error;
  }
  return csvToDataset(text, { name: basename(path), ...options }, path);
}

/** Turns CSV text into a Dataset (the pure part of {@link loadCsv}); `source` names it in error messages. */
export function csvToDataset(text: string, options: CsvOptions, source = 'csv'): CsvDataset {
  if (!options || options.label === undefined) throw new TypeError(`${source}: loadCsv needs { label: column name or index }`);
  checkKnownOptions('csv', options, ['label', 'features', 'header', 'group', 'numClasses', 'delimiter', 'name']);
  const records = parseCsv(text, source, options.delimiter ?? ',');
  const hasHeader = options.header ?? true;
  if (records.length === 0) throw new Error(`${source}: the file is empty`);
  const width = records[0].cells.length;
  const names = hasHeader ? records[0].cells.map((name) => name.trim()) : records[0].cells.map((_, i) => `column ${i}`);
  const rows = hasHeader ? records.slice(1) : records;
  if (rows.length === 0) throw new Error(`${source}: no data rows`);
  for (const row of rows) {
    if (row.cells.length !== width) throw new Error(`${source}: line ${row.line} has ${row.cells.length} cells, expected ${width}`);
  }
  const resolve = (column: CsvColumn, role: string): number => resolveColumn(column, role, names, hasHeader, source);
  const labelColumn = resolve(options.label, 'label');
  const groupColumn = options.group === undefined ? undefined : resolve(options.group, 'group');
  const featureColumns = options.features
    ? options.features.map((column) => resolve(column, 'feature'))
    : names.map((_, i) => i).filter((i) => i !== labelColumn && i !== groupColumn);
  if (featureColumns.length === 0) throw new Error(`${source}: no feature columns left besides the label${groupColumn === undefined ? '' : ' and group'}`);
  if (featureColumns.includes(labelColumn)) throw new Error(`${source}: column "${names[labelColumn]}" cannot be both the label and a feature`);

  const x = readFeatures(rows, featureColumns, names, source);
  const labels = readLabels(rows, labelColumn, names[labelColumn], options.numClasses, source);
  const grouping = groupColumn === undefined ? undefined : codeStrings(rows, groupColumn);
  const dataset = createDataset({
    x,
    y: labels.y,
    exampleShape: [featureColumns.length],
    numClasses: labels.numClasses,
    name: options.name ?? source,
    groups: grouping?.codes,
  });
  return {
    ...dataset,
    featureNames: featureColumns.map((i) => names[i]),
    ...(labels.classNames ? { classNames: labels.classNames } : {}),
    ...(grouping ? { groupNames: grouping.values, groupColumn: names[groupColumn!] } : {}),
  };
}

function resolveColumn(column: CsvColumn, role: string, names: readonly string[], hasHeader: boolean, source: string): number {
  if (typeof column === 'number') return integerIn(`${source}: ${role} column index`, column, 0, names.length - 1);
  if (!hasHeader) throw new TypeError(`${source}: without a header, give the ${role} column as a 0-based index (got "${column}")`);
  const index = names.indexOf(column);
  if (index < 0) throw new Error(`${source}: ${role} column "${column}" not found; the columns are ${names.map((name) => `"${name}"`).join(', ')}`);
  return index;
}

function readFeatures(rows: readonly CsvRecord[], columns: readonly number[], names: readonly string[], source: string): Float32Array {
  const width = columns.length;
  const x = sharedFloat32(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const cells = rows[r].cells;
    for (let f = 0; f < width; f++) {
      const value = parseDecimal(cells[columns[f]]);
      if (value === undefined) {
        throw new Error(`${source}: line ${rows[r].line}, column "${names[columns[f]]}": ${JSON.stringify(cells[columns[f]])} is not a number`);
      }
      x[r * width + f] = value;
    }
  }
  return x;
}

/**
 * A decimal number such as `3`, `-0.5`, `.5` or `1e-3`, with spaces around it
 * allowed; undefined for anything else, including an empty cell, `NaN`,
 * `Infinity` and hexadecimal, which `Number()` alone would accept or turn into 0.
 */
export function parseDecimal(cell: string): number | undefined {
  const value = Number(cell);
  if (!Number.isFinite(value)) return undefined;
  const text = cell.trim();
  if (text === '') return undefined;
  // Number() also reads 0x1f, 0b11 and 0o17.
  const second = text.charCodeAt(1) | 0x20;
  if (text.charCodeAt(0) === 0x30 && (second === 0x78 || second === 0x62 || second === 0x6f)) return undefined;
  return value;
}

function readLabels(
  rows: readonly CsvRecord[],
  column: number,
  name: string,
  numClasses: number | undefined,
  source: string,
): { y: Int32Array; numClasses: number; classNames?: string[] } {
  const cells = rows.map((row) => row.cells[column].trim());
  const blank = cells.indexOf('');
  if (blank >= 0) throw new Error(`${source}: line ${rows[blank].line}, column "${name}": the label is empty`);
  const integers = cells.every((cell) => /^\d+$/.test(cell));
  let y: Int32Array;
  let classNames: string[] | undefined;
  if (integers) {
    y = sharedInt32(rows.length);
    cells.forEach((cell, r) => {
      y[r] = Number(cell);
    });
  } else {
    const coded = codeStrings(rows, column);
    y = coded.codes;
    classNames = coded.values;
  }
  const observed = y.reduce((max, label) => Math.max(max, label), 0) + 1;
  if (numClasses === undefined) return { y, numClasses: classNames ? classNames.length : observed, classNames };
  integerIn(`${source}: numClasses`, numClasses, 2);
  if (observed > numClasses) {
    const r = y.findIndex((label) => label >= numClasses);
    const shown = classNames ? `"${classNames[y[r]]}" (class ${y[r]})` : `${y[r]}`;
    throw new RangeError(`${source}: line ${rows[r].line}, column "${name}": label ${shown} is not below numClasses ${numClasses}`);
  }
  return { y, numClasses, classNames };
}

/** Maps a column's strings to 0, 1, 2… in order of first appearance. */
function codeStrings(rows: readonly CsvRecord[], column: number): { codes: Int32Array; values: string[] } {
  const codes = sharedInt32(rows.length);
  const lookup = new Map<string, number>();
  rows.forEach((row, r) => {
    const value = row.cells[column].trim();
    let code = lookup.get(value);
    if (code === undefined) lookup.set(value, (code = lookup.size));
    codes[r] = code;
  });
  return { codes, values: [...lookup.keys()] };
}
