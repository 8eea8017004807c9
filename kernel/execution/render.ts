/**
 * How a cell's value looks in the notebook: a MIME bundle with `text/plain`
 * always, and `text/html` where a table reads better (tensors, run results).
 * Values come from the cell's `vm` realm, so everything is recognised by
 * shape, never by `instanceof`.
 */
import { inspect } from 'node:util';
import type { MimeBundle } from './executor';
import { TABLE_METRICS, type RoundMetrics, type TableMetricKey } from '../contract';
import { escapeHtml } from '../contract/html';

/** Marks objects that must not be shown as a cell's result (display handles). */
export const HIDDEN_RESULT = Symbol.for('fedbook.hiddenResult');

/** Options for util.inspect: short enough for a notebook. */
const INSPECT = { depth: 3, maxArrayLength: 20, maxStringLength: 2000, breakLength: 100 };

/** A tensor as seen from outside its realm. */
interface TensorLike {
  shape: number[];
  dtype: string;
  size: number;
  isDisposed?: boolean;
  toString(verbose?: boolean): string;
  dataSync(): ArrayLike<number>;
}

/** A finished federated run as returned by `algo.run()`. */
interface RunResultLike {
  id: string;
  rounds: RoundMetrics[];
  label?: string;
  status?: string;
}

/** True for TensorFlow.js tensors (from any copy or realm of tfjs). */
export function isTensorLike(value: unknown): value is TensorLike {
  const v = value as Partial<TensorLike> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(v.shape) &&
    typeof v.dtype === 'string' &&
    typeof v.dataSync === 'function' &&
    typeof v.size === 'number'
  );
}

/** True for typed arrays of any realm (not DataView). */
export function isTypedArray(value: unknown): value is ArrayLike<number> & { constructor: { name: string } } {
  return ArrayBuffer.isView(value) && !(Object.prototype.toString.call(value) === '[object DataView]');
}

/** True for what `algo.run()` returns: an id and a list of round metrics. */
export function isRunResult(value: unknown): value is RunResultLike {
  const v = value as Partial<RunResultLike> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.id === 'string' &&
    Array.isArray(v.rounds) &&
    v.rounds.every((round) => typeof round === 'object' && round !== null && typeof round.round === 'number')
  );
}

/** Escapes text for HTML. */
export { escapeHtml };

/** The bundle for a cell's value; undefined means "show nothing" (undefined, display handles). */
export function renderValue(value: unknown): MimeBundle | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[HIDDEN_RESULT]) return undefined;
  if (isTensorLike(value)) return renderTensor(value);
  if (isTypedArray(value)) return { 'text/plain': describeTypedArray(value) };
  if (isRunResult(value)) return renderRunResult(value);
  if (isDatasetLike(value)) return { 'text/plain': describeDataset(value) };
  return { 'text/plain': inspect(value, INSPECT) };
}

function renderTensor(tensor: TensorLike): MimeBundle {
  const header = `Tensor ${tensor.dtype} [${tensor.shape.join(', ')}]`;
  if (tensor.isDisposed) return { 'text/plain': `${header} (disposed)` };
  let preview: string;
  try {
    preview = tensor.toString().replace(/^Tensor\n?/, '');
  } catch (error) {
    preview = `(no preview: ${(error as Error).message})`;
  }
  const bundle: MimeBundle = { 'text/plain': `${header}\n${preview}` };
  const [rows, cols] = tensor.shape.length === 1 ? [1, tensor.shape[0]] : tensor.shape;
  if (tensor.shape.length <= 2 && rows <= 20 && cols <= 20 && tensor.size > 0) {
    const data = tensor.dataSync();
    const body: string[] = [];
    for (let r = 0; r < rows; r++) {
      const cells: string[] = [];
      for (let c = 0; c < cols; c++) cells.push(`<td>${formatNumber(Number(data[r * cols + c]))}</td>`);
      body.push(`<tr>${cells.join('')}</tr>`);
    }
    bundle['text/html'] = `<div><small>${escapeHtml(header)}</small><table>${body.join('')}</table></div>`;
  }
  return bundle;
}

