/**
 * The federation's commands:
 *   fedbook keys new [--out DIR] [--name NAME]
 *   fedbook client --server tcp://HOST:PORT --server-key KEY --key FILE --data PATH [--label COL] [--features A,B,…] [--name NAME] [--backend B]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dataset } from '../data/dataset';
import type { BackendPreference } from '../contract/backend';
import { loadCsv } from '../data/csv';
import { writeKeyPair } from '../transport/remote/keys';
import { UsageError } from './main';

function flagValue(args: string[], i: number, flag: string, example: string): string {
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${flag} needs a value: ${flag} ${example}`);
  return value;
}

export function parseKeysNewArgs(args: string[]): { out: string; name: string } {
  let out = 'keys';
  let name = 'fedbook';
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') out = flagValue(args, i++, '--out', 'DIR');
    else if (args[i] === '--name') name = flagValue(args, i++, '--name', 'NAME');
    else throw new UsageError(`unknown option '${args[i]}' for 'fedbook keys new'`);
  }
  return { out, name };
}

export function keysCommand(args: string[]): number {
  if (args[0] !== 'new') throw new UsageError(`'fedbook keys' knows one subcommand: new (got '${args[0] ?? ''}')`);
  const { out, name } = parseKeysNewArgs(args.slice(1));
  const { keyFile, publicFile, pair } = writeKeyPair(out, name);
  process.stdout.write(
    `${keyFile}  (secret: key pair, mode 0600; keep it on this machine)\n${publicFile}  (public key: give it to the other side)\npublic key: ${pair.publicKey}\n`,
  );
  return 0;
}

export interface ClientArgs {
  server: string;
  serverKey: string;
  key: string;
  data: string;
  label?: string;
  features?: string[];
  name?: string;
  backend: BackendPreference;
  connectTimeoutMs?: number;
}

export function parseClientArgs(args: string[]): ClientArgs {
  const parsed: Partial<ClientArgs> = { backend: 'auto' };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--server') parsed.server = flagValue(args, i++, arg, 'tcp://HOST:PORT');
    else if (arg === '--server-key') parsed.serverKey = flagValue(args, i++, arg, 'KEY (40 Z85 characters or a .pub file)');
    else if (arg === '--key') parsed.key = flagValue(args, i++, arg, 'FILE (a .key file from fedbook keys new)');
    else if (arg === '--data') parsed.data = flagValue(args, i++, arg, 'PATH (a .csv file or a JS module exporting a dataset)');
    else if (arg === '--label') parsed.label = flagValue(args, i++, arg, 'COLUMN');
    else if (arg === '--features')
      parsed.features = flagValue(args, i++, arg, 'A,B,C')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (arg === '--name') parsed.name = flagValue(args, i++, arg, 'NAME');
    else if (arg === '--connect-timeout') {
      const seconds = Number(flagValue(args, i++, arg, 'SECONDS'));
      if (!(seconds > 0)) throw new UsageError(`--connect-timeout must be a positive number of seconds (got '${args[i]}')`);
      parsed.connectTimeoutMs = seconds * 1000;
    } else if (arg === '--backend') {
      const backend = flagValue(args, i++, arg, 'wasm');
      if (!['auto', 'native', 'gpu', 'wasm', 'cpu'].includes(backend))
        throw new UsageError(`--backend must be one of auto, native, gpu, wasm, cpu (got '${backend}')`);
      parsed.backend = backend as BackendPreference;
    } else throw new UsageError(`unknown option '${arg}' for 'fedbook client'`);
  }
  for (const [field, flag] of [
    ['server', '--server tcp://HOST:PORT'],
    ['serverKey', '--server-key KEY'],
    ['key', '--key FILE'],
    ['data', '--data PATH'],
  ] as const) {
    if (parsed[field] === undefined) throw new UsageError(`'fedbook client' needs ${flag}`);
  }
  return parsed as ClientArgs;
}

/** A client's data: a CSV file, or a JS module whose default (or `dataset`) export is a dataset or a function giving one. */
export async function loadClientData(args: Pick<ClientArgs, 'data' | 'label' | 'features'>): Promise<Dataset> {
  const path = resolve(args.data);
  if (/\.csv$/i.test(path)) return loadCsv(path, { label: args.label ?? 'label', ...(args.features ? { features: args.features } : {}) });
  if (!/\.(c|m)?js$/i.test(path)) throw new Error(`--data must be a .csv file or a .js/.mjs/.cjs module exporting a dataset (got ${args.data})`);
  // A real import() (TypeScript's CommonJS output would turn `import()` into require, which cannot load .mjs).
  const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<Record<string, unknown>>;
  const module = await importModule(pathToFileURL(path).href);
  let exported = module.dataset ?? module.default;
  if (exported && typeof exported === 'object' && 'default' in exported && !('x' in exported)) exported = (exported as { default: unknown }).default;
  const value = typeof exported === 'function' ? await (exported as () => unknown)() : await exported;
  const dataset = value as Dataset;
  if (!dataset || !(dataset.x instanceof Float32Array) || !(dataset.y instanceof Int32Array) || !Array.isArray(dataset.exampleShape)) {
    throw new Error(
      `${args.data} must export (as default or 'dataset') a dataset { x: Float32Array, y: Int32Array, exampleShape, numClasses, length, name }, or a function returning one`,
    );
  }
  return dataset;
}

export async function clientCommand(args: string[]): Promise<number> {
  const parsed = parseClientArgs(args);
  const data = await loadClientData(parsed);
  const { startClient } = await import('../transport/remote/federation-client');
  const client = await startClient({
    server: parsed.server,
    serverKey: parsed.serverKey,
    key: parsed.key,
    data,
    name: parsed.name,
    backend: parsed.backend,
    connectTimeoutMs: parsed.connectTimeoutMs,
  });
  const stop = (): void => void client.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await client.done;
  return 0;
}
