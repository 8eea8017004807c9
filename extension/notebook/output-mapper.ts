/**
 * The pure mapping from kernel IOPub messages to notebook output actions.
 * Knows nothing of `vscode`: the controller turns actions into cell outputs.
 */
import { RUN_MIME, SWEEP_MIME, type RunBundle, type SweepBundle } from '../../kernel/contract';

/** VS Code's built-in MIME types for streams and errors. */
export const STDOUT_MIME = 'application/vnd.code.notebook.stdout';
export const STDERR_MIME = 'application/vnd.code.notebook.stderr';
export const ERROR_MIME = 'application/vnd.code.notebook.error';

/** One output item, ready to wrap in `NotebookCellOutputItem`. */
export interface MappedItem {
  mime: string;
  data: Uint8Array;
}

export interface MappedOutput {
  items: MappedItem[];
  metadata: Record<string, unknown>;
  /** Jupyter display_id, when the output can be replaced later. */
  displayId?: string;
}

export type OutputAction =
  | { kind: 'stream'; name: 'stdout' | 'stderr'; item: MappedItem }
  | { kind: 'append'; output: MappedOutput }
  | { kind: 'update'; displayId: string; output: MappedOutput }
  | { kind: 'clear'; wait: boolean }
  | { kind: 'executionCount'; count: number }
  | { kind: 'status'; state: string }
  | { kind: 'ignore' };

/** The fields of a Jupyter message the mapper reads. */
export interface IopubMessage {
  header: { msg_type: string; date?: string };
  content: Record<string, unknown>;
}

const encoder = new TextEncoder();

/** MIME types whose Jupyter payload is base64 (binary images). */
function isBase64Mime(mime: string): boolean {
  return mime.startsWith('image/') && mime !== 'image/svg+xml';
}

/** Orders MIME types richest first so the editor picks our renderers over text/plain. */
function mimeRank(mime: string): number {
  if (mime === RUN_MIME || mime === 'application/vnd.plotly.v1+json') return 0;
  // No renderer draws a sweep bundle inline (its runs go to the round chart): the cell shows its HTML table.
  if (mime === SWEEP_MIME) return 6;
  if (mime.startsWith('application/')) return 1;
  if (mime === 'text/html' || mime === 'image/svg+xml') return 2;
  if (mime.startsWith('image/')) return 3;
  if (mime === 'text/markdown') return 4;
  return 5;
}

/** Converts a Jupyter MIME bundle (mime → data) into output items. */
export function mapMimeBundle(data: Record<string, unknown>): MappedItem[] {
  return Object.keys(data)
    .sort((a, b) => mimeRank(a) - mimeRank(b))
    .map((mime) => {
      const value = data[mime];
      if (typeof value === 'string') {
        return { mime, data: isBase64Mime(mime) ? new Uint8Array(Buffer.from(value, 'base64')) : encoder.encode(value) };
      }
      if (Array.isArray(value) && value.every((line) => typeof line === 'string')) return { mime, data: encoder.encode(value.join('')) };
      return { mime, data: encoder.encode(JSON.stringify(value)) };
    });
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const transient = content.transient as { display_id?: unknown } | undefined;
  return typeof transient?.display_id === 'string' ? transient.display_id : undefined;
}

