/** Reading and writing nbformat 4 notebooks: only what `fedbook run` needs. */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { NotebookOutput } from './notebook-outputs';

export interface NotebookCell {
  cell_type: 'code' | 'markdown' | 'raw';
  source: string | string[];
  metadata: Record<string, unknown>;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
  id?: string;
}

export interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: NotebookCell[];
}

export function readNotebook(path: string): Notebook {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read notebook ${path}: ${(error as Error).message}`);
  }
  const nb = value as Partial<Notebook>;
  if (typeof nb !== 'object' || nb === null || nb.nbformat !== 4 || !Array.isArray(nb.cells)) {
    throw new Error(`${path} is not an nbformat 4 notebook (expected "nbformat": 4 and a "cells" array)`);
  }
  return nb as Notebook;
}

export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join('') : cell.source;
}

/**
 * Writes with Jupyter's layout (1-space indent, trailing newline) so diffs
 * stay small. nbformat 4.5 requires cell ids: missing ones are added.
 */
export function writeNotebook(path: string, notebook: Notebook): void {
  if (notebook.nbformat_minor >= 5) {
    for (const cell of notebook.cells) cell.id ??= randomBytes(4).toString('hex');
  }
  writeFileSync(path, JSON.stringify(notebook, null, 1) + '\n');
}
