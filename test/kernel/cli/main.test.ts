/** The `fedbook` command: kernelspec install and headless notebook runs through a real kernel. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
const BIN = join(ROOT, 'bin', 'fedbook.js');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'notebooks');

function fedbook(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('exit', (status) => done({ status, stdout, stderr }));
  });
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fedbook-cli-'));
}

test('kernel install --prefix writes a kernelspec with absolute node and bin paths', async () => {
  const prefix = tempDir();
  const { status, stdout } = await fedbook(['kernel', 'install', '--prefix', prefix]);
  assert.equal(status, 0);
  const dir = join(prefix, 'share', 'jupyter', 'kernels', 'fedbook');
  assert.equal(stdout, `Installed kernelspec fedbook in ${dir}\n`);
  const spec = JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8'));
  assert.deepEqual(spec.argv, [process.execPath, '--no-force-async-hooks-checks', BIN, 'kernel', '-f', '{connection_file}']);
  assert.equal(spec.display_name, 'Fedbook (TypeScript)');
  assert.equal(spec.language, 'typescript');
  assert.equal(spec.interrupt_mode, 'message');
  rmSync(prefix, { recursive: true });
});

test('kernel install --user honours JUPYTER_DATA_DIR like jupyter does', async () => {
  const data = tempDir();
  const { status } = await fedbook(['kernel', 'install', '--user'], { ...process.env, JUPYTER_DATA_DIR: data });
  assert.equal(status, 0);
  assert.equal(JSON.parse(readFileSync(join(data, 'kernels', 'fedbook', 'kernel.json'), 'utf8')).language, 'typescript');
  rmSync(data, { recursive: true });
});

test('usage mistakes exit 2 with an exact message', async () => {
  const cases: [string[], string][] = [
    [['kernel', 'install', '--user', '--prefix', '/x'], 'fedbook: choose one of --user, --prefix DIR, --sys-prefix\n'],
    [['run'], "fedbook: 'fedbook run' needs a notebook: fedbook run NOTEBOOK.ipynb\n"],
    [['run', 'a.ipynb', '--timeout', 'soon'], "fedbook: --timeout must be a positive number of seconds, got 'soon'\n"],
    [['frobnicate'], "fedbook: unknown command 'frobnicate'\n"],
  ];
  for (const [args, message] of cases) {
    const { status, stderr } = await fedbook(args);
    assert.equal(status, 2, args.join(' '));
    assert.ok(stderr.startsWith(message), `${args.join(' ')}: ${stderr}`);
  }
});

test('run executes every code cell, prints streams and display updates, and writes outputs', async () => {
  const dir = tempDir();
  const out = join(dir, 'basic.out.ipynb');
  const { status, stdout, stderr } = await fedbook(['run', join(FIXTURES, 'basic.ipynb'), '--out', out, '--timeout', '60']);
  assert.equal(status, 0, stderr);
  assert.equal(stdout, 'hello\nstep 0\nstep 1\nstep 2\nstep 3\n');
  const nb = JSON.parse(readFileSync(out, 'utf8'));
  const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
  assert.deepEqual(
    code.map((c: { execution_count: number }) => c.execution_count),
    [1, 2, 3],
  );
  assert.deepEqual(code[0].outputs, [{ output_type: 'stream', name: 'stdout', text: 'hello\n' }]);
  // The display was updated three times in place: one output, showing the last step.
  assert.equal(code[1].outputs.length, 1);
  assert.equal(code[1].outputs[0].output_type, 'display_data');
  assert.equal(code[1].outputs[0].data['text/plain'], 'step 3');
  assert.equal(code[2].outputs[0].output_type, 'execute_result');
  assert.equal(code[2].outputs[0].data['text/plain'], '42');
  assert.equal(nb.metadata.language_info.name, 'typescript');
  rmSync(dir, { recursive: true });
});

test('run exits 1 on a cell error, naming the cell, and stops there', async () => {
  const dir = tempDir();
  const out = join(dir, 'failing.out.ipynb');
  const { status, stdout, stderr } = await fedbook(['run', join(FIXTURES, 'failing.ipynb'), '--out', out]);
  assert.equal(status, 1);
  assert.match(stderr, /^Cell 2 failed: RangeError: too far$/m);
  assert.doesNotMatch(stdout, /never printed/);
  const nb = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(nb.cells[1].outputs[0].output_type, 'error');
  assert.equal(nb.cells[1].outputs[0].ename, 'RangeError');
  assert.deepEqual(nb.cells[2].outputs, []);
  rmSync(dir, { recursive: true });
});

test('run --timeout interrupts a cell that runs too long and exits 1', async () => {
  const dir = tempDir();
  const notebook = join(dir, 'slow.ipynb');
  const cells = [{ cell_type: 'code', source: 'while (true) {}', metadata: {}, outputs: [], execution_count: null }];
  require('node:fs').writeFileSync(notebook, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  const { status, stderr } = await fedbook(['run', notebook, '--timeout', '1']);
  assert.equal(status, 1);
  assert.match(stderr, /^Cell 1 timed out after 1 s$/m);
  rmSync(dir, { recursive: true });
});

/** A notebook whose second code cell ends the kernel process with `fatal`. */
function writeDyingNotebook(dir: string, fatal: string): string {
  const notebook = join(dir, 'dying.ipynb');
  const code = (source: string) => ({ cell_type: 'code', source, metadata: {}, outputs: [], execution_count: null });
  const cells = [code("console.log('before');"), code(fatal), code("console.log('never printed');")];
  require('node:fs').writeFileSync(notebook, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  return notebook;
}

/** fedbook(), but fails instead of waiting forever (the bug was a run that never ended), and ends the hung run. */
function fedbookWithin(ms: number, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`fedbook ${args.join(' ')} still running after ${ms} ms; stderr: ${stderr}`));
    }, ms);
    child.on('exit', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

for (const [fatal, reason] of [
  ["process.kill(process.pid, 'SIGKILL');", 'signal SIGKILL'],
  ['process.exit(3);', 'exit code 3'],
]) {
  test(`run stops at once when the kernel dies mid-cell (${reason}), keeps earlier outputs and exits 1`, async () => {
    const dir = tempDir();
    const out = join(dir, 'dying.out.ipynb');
    // No --timeout: nothing but the kernel's death may end the cell.
    const { status, stdout, stderr } = await fedbookWithin(60_000, ['run', writeDyingNotebook(dir, fatal), '--out', out]);
    assert.equal(status, 1, stderr);
    assert.match(stderr, new RegExp(`^Kernel died while running cell 2 \\(${reason}\\)$`, 'm'));
    assert.equal(stdout, 'before\n');
    const nb = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(nb.cells[0].outputs, [{ output_type: 'stream', name: 'stdout', text: 'before\n' }]);
    assert.equal(nb.cells[0].execution_count, 1);
    assert.deepEqual(nb.cells[1].outputs, [
      { output_type: 'error', ename: 'DeadKernelError', evalue: `Kernel died while running cell 2 (${reason})`, traceback: [] },
    ]);
    assert.equal(nb.cells[1].execution_count, null);
    assert.deepEqual(nb.cells[2].outputs, []);
    rmSync(dir, { recursive: true });
  });
}
