import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SupersedingQueue } from '../../../extension/notebook/superseding-queue';

/** A queue that records the items it performs, holding on `blockOn` until release() is called. */
function recordingQueue(blockOn?: string): { queue: SupersedingQueue<string>; seen: string[]; release: () => void } {
  const seen: string[] = [];
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const queue = new SupersedingQueue<string>(async (item) => {
    seen.push(item);
    if (item === blockOn) await blocked;
  });
  return { queue, seen, release };
}

describe('SupersedingQueue', () => {
  test('runs steps in order, one at a time', async () => {
    const log: string[] = [];
    const queue = new SupersedingQueue<string>(async (item) => {
      log.push(`start ${item}`);
      await new Promise((r) => setTimeout(r, 5));
      log.push(`end ${item}`);
    });
    queue.push('a');
    queue.push('b');
    await queue.done();
    assert.deepEqual(log, ['start a', 'end a', 'start b', 'end b']);
  });

  test('a keyed step waiting its turn is replaced by the newest with the same key', async () => {
    const { queue, seen } = recordingQueue();
    // Pushed together: none has started when the later ones arrive.
    queue.push('stream 1');
    queue.push('round 1', 'run');
    queue.push('round 2', 'run');
    queue.push('stream 2');
    queue.push('round 3', 'run');
    queue.push('other display', 'other');
    await queue.done();
    // round 1 and 2 never ran: round 3 took their place, ahead of stream 2.
    assert.deepEqual(seen, ['stream 1', 'round 3', 'stream 2', 'other display']);
  });

  test('a keyed step that has started is not replaced: the next one runs after it', async () => {
    const { queue, seen, release } = recordingQueue('round 1');
    queue.push('round 1', 'run');
    await new Promise((r) => setTimeout(r, 0));
    queue.push('round 2', 'run');
    queue.push('round 3', 'run');
    release();
    await queue.done();
    assert.deepEqual(seen, ['round 1', 'round 3']);
  });

  test('a failing step does not stop the queue', async () => {
    const seen: string[] = [];
    const queue = new SupersedingQueue<string>((item) => {
      seen.push(item);
      if (item === 'bad') throw new Error('boom');
    });
    queue.push('bad');
    queue.push('good');
    await queue.done();
    assert.deepEqual(seen, ['bad', 'good']);
  });
});

describe('SupersedingQueue with minIntervalMs', () => {
  test('spaces out steps with the same key and runs only the newest of those that waited', async () => {
    const seen: Array<[string, number]> = [];
    const t0 = Date.now();
    const queue = new SupersedingQueue<string>(
      (item) => {
        seen.push([item, Date.now() - t0]);
      },
      { minIntervalMs: 60 },
    );
    queue.push('round 1', 'run');
    await new Promise((r) => setTimeout(r, 10));
    queue.push('round 2', 'run');
    queue.push('stream', undefined);
    queue.push('round 3', 'run');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      seen.map(([item]) => item),
      ['round 1', 'stream', 'round 3'],
    );
    // round 3 waited for the interval; the stream did not wait for it.
    assert.ok(seen[2][1] >= 55, `round 3 ran ${seen[2][1]} ms after round 1`);
    assert.ok(seen[1][1] < 55, `the stream ran at ${seen[1][1]} ms`);
  });

  test('done() runs a spaced-out step at once', async () => {
    const seen: string[] = [];
    const queue = new SupersedingQueue<string>(
      (item) => {
        seen.push(item);
      },
      { minIntervalMs: 10_000 },
    );
    queue.push('round 1', 'run');
    await new Promise((r) => setTimeout(r, 0));
    queue.push('final round', 'run');
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(seen, ['round 1']);
    await queue.done();
    assert.deepEqual(seen, ['round 1', 'final round']);
  });
});
