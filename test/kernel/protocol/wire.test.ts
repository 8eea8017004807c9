import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { ReplyContent, ReplyType } from '../../../kernel/protocol/content';
import { buildMessage, createSessionIdentity, replyTypeOf } from '../../../kernel/protocol/messages';
import { createSigner } from '../../../kernel/protocol/signing';
import { DELIMITER, parseFrames, serializeMessage, WireError } from '../../../kernel/protocol/wire';

const identity = createSessionIdentity('test');
const signer = createSigner('secret-key');

test('a message survives serialise → parse with its identities kept as raw bytes', () => {
  // Prepare: a binary routing identity, as control sockets have.
  const ids = [Buffer.from([0, 0x80, 0xff, 7])];
  const message = buildMessage('execute_request', { code: '1 + 1', silent: false }, identity);
  message.buffers = [Buffer.from([1, 2, 3])];
  // Execute
  const frames = serializeMessage(message, signer, ids);
  const parsed = parseFrames(frames, signer);
  // Assert
  assert.deepEqual(parsed.identities, ids);
  assert.deepEqual(parsed.message.header, message.header);
  assert.deepEqual(parsed.message.content, { code: '1 + 1', silent: false });
  assert.deepEqual(parsed.message.parent_header, {});
  assert.deepEqual(parsed.message.buffers, [Buffer.from([1, 2, 3])]);
  assert.ok(frames[1]!.equals(DELIMITER));
});

test('the signature is HMAC-SHA256 over exactly the four JSON frames as sent', () => {
  const frames = serializeMessage(buildMessage('status', { execution_state: 'idle' }, identity), signer);
  const expected = createHmac('sha256', 'secret-key');
  for (const frame of frames.slice(2, 6)) expected.update(frame);
  assert.equal(frames[1]!.toString(), expected.digest('hex'));
});

test('signatures are checked over the received bytes, so JSON with spaces (jupyter_client) verifies', () => {
  // Prepare: frames written the way Python's json.dumps writes them.
  const json = ['{"msg_id": "abc", "msg_type": "kernel_info_request", "session": "s", "username": "u", "date": "", "version": "5.3"}', '{}', '{}', '{}'].map(
    (text) => Buffer.from(text),
  );
  const hmac = createHmac('sha256', 'secret-key');
  for (const frame of json) hmac.update(frame);
  const frames = [Buffer.from('client-id'), DELIMITER, Buffer.from(hmac.digest('hex')), ...json];
  // Execute
  const parsed = parseFrames(frames, signer);
  // Assert
  assert.equal(parsed.message.header.msg_type, 'kernel_info_request');
  assert.deepEqual(parsed.identities, [Buffer.from('client-id')]);
});

test('a forged or tampered message is rejected', () => {
  const frames = serializeMessage(buildMessage('execute_request', { code: 'rm()' }, identity), signer);
  const forged = createSigner('wrong-key');
  assert.throws(
    () => parseFrames(frames, forged),
    (e: unknown) => e instanceof WireError && e.message === 'invalid signature',
  );
  const tampered = frames.slice();
  tampered[5] = Buffer.from('{"code":"evil()"}');
  assert.throws(() => parseFrames(tampered, signer), /invalid signature/);
  const unsigned = frames.slice();
  unsigned[1] = Buffer.from('');
  assert.throws(() => parseFrames(unsigned, signer), /invalid signature/);
});

test('an empty key turns signing off: empty signature sent, anything accepted', () => {
  const off = createSigner('');
  const frames = serializeMessage(buildMessage('status', { execution_state: 'idle' }, identity), off);
  assert.equal(frames[1]!.length, 0);
  assert.equal(parseFrames(frames, off).message.header.msg_type, 'status');
});

test('malformed frame lists get exact errors', () => {
  assert.throws(() => parseFrames([Buffer.from('x')], signer), /no <IDS\|MSG> delimiter/);
  assert.throws(() => parseFrames([DELIMITER, Buffer.from('')], signer), /expected 5 frames after the delimiter, got 1/);
  assert.throws(() => createSigner('k', 'hmac-md5'), /signature_scheme 'hmac-md5' is not supported/);
});

test('reply types derive from request types, in types and at run time', () => {
  const reply: ReplyType<'execute_request'> = 'execute_reply';
  assert.equal(replyTypeOf('execute_request'), reply);
  assert.equal(replyTypeOf('kernel_info_request'), 'kernel_info_reply');
  assert.equal(replyTypeOf('is_complete_request'), 'is_complete_reply');
  assert.throws(() => replyTypeOf('status'), /'status' is not a request type/);
});

test('a reply content is checked against the request it answers (at build time)', () => {
  const isComplete: ReplyContent<'is_complete_request'> = { status: 'incomplete', indent: '  ' };
  const failed: ReplyContent<'complete_request'> = { status: 'error', ename: 'E', evalue: 'v', traceback: [] };
  // @ts-expect-error an execute_reply that is ok carries its execution_count, payload and user_expressions
  const executeOk: ReplyContent<'execute_request'> = { status: 'ok' };
  // @ts-expect-error is_complete answers complete/incomplete/invalid/unknown, never ok
  const wrongStatus: ReplyContent<'is_complete_request'> = { status: 'ok' };
  // @ts-expect-error a stream's name is stdout or stderr
  buildMessage('stream', { name: 'stdlog', text: 'x' }, identity);
  assert.deepEqual([isComplete.status, failed.status, executeOk.status, wrongStatus.status], ['incomplete', 'error', 'ok', 'ok']);
});

test('a reply carries its request header as parent header', () => {
  const request = buildMessage('complete_request', { code: 'x', cursor_pos: 1 }, identity);
  const reply = buildMessage(
    replyTypeOf(request.header.msg_type),
    { status: 'ok', matches: [], cursor_start: 1, cursor_end: 1, metadata: {} },
    identity,
    request,
  );
  assert.deepEqual(reply.parent_header, request.header);
  assert.equal(reply.header.version, '5.3');
});
