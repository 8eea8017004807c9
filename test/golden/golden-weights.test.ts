/**
 * The core redesign keeps behaviour: seeded runs give the same final weights,
 * bit for bit, as the code before it (hashes saved in test/fixtures/golden/).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fed } from '../../kernel/api/index';
import { GOLDEN_CASES, goldenClients, runGoldenCase } from './golden-cases';

const saved = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'golden', 'weights.json'), 'utf8')) as Record<
  string,
  { initial: string; final: string; head: number[] }
>;

let clients: Awaited<ReturnType<typeof goldenClients>>;
before(async () => {
  process.env.FEDBOOK_RUNS_DIR = mkdtempSync(join(tmpdir(), 'fedbook-golden-'));
  clients = await goldenClients();
});
after(() => fed.shutdown());

for (const golden of GOLDEN_CASES) {
  test(`${golden.name}: final weights equal the pre-redesign ones bit for bit`, async () => {
    const expected = saved[golden.name];
    assert.ok(expected, `no saved weights for '${golden.name}'`);
    const got = await runGoldenCase(golden, clients);
    assert.equal(got.initial, expected.initial, 'initial weights differ');
    assert.deepEqual(got.head, expected.head);
    assert.equal(got.final, expected.final);
  });
}
