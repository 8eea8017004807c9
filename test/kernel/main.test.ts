/**
 * The real kernel process (`fedbook kernel -f`) with the real TypeScript
 * executor, driven by the Node Jupyter client: what a front end relies on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { connectKernel, type KernelClient } from '../../kernel/protocol/client';
import { launchKernel, type LaunchedKernel } from '../../kernel/cli/launch-kernel';
import type { Message } from '../../kernel/protocol/messages';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const resultOf = (iopub: Message[]) =>
  (iopub.find((m) => m.header.msg_type === 'execute_result')?.content as { data?: Record<string, unknown> } | undefined)?.data?.['text/plain'];

describe('fedbook kernel process', () => {
  let kernel: LaunchedKernel;
  let client: KernelClient;
  let startupMs = 0;
  before(async () => {
    const t0 = performance.now();
    kernel = await launchKernel();
    client = await connectKernel(kernel.connection);
    startupMs = client.kernelInfoAt - t0;
  });
  after(async () => {
    await client?.close();
    await kernel?.kill();
  });

  test('kernel_info describes a TypeScript kernel speaking 5.3', (t) => {
    // Measured, never asserted (shared machines): see bench/kernel-latency.ts.
    t.diagnostic(`start-up to kernel_info_reply: ${startupMs.toFixed(0)} ms`);
    const info = client.kernelInfo.content as Record<string, any>;
    assert.equal(info.implementation, 'fedbook');
    assert.equal(info.protocol_version, '5.3');
    assert.equal(info.language_info.name, 'typescript');
    assert.equal(info.language_info.file_extension, '.ts');
  });

  test('TypeScript declarations persist across cells and results come back as execute_result', async () => {
    const first = await client.execute('interface Client { id: number }\nconst cohort: Client[] = [{ id: 1 }, { id: 2 }];');
    assert.equal((first.reply.content as { status: string }).status, 'ok');
    const second = await client.execute('cohort.map((c) => c.id * 10).join(",")');
    assert.equal(resultOf(second.iopub), "'10,20'");
  });

  test('user_expressions come back rendered, and silent cells publish no result', async () => {
    const { reply } = await client.execute('const half = 21;', { userExpressions: { whole: 'half * 2' } });
    assert.deepEqual((reply.content as { user_expressions: unknown }).user_expressions, {
      whole: { status: 'ok', data: { 'text/plain': '42' }, metadata: {} },
    });
    const silent = await client.execute('half', { silent: true });
    assert.deepEqual(
      silent.iopub.map((m) => m.header.msg_type),
      ['status', 'status'],
    );
  });

  test('await input() reads a line through stdin', async () => {
    const { iopub } = await client.execute("const who = await input('Who? ');\nwho.toUpperCase()", {
      onInput: (prompt) => (prompt === 'Who? ' ? 'ada' : 'wrong prompt'),
    });
    assert.equal(resultOf(iopub), "'ADA'");
  });

  test('an error names the cell line in its traceback and the reply', async () => {
    const { reply } = await client.execute('const ok = 1;\nnull!.boom;');
    const c = reply.content as { status: string; ename: string; traceback: string[] };
    assert.equal(c.status, 'error');
    assert.equal(c.ename, 'TypeError');
    assert.match(c.traceback.join('\n'), /line 2/);
  });

  test('SIGINT stops a synchronous infinite loop and keeps every variable', async () => {
    await client.execute('let spins = 0;');
    const looping = client.execute('while (true) { spins++; }');
    await sleep(500);
    kernel.child.kill('SIGINT');
    const { reply } = await looping;
    assert.equal((reply.content as { ename: string }).ename, 'KeyboardInterrupt');
    const { iopub } = await client.execute('[spins > 0, cohort.length]');
    assert.equal(resultOf(iopub), '[ true, 2 ]');
  });

  for (const [where, cell] of [
    ['after an await', 'await new Promise((r) => setTimeout(r, 10));\nwhile (true) { spins++; }'],
    ['in a timer callback', 'setTimeout(() => { while (true) { spins++; } }, 10);\nawait new Promise((r) => setTimeout(r, 600_000));'],
  ]) {
    test(`interrupt_request stops a synchronous loop ${where} (out of breakOnSigint's reach) and keeps variables`, async () => {
      await client.execute('spins = 0;');
      const looping = client.execute(cell!);
      await sleep(500);
      const interrupt = await client.request('control', 'interrupt_request', {});
      assert.deepEqual(interrupt.reply.content, { status: 'ok' });
      const { reply } = await looping;
      assert.equal((reply.content as { ename: string }).ename, 'KeyboardInterrupt');
      const { iopub } = await client.execute('[spins > 0, cohort.length]');
      assert.equal(resultOf(iopub), '[ true, 2 ]');
    });
  }

  test('shutdown with restart is answered, then the process exits for its manager to start a fresh one', async () => {
    const { reply } = await client.request('control', 'shutdown_request', { restart: true });
    assert.deepEqual(reply.content, { status: 'ok', restart: true });
    assert.equal(await kernel.exited, 0);
  });
});
