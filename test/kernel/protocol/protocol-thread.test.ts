/**
 * The real protocol path: a kernel process (protocol thread, ZeroMQ sockets,
 * signals) driven by a real ZeroMQ client, with a stand-in executor so that
 * the assertions are about the protocol, not about TypeScript evaluation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { connectKernel, type KernelClient } from '../../../kernel/protocol/client';
import { KERNEL_NODE_FLAGS, launchKernel, type LaunchedKernel } from '../../../kernel/cli/launch-kernel';
import { buildMessage, createSessionIdentity, type Message } from '../../../kernel/protocol/messages';
import { createSigner } from '../../../kernel/protocol/signing';
import { serializeMessage } from '../../../kernel/protocol/wire';
import { parentIsGone } from '../../../kernel/protocol/parent-watch';

const FAKE_KERNEL = [process.execPath, ...KERNEL_NODE_FLAGS, join(__dirname, 'fixtures', 'fake-kernel.js')];
const types = (messages: Message[]) =>
  messages.map((m) => (m.header.msg_type === 'status' ? `status:${(m.content as { execution_state: string }).execution_state}` : m.header.msg_type));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('kernel process over ZeroMQ', () => {
  let kernel: LaunchedKernel;
  let client: KernelClient;
  before(async () => {
    kernel = await launchKernel({ command: FAKE_KERNEL });
    client = await connectKernel(kernel.connection);
  });
  after(async () => {
    await client?.close();
    await kernel?.kill();
  });

  test('kernel_info is answered between busy and idle, all with the request as parent', async () => {
    const { request, reply, iopub } = await client.request('shell', 'kernel_info_request');
    const c = reply.content as Record<string, any>;
    assert.equal(c.status, 'ok');
    assert.equal(c.protocol_version, '5.3');
    assert.equal(c.implementation, 'fedbook');
    assert.deepEqual(
      { name: c.language_info.name, ext: c.language_info.file_extension, mime: c.language_info.mimetype, cm: c.language_info.codemirror_mode },
      { name: 'typescript', ext: '.ts', mime: 'text/typescript', cm: 'typescript' },
    );
    assert.deepEqual(types(iopub), ['status:busy', 'status:idle']);
    for (const m of [reply, ...iopub]) assert.deepEqual(m.parent_header, request.header);
  });

  test('execute publishes busy, execute_input, stream, execute_result, idle in that order', async () => {
    const { reply, iopub, request } = await client.execute('a = 20; print("hello"); a + 22');
    assert.deepEqual(types(iopub), ['status:busy', 'execute_input', 'stream', 'execute_result', 'status:idle']);
    const count = (reply.content as { execution_count: number }).execution_count;
    assert.deepEqual(iopub[1]!.content, { code: 'a = 20; print("hello"); a + 22', execution_count: count });
    assert.deepEqual(iopub[2]!.content, { name: 'stdout', text: 'hello\n' });
    assert.deepEqual(iopub[3]!.content, { execution_count: count, data: { 'text/plain': '42' }, metadata: {} });
    assert.equal((reply.content as { status: string }).status, 'ok');
    for (const m of iopub) assert.equal((m.parent_header as { msg_id: string }).msg_id, request.header.msg_id);
    const next = await client.execute('1');
    assert.equal((next.reply.content as { execution_count: number }).execution_count, count + 1);
  });

  test('silent and store_history=false do not count, silent publishes nothing but status', async () => {
    const before = (await client.execute('0')).reply.content as { execution_count: number };
    const silent = await client.execute('print("quiet"); 5', { silent: true });
    assert.deepEqual(types(silent.iopub), ['status:busy', 'stream', 'status:idle']);
    const unstored = await client.execute('6', { storeHistory: false });
    assert.equal((unstored.reply.content as { execution_count: number }).execution_count, before.execution_count);
    const after = await client.execute('7');
    assert.equal((after.reply.content as { execution_count: number }).execution_count, before.execution_count + 1);
  });

  test('user_expressions are evaluated and returned as MIME bundles or errors', async () => {
    const { reply } = await client.execute('b = 3', { userExpressions: { double: 'b * 2', bad: 'nope.x' } });
    const expressions = (reply.content as { user_expressions: Record<string, any> }).user_expressions;
    assert.deepEqual(expressions.double, { status: 'ok', data: { 'text/plain': '6' }, metadata: {} });
    assert.equal(expressions.bad.status, 'error');
    assert.equal(expressions.bad.ename, 'ReferenceError');
  });

  test('display_data and update_display_data carry the display_id; clear_output passes through', async () => {
    const { iopub } = await client.execute('show("p", "round 1/2"); update("p", "round 2/2"); clear()');
    const shown = iopub.filter((m) => m.header.msg_type.includes('display') || m.header.msg_type === 'clear_output');
    assert.deepEqual(
      shown.map((m) => [m.header.msg_type, (m.content as any).transient?.display_id, (m.content as any).data?.['text/plain']]),
      [
        ['display_data', 'p', 'round 1/2'],
        ['update_display_data', 'p', 'round 2/2'],
        ['clear_output', undefined, undefined],
      ],
    );
  });

  test('help() output arrives as a page payload in the execute_reply', async () => {
    const { reply } = await client.execute('help("docs for x")');
    assert.deepEqual((reply.content as { payload: unknown[] }).payload, [{ source: 'page', data: { 'text/plain': 'docs for x' }, start: 0 }]);
  });

  test('an error publishes error and replies error; queued cells are aborted when stop_on_error', async () => {
    // The failing cell takes a moment, so that the next one is surely queued behind it.
    const failing = client.execute('wait(200).then(() => { throw new TypeError("boom") })');
    const queued = client.execute('ranAfterError = true');
    const [first, second] = await Promise.all([failing, queued]);
    assert.equal((first.reply.content as any).status, 'error');
    assert.equal((first.reply.content as any).ename, 'TypeError');
    assert.equal((first.reply.content as any).evalue, 'boom');
    assert.ok(first.iopub.some((m) => m.header.msg_type === 'error'));
    assert.equal((second.reply.content as any).status, 'aborted');
    assert.deepEqual(types(second.iopub), ['status:busy', 'status:idle']);
    const check = await client.execute('typeof ranAfterError');
    assert.equal((check.reply.content as any).status, 'ok');
    assert.deepEqual((check.iopub.find((m) => m.header.msg_type === 'execute_result')!.content as any).data, { 'text/plain': 'undefined' });
  });

  test('without stop_on_error the next queued cell still runs', async () => {
    const failing = client.execute('throw new Error("x")', { stopOnError: false });
    const queued = client.execute('"ran"');
    const [, second] = await Promise.all([failing, queued]);
    assert.equal((second.reply.content as any).status, 'ok');
  });

  test('complete, inspect, is_complete, history and comm_info are answered', async () => {
    await client.execute('longVariableName = 1');
    const complete = await client.request('shell', 'complete_request', { code: 'x = longVar', cursor_pos: 11 });
    assert.deepEqual(complete.reply.content, { status: 'ok', matches: ['longVariableName'], cursor_start: 4, cursor_end: 11, metadata: {} });
    const inspect = await client.request('shell', 'inspect_request', { code: 'longVariableName', cursor_pos: 3, detail_level: 0 });
    assert.deepEqual(inspect.reply.content, { status: 'ok', found: true, data: { 'text/plain': 'longVariableName: number' }, metadata: {} });
    const incomplete = await client.request('shell', 'is_complete_request', { code: 'function f() {' });
    assert.deepEqual(incomplete.reply.content, { status: 'incomplete', indent: '  ' });
    const history = await client.request('shell', 'history_request', { hist_access_type: 'tail', n: 1, output: false, raw: true });
    assert.deepEqual(
      (history.reply.content as any).history.map((h: unknown[]) => h[2]),
      ['longVariableName = 1'],
    );
    const comms = await client.request('shell', 'comm_info_request', {});
    assert.deepEqual(comms.reply.content, { status: 'ok', comms: {} });
    for (const r of [complete, inspect, incomplete, history, comms]) assert.deepEqual(types(r.iopub), ['status:busy', 'status:idle']);
  });

  test('comm_open to an unknown target is answered with comm_close; unknown requests get an error reply', async () => {
    const open = client.send('shell', 'comm_open', { comm_id: 'c1', target_name: 'jupyter.widget', data: {} });
    const iopub = await client.waitForIdle(open);
    assert.deepEqual(types(iopub), ['status:busy', 'comm_close', 'status:idle']);
    assert.deepEqual(iopub[1]!.content, { comm_id: 'c1', data: {} });
    const debug = await client.request('control', 'debug_request', { command: 'initialize' });
    assert.equal((debug.reply.content as any).status, 'error');
    assert.equal(debug.reply.header.msg_type, 'debug_reply');
  });

  test('input() asks on stdin when allowed and fails clearly when not', async () => {
    const prompts: string[] = [];
    const allowed = await client.execute('ask("name? ")', { onInput: (prompt) => (prompts.push(prompt), 'Ada') });
    assert.deepEqual(prompts, ['name? ']);
    assert.deepEqual((allowed.iopub.find((m) => m.header.msg_type === 'execute_result')!.content as any).data, { 'text/plain': 'Ada' });
    const refused = await client.execute('ask("x")');
    assert.equal((refused.reply.content as any).evalue, 'input() is not available: this front end does not allow stdin (allow_stdin is false)');
  });

  test('a message signed with the wrong key is dropped, logged and never executed', async () => {
    const forger = createSigner('not-the-key');
    const forged = buildMessage(
      'execute_request',
      { code: 'forged = 1', silent: false, store_history: true, user_expressions: {}, allow_stdin: false },
      createSessionIdentity('mallory'),
    );
    client.sendFrames('shell', serializeMessage(forged, forger));
    await sleep(300);
    const check = await client.execute('typeof forged');
    assert.deepEqual((check.iopub.find((m) => m.header.msg_type === 'execute_result')!.content as any).data, { 'text/plain': 'undefined' });
    assert.match(kernel.stderr(), /dropped a message on shell: invalid signature/);
  });

  test('interrupt_request stops a synchronous infinite loop; heartbeat answers meanwhile; variables survive', async () => {
    await client.execute('kept = "still here"');
    const looping = client.execute('while (true) {}');
    await sleep(300);
    assert.equal(await client.heartbeat(2000), true, 'heartbeat must answer while the main thread is blocked');
    const interrupt = await client.request('control', 'interrupt_request', {});
    assert.deepEqual(interrupt.reply.content, { status: 'ok' });
    const { reply } = await looping;
    assert.equal((reply.content as any).status, 'error');
    assert.match((reply.content as any).evalue, /interrupted/);
    const check = await client.execute('kept');
    const result = check.iopub.find((m) => m.header.msg_type === 'execute_result');
    assert.ok(
      result,
      `no execute_result for 'kept': ${JSON.stringify(check.iopub.map((m) => [m.header.msg_type, m.content]))}\nkernel stderr:\n${kernel.stderr()}`,
    );
    assert.deepEqual((result.content as any).data, { 'text/plain': 'still here' });
  });

  test('interrupt_request sent on shell is answered there at once, not queued behind the cell it stops', async () => {
    const waiting = client.execute('wait(60000)');
    await sleep(200);
    const interrupt = await client.request('shell', 'interrupt_request', {});
    assert.deepEqual(interrupt.reply.content, { status: 'ok' });
    assert.equal((await waiting).reply.content.status, 'error');
  });

  test('SIGINT (interrupt_mode signal) interrupts async work and never kills the kernel', async () => {
    kernel.child.kill('SIGINT');
    await sleep(100);
    const waiting = client.execute('wait(60000)');
    await sleep(300);
    kernel.child.kill('SIGINT');
    const { reply } = await waiting;
    assert.equal((reply.content as any).ename, 'KeyboardInterrupt');
    assert.equal(kernel.child.exitCode, null);
    assert.equal((await client.execute('kept')).reply.content.status, 'ok');
  });

  test('shutdown_request is answered and the process exits 0', async () => {
    const { reply } = await client.request('control', 'shutdown_request', { restart: false });
    assert.deepEqual(reply.content, { status: 'ok', restart: false });
    assert.equal(await kernel.exited, 0);
  });
});

test('the kernel exits when the process named by JPY_PARENT_PID dies', async () => {
  const parent = spawn('sleep', ['1']);
  const orphan = await launchKernel({ command: FAKE_KERNEL, parentPid: parent.pid });
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([orphan.exited, new Promise((done) => (timer = setTimeout(() => done('still running'), 15_000)))]);
  clearTimeout(timer);
  await orphan.kill();
  assert.equal(code, 0, `kernel stderr:\n${orphan.stderr()}`);
  assert.match(orphan.stderr(), /exiting: parent process died/);
});

test('a kernel stuck in a synchronous loop still ends when its parent dies (killed after the grace period)', async () => {
  const parent = spawn('sleep', ['2']);
  const orphan = await launchKernel({ command: FAKE_KERNEL, parentPid: parent.pid });
  const client = await connectKernel(orphan.connection);
  // Its reply can never come: close() below must reject it.
  const cell = client.execute('while (true) {}').then(
    () => 'replied',
    (error: Error) => error.message,
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([orphan.exited.then(() => 'exited'), new Promise((done) => (timer = setTimeout(() => done('still running'), 30_000)))]);
  clearTimeout(timer);
  await client.close();
  await orphan.kill();
  assert.equal(outcome, 'exited', `kernel stderr:\n${orphan.stderr()}`);
  assert.match(await cell, /^client closed while execute_request .* was waiting for its reply and idle status$/);
  assert.match(orphan.stderr(), /the process that started the kernel is gone/);
});

describe('parentIsGone', () => {
  const alive = (pids: number[]) => (pid: number) => pids.includes(pid);
  test('with JPY_PARENT_PID, the declared process decides', () => {
    assert.equal(parentIsGone({ declaredPid: 40, originalPpid: 7, pollMs: 1, graceMs: 1 }, 1, alive([40])), false);
    assert.equal(parentIsGone({ declaredPid: 40, originalPpid: 7, pollMs: 1, graceMs: 1 }, 7, alive([])), true);
  });
  test('without it, being reparented means the parent died', () => {
    assert.equal(parentIsGone({ originalPpid: 7, pollMs: 1, graceMs: 1 }, 7, alive([])), false);
    assert.equal(parentIsGone({ originalPpid: 7, pollMs: 1, graceMs: 1 }, 1, alive([])), true);
    // Started by init (a container's entry point): nothing to watch.
    assert.equal(parentIsGone({ originalPpid: 1, pollMs: 1, graceMs: 1 }, 1, alive([])), false);
  });
});

test('process.exit(code) in a cell closes the sockets and exits with that code (no abort)', async () => {
  // The abort it replaces (zeromq throwing while Node tore the protocol thread down) came about one exit in ten: try a few.
  for (const code of [3, 0, 7]) {
    // The real kernel: cells there see Node's own process object.
    const kernel = await launchKernel();
    const client = await connectKernel(kernel.connection);
    assert.equal((await client.execute('1 + 1')).reply.content.status, 'ok');
    // Whether its error reply gets out before the sockets close varies; close() settles it either way.
    const cell = client.execute(`process.exit(${code})`).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([kernel.exited, new Promise((done) => (timer = setTimeout(() => done('still running'), 30_000)))]);
    clearTimeout(timer);
    await client.close();
    await cell;
    await kernel.kill();
    assert.equal(exited, code, `kernel stderr:\n${kernel.stderr()}`);
    assert.match(kernel.stderr(), new RegExp(`exiting: process\\.exit\\(${code}\\) called`));
    assert.doesNotMatch(kernel.stderr(), /Napi::Error|terminate called/);
  }
});
