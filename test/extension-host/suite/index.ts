/**
 * Entry point VS Code loads in the extension host (`--extensionTestsPath`):
 * runs every `*.host-test.js` beside this file with mocha and writes each
 * test's outcome to the JSON file named by FEDBOOK_HOST_RESULTS, so the
 * driver outside the editor can report them one by one.
 */
import Mocha from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HostResults, HostTestResult } from '../results';

/** The in-host files end in .host-test.js, not .test.js, so `npm test` (plain Node, no `vscode`) never loads them. */
const SUITE_SUFFIX = '.host-test.js';

function resultOf(test: Mocha.Test, error?: Error): HostTestResult {
  return {
    title: test.fullTitle(),
    state: error ? 'failed' : test.isPending() ? 'pending' : 'passed',
    durationMs: test.duration ?? 0,
    ...(error ? { error: error.stack ?? String(error) } : {}),
  };
}

export function run(): Promise<void> {
  const resultsFile = process.env.FEDBOOK_HOST_RESULTS;
  const results: HostResults = { finished: false, tests: [] };
  // Written after every test: a suite that hangs still tells the driver what passed before it.
  const save = () => {
    if (resultsFile) writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  };
  save();

  // Generous per-test time: the machine may have two cores, and a kernel start compiles TypeScript.
  const mocha = new Mocha({ ui: 'bdd', timeout: 5 * 60_000, color: false, reporter: 'spec' });
  // FEDBOOK_HOST_ONLY=runs-view runs only the suites whose file name contains it (a quick check of one suite).
  const only = process.env.FEDBOOK_HOST_ONLY;
  for (const name of readdirSync(__dirname)
    .filter((n) => n.endsWith(SUITE_SUFFIX) && (!only || n.includes(only)))
    .sort())
    mocha.addFile(join(__dirname, name));

  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      results.finished = true;
      save();
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (test) => {
      results.tests.push(resultOf(test));
      save();
    });
    runner.on('pending', (test) => {
      results.tests.push(resultOf(test));
      save();
    });
    runner.on('fail', (test, error: Error) => {
      // A failing hook is reported as a "test" too; its title says which hook.
      results.tests.push(resultOf(test as Mocha.Test, error));
      save();
    });
  });
}
