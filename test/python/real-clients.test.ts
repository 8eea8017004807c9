/**
 * Real Jupyter clients against the fedbook kernel, through Debian's packages:
 * jupyter_client's BlockingKernelClient, nbclient and `jupyter console`. The
 * kernelspec is installed into a temporary prefix that JUPYTER_PATH points at.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const HERE = join(ROOT, 'test', 'python');
const PYTHON = '/usr/bin/python3';

/** Why the real-client tests cannot run here, or undefined when they can. */
function missing(modules: string[]): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3 jupyter-client python3-nbclient jupyter-console python3-pexpect)`;
  const probe = spawnSync(PYTHON, ['-c', `import ${modules.join(', ')}`], { encoding: 'utf8' });
  return probe.status === 0 ? undefined : `${PYTHON} lacks ${modules.join('/')}: ${probe.stderr.trim().split('\n').pop()}`;
}

function python(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(PYTHON, ['-Xfrozen_modules=off', join(HERE, script), ...args], { env, cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

describe('real Jupyter clients', () => {
  let prefix: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    prefix = mkdtempSync(join(tmpdir(), 'fedbook-kernelspec-'));
    const install = spawnSync(process.execPath, [join(ROOT, 'bin', 'fedbook.js'), 'kernel', 'install', '--prefix', prefix], { encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    env = { ...process.env, JUPYTER_PATH: join(prefix, 'share', 'jupyter'), PYDEVD_DISABLE_FILE_VALIDATION: '1' };
  });
  after(() => rmSync(prefix, { recursive: true, force: true }));

  test('jupyter_client BlockingKernelClient: execute, complete, inspect, is_complete, history, interrupt (loop and federated run), restart', {
    skip: missing(['jupyter_client']),
  }, async () => {
    const { status, stdout, stderr } = await python('jupyter_client_checks.py', [], env);
    assert.equal(status, 0, `${stdout}\n${stderr}`);
    for (const check of [
      'execute',
      'complete',
      'inspect',
      'history',
      'interrupt keeps variables',
      'interrupt stops a running round',
      'interrupted run keeps state and trains again',
      'restart gives a clean context',
      'shutdown',
    ]) {
      assert.match(stdout, new RegExp(`^ok ${check}$`, 'm'));
    }
  });

  test('nbclient executes the fixture notebook', { skip: missing(['nbclient', 'nbformat']) }, async () => {
    const notebook = join(ROOT, 'test', 'fixtures', 'notebooks', 'basic.ipynb');
    const { status, stdout, stderr } = await python('nbclient_checks.py', [notebook], env);
    assert.equal(status, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /basic\.ipynb \(3 outputs\)/);
  });

  const examples = existsSync(join(ROOT, 'notebooks'))
    ? readdirSync(join(ROOT, 'notebooks'))
        .filter((f) => f.endsWith('.ipynb'))
        .sort()
    : [];
  for (const name of examples) {
    test(`nbclient executes notebooks/${name}`, { skip: missing(['nbclient', 'nbformat']) }, async () => {
      const { status, stdout, stderr } = await python('nbclient_checks.py', [join(ROOT, 'notebooks', name)], env);
      assert.equal(status, 0, `${stdout}\n${stderr.slice(-4000)}`);
    });
  }

  test('jupyter console runs a line and completes with Tab', { skip: missing(['jupyter_console', 'pexpect']) }, async () => {
    const { status, stdout, stderr } = await python('console_checks.py', [], env);
    assert.equal(status, 0, `${stdout}\n${stderr.slice(-4000)}`);
    assert.match(stdout, /^ok run a line$/m);
    assert.match(stdout, /^ok tab completion$/m);
  });
});
