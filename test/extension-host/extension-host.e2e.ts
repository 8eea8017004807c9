/**
 * Runs the in-host suite (test/extension-host/suite) inside a real VS Code
 * extension host with the staged extension under development, and reports
 * each in-host test as a node:test subtest.
 *
 * The path: the VS Code server from code-server's package on Node 24, opened
 * in Debian Chromium with a `payload` that names the extension (a copy of
 * dist/extension-stage) and the test runner; the suite writes its results
 * to a JSON file, and the workbench calls window.codeAutomationExit when the
 * runner is done.
 *
 * Run: npm run test:extension-host   (needs scripts/setup-code-server.sh's toolchain and /usr/bin/chromium)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_ARGS } from '../e2e/workbench';
import { remoteUri, startVscodeServer, type VscodeServer } from './vscode-server';
import { EXTENSION, RESULTS_ENV, ROOT, SUITE, createTestWorkspace, readResults } from './test-workspace';

const RESULTS_DIR = join(ROOT, 'test-results', 'extension-host');
const SUITE_TIMEOUT_MS = Number(process.env.FEDBOOK_HOST_TIMEOUT_MS ?? 30 * 60_000);

/**
 * A private copy of the staged extension: the stage is rebuilt in place by
 * `npm run build:extension`, which must not pull the kernel's files from
 * under a running test.
 */
function copyStagedExtension(work: string): string {
  const complete = () =>
    existsSync(join(EXTENSION, 'package.json')) && existsSync(join(EXTENSION, 'dist', 'extension.js')) && existsSync(join(EXTENSION, 'bin', 'fedbook.js'));
  assert.ok(complete(), `${EXTENSION} is not a complete staged extension (package.json, dist/extension.js, bin/fedbook.js): run npm run build:extension`);
  const copy = join(work, 'extension');
  cpSync(EXTENSION, copy, { recursive: true });
  return copy;
}

/** The workbench URL that opens `folder` and runs the suite in the extension host. */
function testUrl(server: VscodeServer, extension: string, folder: string, env: Record<string, string>): string {
  const payload = [
    ['extensionDevelopmentPath', remoteUri(server, extension)],
    ['extensionTestsPath', remoteUri(server, SUITE)],
    ['extensionEnvironment', JSON.stringify(env)],
    ['skipWelcome', 'true'],
  ];
  return `${server.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

test('Fedbook notebook controller in a real VS Code extension host', { timeout: SUITE_TIMEOUT_MS + 5 * 60_000 }, async (t) => {
  assert.ok(existsSync(SUITE), `${SUITE} is missing: run npm run build first`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const { work, folder, resultsFile } = createTestWorkspace();
  const extension = copyStagedExtension(work);
  const env = { [RESULTS_ENV]: resultsFile, ...(process.env.FEDBOOK_HOST_ONLY ? { FEDBOOK_HOST_ONLY: process.env.FEDBOOK_HOST_ONLY } : {}) };

  let server: VscodeServer | undefined;
  let browser: Browser | undefined;
  const consoleLines: string[] = [];
  let exitCode: number | undefined;
  try {
    server = await startVscodeServer(
      { userDataDir: join(work, 'user-data'), serverDataDir: join(work, 'server-data'), extensionsDir: join(work, 'extensions') },
      env,
    );
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('console', (message) => {
      consoleLines.push(`[${message.type()}] ${message.text()}`);
    });
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => {
      resolveExit = resolve;
    });
    // The workbench calls this when the extension host's test runner is done (VS Code's smoke-test hook).
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
    await page.goto(testUrl(server, extension, folder, env));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), SUITE_TIMEOUT_MS);
    });
    exitCode = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    await page.screenshot({ path: join(RESULTS_DIR, 'final.png') }).catch(() => undefined);
  } finally {
    await browser?.close().catch(() => undefined);
    if (server) {
      writeFileSync(join(RESULTS_DIR, 'vscode-server.log'), server.log());
      await server.stop();
    }
    writeFileSync(join(RESULTS_DIR, 'workbench-console.log'), consoleLines.join('\n'));
  }

  const results = readResults(resultsFile);
  if (results) writeFileSync(join(RESULTS_DIR, 'results.json'), JSON.stringify(results, null, 2));
  rmSync(work, { recursive: true, force: true });
  const where = `(logs in ${RESULTS_DIR})`;
  assert.ok(results && results.tests.length > 0, `the in-host suite wrote no results ${where}`);
  for (const result of results.tests) {
    await t.test(result.title, { skip: result.state === 'pending' }, () => {
      if (result.state === 'failed') assert.fail(result.error ?? 'failed');
    });
  }
  assert.ok(results.finished, `the in-host suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s ${where}`);
  assert.equal(exitCode, 0, `the extension host's test runner exited with ${exitCode ?? 'no code (timed out)'} ${where}`);
});