/** Maps one IOPub message to the action the controller performs on the running cell. */
export function mapIopubMessage(message: IopubMessage): OutputAction {
  const c = message.content;
  switch (message.header.msg_type) {
    case 'stream': {
      const name = c.name === 'stderr' ? 'stderr' : 'stdout';
      return { kind: 'stream', name, item: { mime: name === 'stderr' ? STDERR_MIME : STDOUT_MIME, data: encoder.encode(String(c.text ?? '')) } };
    }
    case 'display_data':
    case 'execute_result': {
      const output: MappedOutput = { items: mapMimeBundle((c.data as Record<string, unknown>) ?? {}), metadata: (c.metadata as Record<string, unknown>) ?? {} };
      const displayId = displayIdOf(c);
      if (displayId !== undefined) output.displayId = displayId;
      return { kind: 'append', output };
    }
    case 'update_display_data': {
      const displayId = displayIdOf(c);
      if (displayId === undefined) return { kind: 'ignore' };
      return {
        kind: 'update',
        displayId,
        output: { items: mapMimeBundle((c.data as Record<string, unknown>) ?? {}), metadata: (c.metadata as Record<string, unknown>) ?? {}, displayId },
      };
    }
    case 'error':
      return { kind: 'append', output: { items: [errorItem(c)], metadata: {} } };
    case 'clear_output':
      return { kind: 'clear', wait: c.wait === true };
    case 'execute_input':
      return typeof c.execution_count === 'number' ? { kind: 'executionCount', count: c.execution_count } : { kind: 'ignore' };
    case 'status':
      return { kind: 'status', state: String(c.execution_state) };
    default:
      return { kind: 'ignore' };
  }
}

/** The error item VS Code renders: name, message and the kernel's (cell-relative) traceback. */
export function errorItem(content: Record<string, unknown>): MappedItem {
  const name = String(content.ename ?? 'Error');
  const message = String(content.evalue ?? '');
  const traceback = Array.isArray(content.traceback) ? content.traceback.map(String) : [];
  const stack = traceback.length > 0 ? traceback.join('\n') : `${name}: ${message}`;
  return { mime: ERROR_MIME, data: encoder.encode(JSON.stringify({ name, message, stack })) };
}

/** A run bundle carried by a display message, with the kernel's publish time. */
export interface RunDisplay {
  bundle: RunBundle;
  displayId?: string;
  /** Kernel-side send time (message header date), ms since the epoch. */
  publishedAt?: number;
}

/** Extracts the `application/vnd.fedbook.run+json` bundle from a display message, if any. */
export function runDisplayOf(message: IopubMessage): RunDisplay | undefined {
  const type = message.header.msg_type;
  if (type !== 'display_data' && type !== 'update_display_data' && type !== 'execute_result') return undefined;
  const data = message.content.data as Record<string, unknown> | undefined;
  const bundle = data?.[RUN_MIME] as RunBundle | undefined;
  if (!bundle || typeof bundle.runId !== 'string' || !Array.isArray(bundle.rounds)) return undefined;
  const date = message.header.date ? Date.parse(message.header.date) : NaN;
  const result: RunDisplay = { bundle };
  const displayId = displayIdOf(message.content);
  if (displayId !== undefined) result.displayId = displayId;
  if (!Number.isNaN(date)) result.publishedAt = date;
  return result;
}

/**
 * Every run a display message carries: its run bundle, or each run of a sweep's live output (so that the round
 * chart draws the sweep as one line per combination with a band over seeds while it runs).
 */
export function runDisplaysOf(message: IopubMessage): RunDisplay[] {
  const single = runDisplayOf(message);
  if (single) return [single];
  const type = message.header.msg_type;
  if (type !== 'display_data' && type !== 'update_display_data') return [];
  const sweep = (message.content.data as Record<string, unknown> | undefined)?.[SWEEP_MIME] as SweepBundle | undefined;
  if (!sweep || !Array.isArray(sweep.runs)) return [];
  const date = message.header.date ? Date.parse(message.header.date) : NaN;
  return sweep.runs
    .filter((run) => typeof run?.runId === 'string' && Array.isArray(run.rounds))
    .map((run) => {
      const { combination: _combination, ...bundle } = run;
      return Number.isNaN(date) ? { bundle } : { bundle, publishedAt: date };
    });
}

/** A cell-level error item for failures outside the kernel (it died, could not start). */
export function kernelFailureItem(name: string, message: string): MappedItem {
  return { mime: ERROR_MIME, data: encoder.encode(JSON.stringify({ name, message, stack: `${name}: ${message}` })) };
}
