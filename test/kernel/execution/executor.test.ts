import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createExecutor } from '../../../kernel/execution';
import type { ExecutionOutcome } from '../../../kernel/execution/executor';
import { recordingSink, type RecordingSink } from './recording-sink';

// A notebook folder with a package installed next to it.
const notebookDir = mkdtempSync(join(tmpdir(), 'fedbook-exec-'));
mkdirSync(join(notebookDir, 'node_modules', 'next-to-notebook'), { recursive: true });
writeFileSync(
  join(notebookDir, 'node_modules', 'next-to-notebook', 'index.js'),
  'exports.triple = (x) => 3 * x; exports.default = "dflt"; exports.__esModule = true;',
);

const executor = createExecutor({ cwd: notebookDir, captureKernelConsole: false });
after(() => executor.dispose());

let count = 0;
async function run(code: string, sink: RecordingSink = recordingSink()): Promise<{ outcome: ExecutionOutcome; sink: RecordingSink }> {
  const outcome = await executor.execute(code, sink, { silent: false, executionCount: ++count });
  return { outcome, sink };
}

function plain(outcome: ExecutionOutcome): unknown {
  assert.equal(outcome.status, 'ok', JSON.stringify(outcome));
  return outcome.status === 'ok' ? outcome.result?.['text/plain'] : undefined;
}

test('top-level const, let, function, class and destructuring persist into the next cell', async () => {
  await run(
    'const base: number = 40; let { two, list: [one] } = { two: 2, list: [1] };\nfunction add(a: number, b: number): number { return a + b }\nclass Box<T> { constructor(readonly v: T) {} }',
  );
  const { outcome } = await run('add(base, two) + new Box(one).v');
  assert.equal(plain(outcome), '43');
});

test('a const may be redeclared by a later cell (notebooks rerun cells)', async () => {
  await run('const limit = 1');
  const { outcome } = await run('const limit = 2; limit * 10');
  assert.equal(plain(outcome), '20');
});

test('a function can be called before its declaration in the same cell (hoisting)', async () => {
  const { outcome } = await run('const early = twice(4);\nfunction twice(x) { return 2 * x }\nearly');
  assert.equal(plain(outcome), '8');
});

test('top-level await returns the last expression as the result; a cell ending in a declaration has none', async () => {
  const first = await run('const waited = await new Promise<number>((resolve) => setTimeout(() => resolve(7), 5));\nwaited * 6');
  assert.equal(plain(first.outcome), '42');
  const second = await run('const nothing = 1;');
  assert.deepEqual(second.outcome, { status: 'ok' });
});

test('console.log from async code that finishes later in the same cell goes to that cell', async () => {
  const { outcome, sink } = await run(
    [
      'console.log("before");',
      'setTimeout(() => console.error("from a timer"), 5);',
      'await new Promise((resolve) => setTimeout(resolve, 30));',
      'console.log("after", { n: 1 });',
    ].join('\n'),
  );
  assert.deepEqual(outcome, { status: 'ok' });
  assert.equal(sink.text('stdout'), 'before\nafter { n: 1 }\n');
  assert.equal(sink.text('stderr'), 'from a timer\n');
});

test('import and require find packages next to the notebook and Node built-ins', async () => {
  await run("import { triple } from 'next-to-notebook';\nimport dflt from 'next-to-notebook';\nimport * as path from 'node:path';");
  const { outcome } = await run("`${triple(3)} ${dflt} ${path.join('a', 'b')} ${require('node:os').EOL === '\\n'}`");
  assert.equal(plain(outcome), "'9 dflt a/b true'");
});

test('dynamic import() works inside a cell, also in nested code', async () => {
  const { outcome } = await run(
    "const load = async () => (await import('next-to-notebook')).triple(5);\n`${await load()} ${(await import('node:path')).basename('/a/b.txt')}`",
  );
  assert.equal(plain(outcome), "'15 b.txt'");
});

test('a missing package fails with the module-not-found message', async () => {
  const { outcome } = await run("import x from 'no-such-package-anywhere';");
  assert.equal(outcome.status, 'error');
  assert.match(outcome.status === 'error' ? outcome.evalue : '', /Cannot find module 'no-such-package-anywhere'/);
});

