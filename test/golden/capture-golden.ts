/** Writes test/fixtures/golden/weights.json from the current code: `node out/test/golden/capture-golden.js`. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fed } from '../../kernel/api/index';
import { GOLDEN_CASES, goldenClients, runGoldenCase } from './golden-cases';

async function main(): Promise<void> {
  process.env.FEDBOOK_RUNS_DIR ??= '/tmp/fedbook-golden-runs';
  const clients = await goldenClients();
  const out: Record<string, unknown> = {};
  for (const golden of GOLDEN_CASES) {
    out[golden.name] = await runGoldenCase(golden, clients);
    console.log(golden.name, out[golden.name]);
  }
  writeFileSync(join(__dirname, '..', '..', '..', 'test', 'fixtures', 'golden', 'weights.json'), JSON.stringify(out, null, 2) + '\n');
  await fed.shutdown();
}
void main();
