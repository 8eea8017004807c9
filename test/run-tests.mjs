// Runs every compiled test file under out/test with Node's built-in runner.
// Node 20's `--test` takes no globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('../out/test/', import.meta.url).pathname;
const only = process.argv.slice(2);

// The end-to-end VS Code test has its own script (npm run test:e2e); it runs only when asked by name.
const wantsE2e = only.some((pattern) => pattern.includes('e2e'));

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'e2e' || wantsE2e) found.push(...collect(path));
    } else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const files = collect(root)
  .filter((file) => only.length === 0 || only.some((pattern) => file.includes(pattern)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under out/test (did the build run?)');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
