import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../../../kernel/federated/random';
import { iidPartition } from '../../../../kernel/federated/partition/iid';
import { shardPartition } from '../../../../kernel/federated/partition/shards';
import { dirichletPartition } from '../../../../kernel/federated/partition/dirichlet';
import { naturalPartition } from '../../../../kernel/federated/partition/natural';
import { labelHistogram } from '../../../../kernel/federated/partition/histogram';

/** Labels sorted like a file ordered by class: `perClass` examples of each of `classes` classes. */
function sortedLabels(classes: number, perClass: number): Int32Array {
  return Int32Array.from({ length: classes * perClass }, (_, i) => Math.floor(i / perClass));
}

/** Asserts that the lists hold every index 0..n-1 exactly once. */
function assertCovers(lists: readonly Int32Array[], n: number): void {
  const seen = new Uint8Array(n);
  for (const list of lists) for (const i of list) seen[i]++;
  assert.deepEqual([...new Set(seen)], [1], 'every example must belong to exactly one client');
}

describe('iidPartition', () => {
  it('gives 10 examples to 3 clients as 4, 3, 3, covering each index once', () => {
    const lists = iidPartition(10, 3, createRng(1));
    assert.deepEqual(
      lists.map((l) => l.length),
      [4, 3, 3],
    );
    assertCovers(lists, 10);
  });

  it('sizes differ by at most one for awkward counts', () => {
    const lists = iidPartition(1003, 7, createRng(2));
    const sizes = lists.map((l) => l.length);
    assert.equal(Math.max(...sizes) - Math.min(...sizes), 1);
    assertCovers(lists, 1003);
  });

  it('is not contiguous: the examples are shuffled before the split (Flower bug #7290)', () => {
    // On class-sorted labels, contiguous blocks would give each of 10 clients exactly one class.
    const labels = sortedLabels(10, 100);
    const lists = iidPartition(1000, 10, createRng(3));
    const classesPerClient = labelHistogram(labels, lists, 10).map((row) => row.filter((count) => count > 0).length);
    assert.ok(
      classesPerClient.every((k) => k >= 8),
      `IID clients should see nearly all classes, got ${classesPerClient}`,
    );
    const contiguous = lists.filter((l) => l[l.length - 1] - l[0] === l.length - 1).length;
    assert.equal(contiguous, 0);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    assert.deepEqual(iidPartition(100, 4, createRng(5)), iidPartition(100, 4, createRng(5)));
    assert.notDeepEqual(iidPartition(100, 4, createRng(5)), iidPartition(100, 4, createRng(6)));
  });
});

describe('shardPartition', () => {
  it('gives each client at most 2 labels when classes fill whole shards', () => {
    // 10 classes × 60 examples, 20 clients × 2 shards of 15: every shard holds one label.
    const labels = sortedLabels(10, 60);
    const lists = shardPartition(labels, 10, 20, 2, createRng(7));
    assert.deepEqual(
      lists.map((l) => l.length),
      new Array(20).fill(30),
    );
    assertCovers(lists, 600);
    const histogram = labelHistogram(labels, lists, 10);
    for (const row of histogram) {
      assert.ok(row.filter((count) => count > 0).length <= 2, `client has more than 2 labels: ${row}`);
      assert.ok(
        row.every((count) => count % 15 === 0),
        `shards must not be split: ${row}`,
      );
    }
  });

  it('sorts by label even when the input is interleaved', () => {
    // Labels 0,1,2,3,0,1,2,3,…: 4 clients × 1 shard each of one label.
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 4);
    const lists = shardPartition(labels, 4, 4, 1, createRng(8));
    const histogram = labelHistogram(labels, lists, 4);
    assert.deepEqual(
      histogram.map((row) => row.filter((c) => c > 0).length),
      [1, 1, 1, 1],
    );
    assert.deepEqual(
      histogram.map((row) => Math.max(...row)),
      [10, 10, 10, 10],
    );
  });

  it('deals every example when n is not a multiple of the shard count', () => {
    const labels = sortedLabels(3, 7); // 21 examples, 4 shards of 6, 5, 5, 5
    const lists = shardPartition(labels, 3, 2, 2, createRng(9));
    assertCovers(lists, 21);
    assert.deepEqual(lists.map((l) => l.length).sort(), [10, 11]);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const labels = sortedLabels(10, 60);
    assert.deepEqual(shardPartition(labels, 10, 20, 2, createRng(1)), shardPartition(labels, 10, 20, 2, createRng(1)));
    assert.notDeepEqual(shardPartition(labels, 10, 20, 2, createRng(1)), shardPartition(labels, 10, 20, 2, createRng(2)));
  });
});

