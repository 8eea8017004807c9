/**
 * The `fedbook` command line:
 *   fedbook kernel [-f CONNECTION_FILE]
 *   fedbook kernel install [--user | --prefix DIR | --sys-prefix]
 *   fedbook run NOTEBOOK.ipynb [--out OUT.ipynb] [--timeout S]
 *   fedbook keys new | fedbook client …   (federation-commands.ts)
 *   fedbook worker …   (worker-command.ts)
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { installKernelSpec, kernelsDir, type InstallScope } from './install';
import { createConnectionInfo } from '../protocol/connection';
import { PLOTLY_ASSET } from '../execution/plotly-html';
import { FEDERATION_USAGE } from './federation-usage';

export const USAGE = `usage:
  fedbook kernel [-f CONNECTION_FILE]                        run the Jupyter kernel
  fedbook kernel install [--user | --prefix DIR | --sys-prefix]  install the 'fedbook' kernelspec
  fedbook run NOTEBOOK.ipynb [--out OUT.ipynb] [--timeout S]  execute every code cell
${FEDERATION_USAGE}`;

/** A command-line mistake: printed with the usage, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Runs the CLI; resolves with the exit status (the kernel command never resolves). */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'kernel' && rest[0] === 'install') {
    const dir = installKernelSpec(parseInstallScope(rest.slice(1)));
    process.stdout.write(`Installed kernelspec fedbook in ${dir}\n`);
    if (!existsSync(join(dir, PLOTLY_ASSET))) {
      process.stdout.write(
        'note: plotly.js-dist is not installed, so display.plotly figures show as text in Jupyter front ends without a plotly renderer (npm install plotly.js-dist, then install again)\n',
      );
    }
    return 0;
  }
  if (command === 'kernel') return runKernelCommand(rest);
  if (command === 'run') {
    const options = parseRunArgs(rest);
    const { runNotebook } = await import('./run-notebook');
    const result = await runNotebook(options);
    return result.ok ? 0 : 1;
  }
  if (command === 'keys') return (await import('./federation-commands')).keysCommand(rest);
  if (command === 'client') return (await import('./federation-commands')).clientCommand(rest);
  if (command === 'worker') return (await import('./worker-command')).workerCommand(rest);
  throw new UsageError(`unknown command '${command}'`);
}

export function parseInstallScope(args: string[]): InstallScope {
  let scope: InstallScope = { kind: 'system' };
  let chosen = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--user') scope = { kind: 'user' };
    else if (arg === '--sys-prefix') scope = { kind: 'sys-prefix' };
    else if (arg === '--prefix' || arg?.startsWith('--prefix=')) {
      const prefix = arg === '--prefix' ? args[++i] : arg.slice('--prefix='.length);
      if (!prefix) throw new UsageError('--prefix needs a directory: --prefix DIR');
      scope = { kind: 'prefix', prefix };
    } else throw new UsageError(`unknown option '${arg}' for 'fedbook kernel install'`);
    chosen++;
  }
  if (chosen > 1) throw new UsageError('choose one of --user, --prefix DIR, --sys-prefix');
  return scope;
}

export function parseRunArgs(args: string[]): { notebook: string; out?: string; timeoutS?: number } {
  let notebook: string | undefined;
  let out: string | undefined;
  let timeoutS: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--out') {
      out = args[++i];
      if (!out) throw new UsageError('--out needs a file name: --out OUT.ipynb');
    } else if (arg === '--timeout') {
      const value = Number(args[++i]);
      if (!(value > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got '${args[i] ?? ''}'`);
      timeoutS = value;
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option '${arg}' for 'fedbook run'`);
    } else if (notebook === undefined) {
      notebook = arg;
    } else {
      throw new UsageError(`'fedbook run' takes one notebook, got '${notebook}' and '${arg}'`);
    }
  }
  if (notebook === undefined) throw new UsageError("'fedbook run' needs a notebook: fedbook run NOTEBOOK.ipynb");
  return { notebook, out, timeoutS };
}

async function runKernelCommand(args: string[]): Promise<number> {
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-f' || arg === '--connection-file') file = args[++i];
    else if (arg.startsWith('--connection-file=')) file = arg.slice('--connection-file='.length);
    else throw new UsageError(`unknown option '${arg}' for 'fedbook kernel'`);
    if (!file) throw new UsageError('-f needs a connection file: fedbook kernel -f CONNECTION_FILE');
  }
  if (file === undefined) {
    // Like ipykernel without -f: make our own connection file and say where it is.
    const runtime = join(kernelsDir({ kind: 'user' }), '..', 'runtime');
    mkdirSync(runtime, { recursive: true });
    file = join(runtime, `kernel-${randomUUID()}.json`);
    writeFileSync(file, JSON.stringify(await createConnectionInfo(), null, 1), { mode: 0o600 });
    const created = file;
    process.on('exit', () => rmSync(created, { force: true }));
    process.stderr.write(`To connect another client to this kernel, use:\n    --existing ${file}\n`);
  }
  const { runKernel } = await import('../main');
  await runKernel(file);
  return 0;
}