/** A Dataset (kernel/data/dataset.ts) seen from any realm. */
interface DatasetLike {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  exampleShape: readonly number[];
  numClasses: number;
  length: number;
  name: string;
}

/** True for fed's datasets: features, integer labels, an example shape and a class count. */
export function isDatasetLike(value: unknown): value is DatasetLike {
  const v = value as Partial<DatasetLike> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    isTypedArray(v.x) &&
    isTypedArray(v.y) &&
    Array.isArray(v.exampleShape) &&
    typeof v.numClasses === 'number' &&
    typeof v.length === 'number' &&
    typeof v.name === 'string'
  );
}

/** "Dataset 'mnist-train': 600 examples of shape [28, 28, 1], 10 classes" and the examples per class. */
export function describeDataset(dataset: DatasetLike): string {
  const counts = new Array<number>(dataset.numClasses).fill(0);
  for (let i = 0; i < dataset.y.length; i++) if (dataset.y[i] >= 0 && dataset.y[i] < counts.length) counts[dataset.y[i]]++;
  return (
    `Dataset '${dataset.name}': ${dataset.length} examples of shape [${dataset.exampleShape.join(', ')}], ${dataset.numClasses} classes
` + `examples per class: ${counts.join(' ')}`
  );
}

/** "Float32Array(60000) min 0 · max 1 · mean 0.13" plus the first values. */
export function describeTypedArray(array: ArrayLike<number> & { constructor: { name: string } }): string {
  const name = Object.prototype.toString.call(array).slice(8, -1);
  const length = array.length;
  let summary = `${name}(${length})`;
  if (length > 0 && typeof array[0] === 'number') {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < length; i++) {
      const v = array[i];
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
    summary += ` · min ${formatNumber(min)} · max ${formatNumber(max)} · mean ${formatNumber(sum / length)}`;
  }
  const shown = Array.from({ length: Math.min(length, 20) }, (_, i) => String(array[i]));
  return `${summary}\n[${shown.join(', ')}${length > 20 ? `, … ${length - 20} more` : ''}]`;
}

/** A number with at most `digits` significant digits; "–" when missing. */
export function formatNumber(value: number | undefined, digits = 4): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(digits)).toString();
}

/** A run's rounds as a table (HTML) and as aligned text. */
export function renderRunResult(run: RunResultLike): MimeBundle {
  const columns = TABLE_METRICS.filter(({ key }) => run.rounds.some((round) => round[key] !== undefined));
  const cell = (round: RoundMetrics, key: TableMetricKey): string => formatNumber(key === 'ms' ? Math.round(round.ms) : (round[key] as number | undefined));
  const title = `run ${run.id}${run.label ? ` (${run.label})` : ''}: ${run.rounds.length} round${run.rounds.length === 1 ? '' : 's'}${run.status ? `, ${run.status}` : ''}`;
  const widths = columns.map(({ key, column: t }) => Math.max(t.length, ...run.rounds.map((r) => cell(r, key).length)));
  const line = (values: string[]): string => values.map((v, i) => v.padStart(widths[i])).join('  ');
  const text = [title, line(columns.map((c) => c.column)), ...run.rounds.map((r) => line(columns.map((c) => cell(r, c.key))))];
  const html =
    `<div><b>${escapeHtml(title)}</b><table><thead><tr>${columns.map((c) => `<th>${escapeHtml(c.column)}</th>`).join('')}</tr></thead>` +
    `<tbody>${run.rounds.map((r) => `<tr>${columns.map((c) => `<td>${cell(r, c.key)}</td>`).join('')}</tr>`).join('')}</tbody></table></div>`;
  return { 'text/plain': text.join('\n'), 'text/html': html };
}

/** "12.3 s" (`precise`, under 100 s) or "70 s": elapsed and remaining times in progress lines. */
export function formatSeconds(ms: number, precise: boolean): string {
  const s = ms / 1000;
  return precise && s < 100 ? `${s.toFixed(1)} s` : `${Math.round(s)} s`;
}
