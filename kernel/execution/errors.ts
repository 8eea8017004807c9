/**
 * Turns whatever a cell threw into Jupyter's error outcome: a name, a message
 * and a traceback whose frames point at the cells' lines and columns (mapped
 * back through the rewrite and esbuild's sourcemap), without the kernel's own
 * frames. Errors from the cell's `vm` realm are not `instanceof Error` here,
 * so they are recognised by shape.
 */
import { inspect } from 'node:util';
import { join, sep } from 'node:path';
import type { ExecutionOutcome } from './executor';
import type { CellSyntaxError, CompiledCell } from './compile-cell';

/** A cell the kernel ran: enough to map its stack frames back. */
export interface CellRecord {
  readonly compiled: CompiledCell;
  readonly code: string;
  /** "Cell In[3]" */
  readonly label: string;
}

/** The name of the error outcome when the user interrupts a cell. */
export const INTERRUPT_NAME = 'KeyboardInterrupt';

/** Node's code for a script broken by SIGINT (vm `breakOnSigint`). */
const SIGINT_CODE = 'ERR_SCRIPT_EXECUTION_INTERRUPTED';

/** Everything compiled from this package lives under out/: frames from there are kernel internals. */
const PACKAGE_OUT = join(__dirname, '..', '..') + sep;

interface ErrorShape {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  constructor?: { name?: string };
}

/** True for anything shaped like an Error, whatever realm made it. */
export function isErrorLike(value: unknown): value is ErrorShape {
  const v = value as Partial<ErrorShape> | null;
  return typeof v === 'object' && v !== null && typeof v.message === 'string' && typeof v.name === 'string';
}

/** True for the error Node throws when SIGINT breaks a script run with `breakOnSigint`. */
export function isSigintInterruption(value: unknown): boolean {
  return isErrorLike(value) && value.code === SIGINT_CODE;
}

/** Lines of a cell around `line`, with a caret under `column` (both 1-based). */
export function excerpt(code: string, line: number, column: number, context = 2): string[] {
  const lines = code.split('\n');
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${lines[n - 1]}`);
    if (n === line) out.push(`  ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out;
}

/** The outcome for a cell that did not parse. */
export function syntaxErrorOutcome(error: CellSyntaxError, code: string, label: string): ExecutionOutcome {
  return {
    status: 'error',
    ename: 'SyntaxError',
    evalue: `${error.text} (${error.line}:${error.column})`,
    traceback: [`SyntaxError: ${error.text}`, `${label}, line ${error.line}, column ${error.column}:`, ...excerpt(code, error.line, error.column)],
  };
}

/** The outcome for an interrupted cell. */
export function interruptOutcome(): ExecutionOutcome {
  const evalue = 'the cell was interrupted; every variable is kept';
  return { status: 'error', ename: INTERRUPT_NAME, evalue, traceback: [`${INTERRUPT_NAME}: ${evalue}`] };
}

const FRAME = /^\s*at (?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;

/** Maps a stack's frames to cells; drops the kernel's and Node's internal frames. */
export function mapStack(
  stack: string,
  cells: ReadonlyMap<string, CellRecord>,
): { frames: string[]; top?: { cell: CellRecord; line: number; column: number } } {
  const frames: string[] = [];
  let top: { cell: CellRecord; line: number; column: number } | undefined;
  for (const raw of stack.split('\n')) {
    if (!/^\s*at /.test(raw)) continue;
    const match = FRAME.exec(raw);
    if (!match) {
      if (!raw.includes('node:internal') && !raw.includes(PACKAGE_OUT)) frames.push(`    ${raw.trim()}`);
      continue;
    }
    const [, fn, file, line, column] = match;
    const cell = cells.get(file.replace(/^async /, ''));
    if (cell) {
      const at = cell.compiled.toCellPosition(Number(line), Number(column));
      if (!at) continue; // the wrapper's own code
      top ??= { cell, ...at };
      const name = fn && !/^(?:async )?<anonymous>$/.test(fn) ? `${fn.replace(/^async /, '')} ` : '';
      frames.push(name ? `    at ${name}(${cell.label}:${at.line}:${at.column})` : `    at ${cell.label}:${at.line}:${at.column}`);
    } else if (!file.startsWith('node:') && !file.startsWith(PACKAGE_OUT) && !file.includes(`${sep}node_modules${sep}`)) {
      frames.push(`    ${raw.trim()}`);
    }
  }
  return { frames, top };
}

/** The outcome for anything a cell threw. */
export function errorOutcome(thrown: unknown, cells: ReadonlyMap<string, CellRecord>): ExecutionOutcome {
  if (!isErrorLike(thrown)) {
    const evalue = inspect(thrown, { depth: 2 });
    return { status: 'error', ename: 'Uncaught', evalue, traceback: [`Uncaught ${evalue}`] };
  }
  const constructorName = typeof thrown.constructor?.name === 'string' ? thrown.constructor.name : '';
  const ename = thrown.name === 'Error' && constructorName && constructorName !== 'Error' && constructorName !== 'Object' ? constructorName : thrown.name;
  const { frames, top } = mapStack(typeof thrown.stack === 'string' ? thrown.stack : '', cells);
  const traceback = [`${ename}: ${thrown.message}`];
  if (top) {
    traceback.push(`${top.cell.label}, line ${top.line}, column ${top.column}:`, ...excerpt(top.cell.code, top.line, top.column));
  }
  traceback.push(...frames);
  return { status: 'error', ename, evalue: thrown.message, traceback };
}
