/**
 * Runs the in-host suite in desktop VS Code with @vscode/test-electron, for
 * machines with internet access (it downloads VS Code into .vscode-test/ on
 * first use). CI has no such access and uses extension-host.e2e.ts instead.
 *
 * Run: npm run build:extension && node out/test/extension-host/run-electron.js [VS Code version, default "stable"]
 * Headless Linux: wrap it in xvfb-run -a.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { EXTENSION, RESULTS_ENV, SUITE, createTestWorkspace, readResults } from './test-workspace';

async function main(): Promise<number> {
  const workspace = createTestWorkspace();
  const userDataDir = mkdtempSync(join(workspace.work, 'user-data-'));
  let code: number;
  try {
    code = await runTests({
      version: process.argv[2] ?? 'stable',
      extensionDevelopmentPath: EXTENSION,
      extensionTestsPath: SUITE,
      extensionTestsEnv: { [RESULTS_ENV]: workspace.resultsFile },
      // Other installed extensions stay off; built-in ones (ipynb opens the notebooks) stay on.
      launchArgs: [workspace.folder, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', userDataDir],
    });
  } catch (error) {
    process.stderr.write(`run-electron: ${error instanceof Error ? error.message : String(error)}\n`);
    code = 1;
  }
  for (const test of readResults(workspace.resultsFile)?.tests ?? []) {
    process.stdout.write(`${test.state === 'passed' ? 'ok' : test.state === 'pending' ? 'skip' : 'FAIL'}  ${test.title}\n`);
    if (test.error) process.stdout.write(`      ${test.error.split('\n').join('\n      ')}\n`);
  }
  rmSync(workspace.work, { recursive: true, force: true });
  return code;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
