/**
 * close() on a client whose kernel died with requests still waiting: each
 * request must fail with a clear error, and the process must be free to exit.
 * A child process makes the second part testable: it has to end by itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ID = '[0-9a-f-]+';

test('close() rejects every waiting request, later requests fail at once, and nothing keeps the process alive', async () => {
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'close-while-waiting.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Start-up of the fake kernel takes a second or two; a kept-alive child would run for minutes.
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([
    new Promise((done) => child.once('exit', (code, signal) => done(code ?? signal))),
    new Promise((done) => (timer = setTimeout(() => done('still running after 20 s'), 20_000))),
  ]);
  clearTimeout(timer);
  child.kill('SIGKILL');

  assert.equal(exit, 0, `stdout:\n${stdout}\nstderr:\n${stderr}`);
  const lines = stdout.trim().split('\n');
  assert.equal(lines.length, 4, stdout);
  assert.match(lines[0]!, new RegExp(`^rejected: client closed while execute_request ${ID} was waiting for its reply and idle status$`));
  assert.match(lines[1]!, new RegExp(`^rejected: client closed while interrupt_request ${ID} was waiting for its reply and idle status$`));
  assert.match(lines[2]!, new RegExp(`^rejected: client closed while comm_info_request ${ID} was waiting for its idle status$`));
  assert.equal(lines[3], 'rejected: execute_request not sent: the client is closed');
});
