import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOutputCollector, terminalText } from '../../../kernel/cli/notebook-outputs';
import { buildMessage, createSessionIdentity, type Message } from '../../../kernel/protocol/messages';
import { SWEEP_MIME } from '../../../kernel/contract';

const identity = createSessionIdentity('kernel');
const msg = (type: string, content: Record<string, unknown>): Message => buildMessage(type, content, identity) as Message;

test('consecutive streams of the same name merge into one output', () => {
  const outputs = createOutputCollector();
  outputs.apply(0, msg('stream', { name: 'stdout', text: 'a\n' }));
  outputs.apply(0, msg('stream', { name: 'stdout', text: 'b\n' }));
  outputs.apply(0, msg('stream', { name: 'stderr', text: 'c\n' }));
  assert.deepEqual(outputs.outputs(0), [
    { output_type: 'stream', name: 'stdout', text: 'a\nb\n' },
    { output_type: 'stream', name: 'stderr', text: 'c\n' },
  ]);
});

test('update_display_data rewrites the output with that display_id, even in an earlier cell', () => {
  const outputs = createOutputCollector();
  outputs.apply(1, msg('display_data', { data: { 'text/plain': 'round 0/3' }, metadata: {}, transient: { display_id: 'run-1' } }));
  outputs.apply(2, msg('stream', { name: 'stdout', text: 'next cell\n' }));
  const changed = outputs.apply(
    2,
    msg('update_display_data', { data: { 'text/plain': 'round 3/3' }, metadata: { done: true }, transient: { display_id: 'run-1' } }),
  );
  assert.equal(changed, true);
  assert.deepEqual(outputs.outputs(1), [{ output_type: 'display_data', data: { 'text/plain': 'round 3/3' }, metadata: { done: true } }]);
  assert.equal(outputs.outputs(2).length, 1);
  assert.equal(outputs.apply(2, msg('update_display_data', { data: {}, metadata: {}, transient: { display_id: 'unknown' } })), false);
});

test('clear_output empties the cell now, or at the next output when wait is set', () => {
  const outputs = createOutputCollector();
  outputs.apply(0, msg('stream', { name: 'stdout', text: 'old\n' }));
  outputs.apply(0, msg('clear_output', { wait: true }));
  assert.equal(outputs.outputs(0).length, 1);
  outputs.apply(0, msg('execute_result', { execution_count: 4, data: { 'text/plain': '42' }, metadata: {} }));
  assert.deepEqual(outputs.outputs(0), [{ output_type: 'execute_result', execution_count: 4, data: { 'text/plain': '42' }, metadata: {} }]);
  outputs.apply(0, msg('clear_output', { wait: false }));
  assert.deepEqual(outputs.outputs(0), []);
});

test('errors keep ename, evalue and traceback; the terminal sees text/plain of displays', () => {
  const outputs = createOutputCollector();
  outputs.apply(0, msg('error', { ename: 'RangeError', evalue: 'too far', traceback: ['RangeError: too far', 'at Cell In[2]:1:7'] }));
  assert.deepEqual(outputs.outputs(0), [
    { output_type: 'error', ename: 'RangeError', evalue: 'too far', traceback: ['RangeError: too far', 'at Cell In[2]:1:7'] },
  ]);
  assert.equal(terminalText(msg('update_display_data', { data: { 'text/plain': 'round 2/10' } })), 'round 2/10\n');
  const sweep = (status: string) => ({ data: { 'text/plain': 'sweep s: 1 of 2 runs done\nclientLr  seed 1\n0.1       done', [SWEEP_MIME]: { status } } });
  assert.equal(terminalText(msg('update_display_data', sweep('running'))), 'sweep s: 1 of 2 runs done\n', 'a running sweep: its headline');
  assert.equal(
    terminalText(msg('update_display_data', sweep('ended'))),
    'sweep s: 1 of 2 runs done\nclientLr  seed 1\n0.1       done\n',
    'the table at the end',
  );
  assert.equal(terminalText(msg('display_data', { data: { 'text/html': '<b>x</b>' } })), undefined);
  assert.equal(terminalText(msg('status', { execution_state: 'idle' })), undefined);
});
