/**
 * fedbook worker --server tcp://HOST:PORT --server-key KEY --key FILE [--name NAME] [--threads N] [--cache DIR] [--connect-timeout S]
 * Lends this machine's cores to a notebook's simulation (fed.federation.scaleOut).
 */
import { UsageError } from './main';

export interface WorkerArgs {
  server: string;
  serverKey: string;
  key: string;
  name?: string;
  threads?: number;
  cacheDir?: string;
  connectTimeoutMs?: number;
}

export function parseWorkerArgs(args: string[]): WorkerArgs {
  const parsed: Partial<WorkerArgs> = {};
  const value = (i: number, example: string): string => {
    const given = args[i + 1];
    if (given === undefined || given.startsWith('--')) throw new UsageError(`${args[i]} needs a value: ${args[i]} ${example}`);
    return given;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--server') parsed.server = value(i++, 'tcp://HOST:PORT');
    else if (arg === '--server-key') parsed.serverKey = value(i++, 'KEY (40 Z85 characters or a .pub file)');
    else if (arg === '--key') parsed.key = value(i++, 'FILE (a .key file from fedbook keys new)');
    else if (arg === '--name') parsed.name = value(i++, 'NAME');
    else if (arg === '--cache') parsed.cacheDir = value(i++, 'DIR');
    else if (arg === '--threads') {
      const threads = Number(value(i++, 'N'));
      if (!Number.isInteger(threads) || threads < 1 || threads > 1024) throw new UsageError(`--threads must be an integer in 1..1024 (got '${args[i]}')`);
      parsed.threads = threads;
    } else if (arg === '--connect-timeout') {
      const seconds = Number(value(i++, 'SECONDS'));
      if (!(seconds > 0)) throw new UsageError(`--connect-timeout must be a positive number of seconds (got '${args[i]}')`);
      parsed.connectTimeoutMs = seconds * 1000;
    } else throw new UsageError(`unknown option '${arg}' for 'fedbook worker'`);
  }
  for (const [field, flag] of [
    ['server', '--server tcp://HOST:PORT'],
    ['serverKey', '--server-key KEY'],
    ['key', '--key FILE'],
  ] as const) {
    if (parsed[field] === undefined) throw new UsageError(`'fedbook worker' needs ${flag}`);
  }
  return parsed as WorkerArgs;
}

export async function workerCommand(args: string[]): Promise<number> {
  const parsed = parseWorkerArgs(args);
  const { startWorker } = await import('../transport/scale-out/scale-out-worker');
  const worker = await startWorker(parsed);
  const stop = (): void => void worker.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await worker.done;
  return 0;
}
