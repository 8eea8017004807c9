/**
 * One process hosting many federation clients, for the bench's 50 and 100
 * clients: a hundred processes each loading tfjs do not fit a small machine.
 * Each client still has its own key, its own CurveZMQ connection and its own
 * data; they share this process's training thread (one Piscina pool).
 *
 *   node out/bench/federation-host.js --server tcp://127.0.0.1:PORT --server-key FILE --keys DIR --names c000,c001 --seeds 1,2 --examples 200
 */
import { join } from 'node:path';
import { createDataset } from '../kernel/data/dataset';
import { createClientPool } from '../kernel/transport/in-process/client-pool';
import { startClient } from '../kernel/transport/remote/federation-client';
import { buildClientData } from './federation-data';

function parse(argv: readonly string[]): { server: string; serverKey: string; keys: string; names: string[]; seeds: number[]; examples: number } {
  const value = (flag: string): string => {
    const i = argv.indexOf(flag);
    if (i < 0 || argv[i + 1] === undefined) throw new Error(`federation-host needs ${flag}`);
    return argv[i + 1];
  };
  const names = value('--names').split(',');
  const seeds = value('--seeds').split(',').map(Number);
  if (seeds.length !== names.length) throw new Error(`--seeds gives ${seeds.length} seeds for ${names.length} names`);
  return { server: value('--server'), serverKey: value('--server-key'), keys: value('--keys'), names, seeds, examples: Number(value('--examples')) };
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const pool = createClientPool(1);
  const clients = await Promise.all(
    args.names.map((name, i) => {
      const built = buildClientData(args.seeds[i], args.examples);
      const data = createDataset({ x: built.x, y: built.y, exampleShape: built.exampleShape, numClasses: built.numClasses, name: built.name });
      return startClient(
        {
          server: args.server,
          serverKey: args.serverKey,
          key: join(args.keys, `${name}.key`),
          data,
          name,
          backend: 'wasm',
          connectTimeoutMs: 60_000,
          log: () => undefined,
        },
        { pool },
      );
    }),
  );
  await Promise.all(clients.map((client) => client.done));
  await pool.close();
}

if (require.main === module)
  void main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
