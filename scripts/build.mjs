// `npm run build`: type-checks and compiles every realm listed in tsconfig.json,
// one `tsc -p` each, into out/ (out/kernel, out/workers, out/extension, out/test,
// out/bench; the webview realm only type-checks: esbuild bundles it when packaging).
// A realm's program also compiles the files it imports from other realms; they
// come out identical whichever realm writes them.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** The realms' folders, from the references of the root tsconfig.json (JSON with comments). */
export function realms() {
  const text = readFileSync(join(root, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
  return JSON.parse(text).references.map((reference) => reference.path);
}

export function build() {
  // Output of a moved or deleted source file would otherwise linger (a stale test still runs under test/run-tests.mjs).
  for (const folder of ['kernel', 'workers', 'extension', 'test', 'bench']) rmSync(join(root, 'out', folder), { recursive: true, force: true });
  for (const realm of realms()) {
    try {
      execFileSync(process.execPath, [tsc, '-p', realm], { cwd: root, stdio: 'inherit' });
    } catch {
      console.error(`build: the ${realm} realm does not compile (${join(realm, 'tsconfig.json')})`);
      process.exit(1);
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) build();