describe('dirichletPartition', () => {
  const labels = Int32Array.from({ length: 5000 }, (_, i) => i % 10);

  it('terminates for alpha 0.05 and gives every client at least minSize examples', () => {
    const { clients, report } = dirichletPartition(labels, 10, { clients: 50, alpha: 0.05, minSize: 20 }, createRng(11));
    assert.equal(clients.length, 50);
    assertCovers(clients, 5000);
    assert.ok(Math.min(...clients.map((l) => l.length)) >= 20);
    assert.ok(report.attempts >= 1 && report.attempts <= 100);
  });

  it('repairs by moving examples when no draw meets minSize', () => {
    // One draw only, and a minSize equal to the mean: the draw cannot be balanced, the repair must make it so.
    const { clients, report } = dirichletPartition(labels, 10, { clients: 10, alpha: 0.05, minSize: 500, maxAttempts: 1 }, createRng(12));
    assert.equal(report.attempts, 1);
    assert.ok(report.moved > 0);
    assert.deepEqual(
      clients.map((l) => l.length),
      new Array(10).fill(500),
    );
    assertCovers(clients, 5000);
  });

  it('is skewed for small alpha and close to uniform for large alpha', () => {
    const classesHeld = (alpha: number): number => {
      const { clients } = dirichletPartition(labels, 10, { clients: 20, alpha, minSize: 0 }, createRng(13));
      const rows = labelHistogram(labels, clients, 10);
      // Mean number of classes making up at least 5% of a client's data.
      return (
        rows.reduce((sum, row) => {
          const total = row.reduce((a, b) => a + b, 0);
          return sum + row.filter((count) => count >= 0.05 * total).length;
        }, 0) / rows.length
      );
    };
    assert.ok(classesHeld(0.05) < 3, `alpha 0.05: ${classesHeld(0.05)}`);
    assert.ok(classesHeld(1000) > 9.5, `alpha 1000: ${classesHeld(1000)}`);
  });

  it('is deterministic for a seed and differs for another seed', () => {
    const run = (seed: number) => dirichletPartition(labels, 10, { clients: 10, alpha: 0.5, minSize: 10 }, createRng(seed)).clients;
    assert.deepEqual(run(3), run(3));
    assert.notDeepEqual(run(3), run(4));
  });
});

describe('naturalPartition', () => {
  it('makes one client per group id, ascending', () => {
    const groups = Int32Array.from([7, 3, 7, 9, 3, 3]);
    assert.deepEqual(naturalPartition(groups, undefined, createRng(1)), [Int32Array.from([1, 4, 5]), Int32Array.from([0, 2]), Int32Array.from([3])]);
  });

  it('keeps a seeded selection of groups when fewer clients are asked for', () => {
    const groups = Int32Array.from({ length: 100 }, (_, i) => i % 10);
    const lists = naturalPartition(groups, 3, createRng(2));
    assert.equal(lists.length, 3);
    for (const list of lists) {
      assert.equal(list.length, 10);
      assert.equal(new Set(Array.from(list, (i) => groups[i])).size, 1);
    }
    assert.deepEqual(naturalPartition(groups, 3, createRng(2)), lists);
  });
});

describe('labelHistogram', () => {
  it("counts each client's labels", () => {
    const labels = Int32Array.from([0, 1, 1, 2, 2, 2]);
    assert.deepEqual(labelHistogram(labels, [Int32Array.from([0, 1]), Int32Array.from([2, 3, 4, 5])], 3), [
      [1, 1, 0],
      [0, 1, 3],
    ]);
  });
});
