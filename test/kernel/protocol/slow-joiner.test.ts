/**
 * IOPub "slow joiner": a client that subscribes and sends its first request
 * at once, without retrying, must still see that request's busy and idle.
 * The kernel holds shell requests until the first subscription arrives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Dealer, Subscriber } from 'zeromq';
import { KERNEL_NODE_FLAGS, launchKernel } from '../../../kernel/cli/launch-kernel';
import { endpointOf } from '../../../kernel/protocol/connection';
import { buildMessage, createSessionIdentity } from '../../../kernel/protocol/messages';
import { createSigner } from '../../../kernel/protocol/signing';
import { parseFrames, serializeMessage } from '../../../kernel/protocol/wire';

const FAKE_KERNEL = [process.execPath, ...KERNEL_NODE_FLAGS, join(__dirname, 'fixtures', 'fake-kernel.js')];

test('the first request of a fresh client gets its busy and idle on IOPub, in 3 fresh kernels of 3', async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const kernel = await launchKernel({ command: FAKE_KERNEL });
    const signer = createSigner(kernel.connection.key);
    const iopub = new Subscriber({ linger: 0, receiveTimeout: 10_000 });
    const shell = new Dealer({ linger: 0 });
    try {
      iopub.subscribe();
      iopub.connect(endpointOf(kernel.connection, 'iopub'));
      shell.connect(endpointOf(kernel.connection, 'shell'));
      const request = buildMessage('kernel_info_request', {}, createSessionIdentity('once'));
      await shell.send(serializeMessage(request, signer));
      const states: string[] = [];
      while (!states.includes('idle')) {
        const { message } = parseFrames(await iopub.receive(), signer);
        if ((message.parent_header as { msg_id?: string }).msg_id !== request.header.msg_id) continue;
        states.push((message.content as { execution_state: string }).execution_state);
      }
      assert.deepEqual(states, ['busy', 'idle']);
    } finally {
      iopub.close();
      shell.close();
      await kernel.kill();
    }
  }
});