test('a runtime error points at the line and column in the cell, without kernel frames', async () => {
  const { outcome } = await run('const ok = 1;\nconst nothing: any = null;\n  nothing.field;');
  assert.equal(outcome.status, 'error');
  if (outcome.status !== 'error') return;
  assert.equal(outcome.ename, 'TypeError');
  assert.equal(outcome.evalue, "Cannot read properties of null (reading 'field')");
  assert.equal(outcome.traceback[1], `Cell In[${count}], line 3, column 11:`);
  assert.ok(outcome.traceback.includes(`    at Cell In[${count}]:3:11`), outcome.traceback.join('\n'));
  assert.ok(!outcome.traceback.some((line) => line.includes('out/kernel')), outcome.traceback.join('\n'));
});

test('a frame inside a function from an earlier cell points at that cell', async () => {
  await run('// helpers\nfunction explode(): never {\n  throw new RangeError("boom");\n}');
  const defined = count;
  const { outcome } = await run('explode()');
  assert.equal(outcome.status, 'error');
  if (outcome.status !== 'error') return;
  assert.equal(outcome.ename, 'RangeError');
  assert.ok(outcome.traceback.includes(`    at explode (Cell In[${defined}]:3:9)`), outcome.traceback.join('\n'));
  assert.ok(outcome.traceback.includes(`    at Cell In[${count}]:1:1`), outcome.traceback.join('\n'));
});

test('a syntax error says line:column in the cell', async () => {
  const { outcome } = await run('const fine = 1;\nconst broken = [1, 2;');
  assert.equal(outcome.status, 'error');
  if (outcome.status !== 'error') return;
  assert.equal(outcome.ename, 'SyntaxError');
  assert.equal(outcome.evalue, 'Expected "]" but found ";" (2:21)');
});

test('a type error does not block running', async () => {
  const { outcome } = await run('const s: number = "not a number" as unknown as string as any; s');
  assert.equal(plain(outcome), "'not a number'");
});

test('a thrown non-error value is reported as Uncaught', async () => {
  const { outcome } = await run('throw { code: 3 }');
  assert.deepEqual(outcome, { status: 'error', ename: 'Uncaught', evalue: '{ code: 3 }', traceback: ['Uncaught { code: 3 }'] });
});

test('a synchronous infinite loop is interrupted by SIGINT and every variable survives', async () => {
  await run('let survivor = "still here";');
  // The protocol side does this; without a listener the test process would die on SIGINT.
  const onSigint = (): void => executor.interrupt();
  process.on('SIGINT', onSigint);
  try {
    // The loop blocks this process's event loop, so another process sends the signal.
    spawn('sh', ['-c', `sleep 0.3; kill -INT ${process.pid}`], { stdio: 'ignore' });
    const { outcome } = await run('let spins = 0;\nwhile (true) { spins++ }');
    assert.equal(outcome.status, 'error');
    assert.equal(outcome.status === 'error' && outcome.ename, 'KeyboardInterrupt');
  } finally {
    process.off('SIGINT', onSigint);
  }
  const { outcome } = await run('`${survivor} after ${spins > 0 ? "spinning" : "nothing"}`');
  assert.equal(plain(outcome), "'still here after spinning'");
});

test('interrupt() stops an awaiting cell, aborts the ambient signal, and keeps variables', async () => {
  const { getAmbientSignal } = await import('../../../kernel/simulation/run-events');
  await run('const kept = 99;');
  let signal: AbortSignal | undefined;
  setTimeout(() => {
    signal = getAmbientSignal();
    executor.interrupt();
  }, 50);
  const { outcome } = await run('await new Promise(() => {});');
  assert.equal(outcome.status === 'error' && outcome.ename, 'KeyboardInterrupt');
  assert.equal(signal?.aborted, true);
  assert.equal(plain((await run('kept + 1')).outcome), '100');
});

test('input() asks the sink and returns the answer', async () => {
  const { outcome } = await run('const answer = await input("name? "); answer.toUpperCase()', recordingSink(['ada']));
  assert.equal(plain(outcome), "'ADA'");
});

test('a silent execution returns no result', async () => {
  const outcome = await executor.execute('1 + 1', recordingSink(), { silent: true, executionCount: count });
  assert.deepEqual(outcome, { status: 'ok' });
});
