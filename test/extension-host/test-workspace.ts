/**
 * What both runners of the in-host suite share: where the suite and the
 * extension under development are, and a fresh workspace folder per run.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostResults } from './results';

/** The repository root (this file compiles to out/test/extension-host/). */
export const ROOT = join(__dirname, '..', '..', '..');
/** The built extension folder that `npm run build:extension` stages. */
export const EXTENSION = process.env.FEDBOOK_EXTENSION_DEV_PATH ?? join(ROOT, 'dist', 'extension-stage');
/** The runner VS Code loads in the extension host (`--extensionTestsPath`). */
export const SUITE = join(ROOT, 'out', 'test', 'extension-host', 'suite', 'index.js');
/** The environment variable that names the results file for the in-host suite. */
export const RESULTS_ENV = 'FEDBOOK_HOST_RESULTS';

export interface TestWorkspace {
  /** A temporary folder for everything this run writes. */
  work: string;
  /** The folder VS Code opens; the tests copy their fixtures into it. */
  folder: string;
  /** Where the in-host suite writes its HostResults. */
  resultsFile: string;
}

export function createTestWorkspace(): TestWorkspace {
  const work = mkdtempSync(join(tmpdir(), 'fedbook-host-'));
  const folder = join(work, 'workspace');
  mkdirSync(join(folder, '.vscode'), { recursive: true });
  // Fixture copies must never be saved with outputs while a test runs; the tests do not look at the chart.
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'files.autoSave': 'off', 'fedbook.chart.openOnRun': false }, null, 2));
  return { work, folder, resultsFile: join(work, 'results.json') };
}

export function readResults(file: string): HostResults | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as HostResults;
  } catch {
    return undefined;
  }
}
