import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputHistory, globToRegExp } from '../../../kernel/protocol/history';
import { createSubscriptionGate } from '../../../kernel/protocol/subscription-gate';
import { createConnectionInfo, endpointOf, parseConnectionInfo } from '../../../kernel/protocol/connection';

function historyOf(...inputs: string[]): InputHistory {
  const history = new InputHistory();
  inputs.forEach((input, i) => history.add(i + 1, input));
  return history;
}

test('history tail returns the last n inputs with session and line numbers', () => {
  const history = historyOf('a = 1', 'b = 2', 'a + b');
  assert.deepEqual(history.query({ hist_access_type: 'tail', n: 2 }), [
    [1, 2, 'b = 2'],
    [1, 3, 'a + b'],
  ]);
});

test('history range is start-inclusive, stop-exclusive, and gives output when asked', () => {
  const history = historyOf('a = 1', 'b = 2', 'a + b');
  history.setOutput(3, '3');
  assert.deepEqual(history.query({ hist_access_type: 'range', session: 0, start: 2, stop: 4, output: true }), [
    [1, 2, ['b = 2', null]],
    [1, 3, ['a + b', '3']],
  ]);
  assert.deepEqual(history.query({ hist_access_type: 'range', session: 7, start: 1 }), []);
});

test('history search uses glob patterns and unique keeps the latest of repeats', () => {
  const history = historyOf('a = 1', 'print(a)', 'a = 1', 'b?');
  assert.deepEqual(history.query({ hist_access_type: 'search', pattern: 'a*', unique: true }), [[1, 3, 'a = 1']]);
  assert.deepEqual(history.query({ hist_access_type: 'search', pattern: '*(a)' }), [[1, 2, 'print(a)']]);
  assert.equal(globToRegExp('b?').test('b?'), true);
  assert.equal(globToRegExp('b?').test('bcd'), false);
});

test('the subscription gate holds items until opened, then passes them in order', () => {
  const passed: number[] = [];
  const gate = createSubscriptionGate<number>((n) => passed.push(n), 60_000);
  gate.pass(1);
  gate.pass(2);
  assert.deepEqual(passed, []);
  gate.open();
  gate.pass(3);
  assert.deepEqual(passed, [1, 2, 3]);
});

test('the subscription gate opens by itself after its bounded wait', async () => {
  const passed: number[] = [];
  const gate = createSubscriptionGate<number>((n) => passed.push(n), 20);
  gate.pass(1);
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(passed, [1]);
  assert.equal(gate.isOpen, true);
});

test('connection files are validated with exact messages', () => {
  const good = { ip: '127.0.0.1', transport: 'tcp', shell_port: 1, control_port: 2, stdin_port: 3, iopub_port: 4, hb_port: 5, key: 'k' };
  const info = parseConnectionInfo(good);
  assert.equal(info.signature_scheme, 'hmac-sha256');
  assert.equal(endpointOf(info, 'iopub'), 'tcp://127.0.0.1:4');
  assert.equal(endpointOf({ ...info, transport: 'ipc', ip: '/tmp/k' }, 'hb'), 'ipc:///tmp/k-5');
  assert.throws(() => parseConnectionInfo({ ...good, hb_port: 'x' }, 'c.json'), { message: 'c.json: hb_port must be an integer port number, got "x"' });
  assert.throws(() => parseConnectionInfo({ ...good, transport: 'udp' }), /transport must be 'tcp' or 'ipc', got "udp"/);
});

test('fresh connection info: five distinct loopback ports and a fresh 64-hex-digit key each time', async () => {
  const [a, b] = [await createConnectionInfo(), await createConnectionInfo()];
  const ports = [a.shell_port, a.iopub_port, a.stdin_port, a.control_port, a.hb_port];
  assert.equal(new Set(ports).size, 5);
  assert.equal(a.ip, '127.0.0.1');
  assert.equal(a.kernel_name, 'fedbook');
  assert.match(a.key, /^[0-9a-f]{64}$/);
  assert.notEqual(a.key, b.key);
});
