/** Who is in a federation: ids in name order when it fills, stable across leaving and rejoining, names bound to keys. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientRegistry } from '../../../../kernel/transport/remote/client-registry';
import { misfit } from '../../../../kernel/transport/remote/remote-transport';

const hello = (name: string, publicKey = `key-${name}`, examples = 10) => ({ name, publicKey, examples, inputShape: [4], numClasses: 3 });

test('the first clients are numbered by name, later ones as they join, and a returning client keeps its id', () => {
  const registry = new ClientRegistry();
  registry.join('r1', hello('carol'), 0);
  registry.join('r2', hello('alice'), 0);
  assert.equal(registry.numClients, 0, 'no ids before the federation fills');
  registry.assignIds();
  registry.join('r3', hello('bob'), 0);
  assert.deepEqual(
    registry.all().map((s) => [s.id, s.name]),
    [
      [0, 'alice'],
      [1, 'carol'],
      [2, 'bob'],
    ],
  );
  registry.leave(registry.byRoutingId('r1')!);
  assert.equal(registry.byClientId(1)!.connected, false);
  assert.equal(registry.numClients, 3, 'a client that left keeps its slot');
  const back = registry.join('r9', hello('carol', 'key-carol', 25), 5);
  assert.ok(back.ok && back.slot.id === 1 && back.slot.examples === 25 && back.replaced === undefined);
  assert.equal(registry.byRoutingId('r9')!.name, 'carol');
});

test('a name stays bound to its key; the newest connection of a name replaces the older one', () => {
  const registry = new ClientRegistry();
  registry.join('r1', hello('alice'), 0);
  assert.deepEqual(registry.join('r2', hello('alice', 'key-mallory'), 0), {
    ok: false,
    reason: "the name 'alice' belongs to another client key; choose another --name",
  });
  const again = registry.join('r3', hello('alice'), 0);
  assert.ok(again.ok);
  assert.equal(again.ok && again.replaced, 'r1');
  assert.equal(registry.byRoutingId('r1'), undefined);
});

test("misfit names the shapes when a client's data does not fit the model", () => {
  const spec = { kind: 'mlp' as const, hidden: [8], activation: 'relu' as const, inputShape: [28, 28, 1], numClasses: 10 };
  assert.equal(misfit(spec, { inputShape: [784], numClasses: 10 }), undefined);
  assert.match(
    misfit(spec, { inputShape: [60], numClasses: 10 })!,
    /expects examples of shape \[28,28,1\] \(784 values\) but this client's data has shape \[60\] \(60 values\)/,
  );
  assert.match(misfit(spec, { inputShape: [784], numClasses: 12 })!, /the model has 10 outputs but this client's labels go up to class 11/);
});

test('a second hello on the same connection is not a replacement, and a connection cannot take a second name', () => {
  const registry = new ClientRegistry();
  registry.join('r1', hello('alice'), 0);
  const again = registry.join('r1', hello('alice'), 1);
  assert.ok(again.ok && again.replaced === undefined);
  assert.deepEqual(registry.join('r1', hello('bob'), 2), { ok: false, reason: "this connection already joined as 'alice'" });
});
