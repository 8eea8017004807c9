/**
 * The extension's kernel launcher against the real kernel (bin/fedbook.js):
 * fresh connection file, execute, interrupt that keeps variables, and a
 * clear exit record when the process dies.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { KernelProcess, kernelDiedMessage } from '../../../extension/kernel/kernel-process';

const root = join(__dirname, '..', '..', '..', '..');
const launch = () =>
  KernelProcess.launch({
    runtime: { command: process.execPath, env: {}, description: 'test node' },
    kernelEntry: join(root, 'bin', 'fedbook.js'),
    cwd: mkdtempSync(join(tmpdir(), 'fedbook-ext-')),
    log: () => {},
  });

describe('KernelProcess with the real kernel', () => {
  let kernel: KernelProcess;
  before(async () => {
    kernel = await launch();
  });
  after(async () => {
    await kernel?.shutdown();
  });

  test('runs a cell and keeps its variables', async () => {
    await kernel.client.execute('const answer = 40 + 2;');
    const { reply, iopub } = await kernel.client.execute('answer');
    assert.equal((reply.content as { status: string }).status, 'ok');
    const result = iopub.find((m) => m.header.msg_type === 'execute_result');
    assert.equal((result?.content as { data: Record<string, string> } | undefined)?.data['text/plain'], '42');
  });

  test('interrupt_request stops a long cell and the kernel survives with its variables', async () => {
    const running = kernel.client.execute('await new Promise((resolve) => setTimeout(resolve, 60_000)); "finished"');
    await new Promise((r) => setTimeout(r, 500));
    kernel.interrupt();
    const { reply } = await running;
    assert.notEqual((reply.content as { status: string }).status, 'ok');
    const { iopub } = await kernel.client.execute('answer + 1');
    const result = iopub.find((m) => m.header.msg_type === 'execute_result');
    assert.equal((result?.content as { data: Record<string, string> } | undefined)?.data['text/plain'], '43');
  });
});

describe('a dying kernel', () => {
  test('exit resolves with the code and the message names it', async () => {
    const kernel = await launch();
    kernel.child.kill('SIGKILL');
    const exit = await kernel.exit;
    assert.equal(exit.signal, 'SIGKILL');
    assert.match(
      kernelDiedMessage(exit),
      /^The Fedbook kernel died \(signal SIGKILL\) while this cell was running\. Restart the kernel to continue; its variables are lost\./,
    );
  });
});
