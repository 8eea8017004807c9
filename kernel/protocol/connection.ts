/**
 * Connection files: what Jupyter writes for a kernel to bind to (and a client
 * to connect to), and fresh ones (a random key, free loopback ports) for a
 * kernel we start ourselves.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { ConnectionInfo } from '../contract';
import type { SocketName } from './messages';

const PORTS = ['shell_port', 'control_port', 'stdin_port', 'iopub_port', 'hb_port'] as const;

/** Validates a parsed connection file, with an exact message for the first problem found. */
export function parseConnectionInfo(value: unknown, source = 'connection file'): ConnectionInfo {
  if (typeof value !== 'object' || value === null) throw new Error(`${source} must be a JSON object`);
  const info = value as Record<string, unknown>;
  const transport = info.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'ipc') throw new Error(`${source}: transport must be 'tcp' or 'ipc', got ${JSON.stringify(transport)}`);
  if (typeof info.ip !== 'string' || info.ip === '') throw new Error(`${source}: ip must be a non-empty string`);
  for (const port of PORTS) {
    const n = info[port];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 65535) {
      throw new Error(`${source}: ${port} must be an integer port number, got ${JSON.stringify(n)}`);
    }
  }
  const key = info.key ?? '';
  if (typeof key !== 'string') throw new Error(`${source}: key must be a string`);
  const scheme = info.signature_scheme ?? 'hmac-sha256';
  if (typeof scheme !== 'string') throw new Error(`${source}: signature_scheme must be a string`);
  return { ...(info as unknown as ConnectionInfo), transport, key, signature_scheme: scheme };
}

export function readConnectionFile(path: string): ConnectionInfo {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read connection file ${path}: ${(error as Error).message}`);
  }
  try {
    return parseConnectionInfo(JSON.parse(text), path);
  } catch (error) {
    if (error instanceof SyntaxError) throw new Error(`connection file ${path} is not JSON: ${error.message}`);
    throw error;
  }
}

/** The ZeroMQ endpoint of one socket: `tcp://127.0.0.1:5555` or `ipc://path-1`. */
export function endpointOf(info: ConnectionInfo, socket: SocketName): string {
  const port = info[`${socket}_port` as (typeof PORTS)[number]];
  return info.transport === 'tcp' ? `tcp://${info.ip}:${port}` : `ipc://${info.ip}-${port}`;
}

/** `count` distinct free TCP ports on 127.0.0.1 (all held open at once, so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((done, fail) => {
          const server = createServer();
          server.once('error', fail);
          server.listen(0, '127.0.0.1', () => done(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
  return ports;
}

/** Connection info for a kernel we start: five free loopback ports and a fresh 256-bit key. */
export async function createConnectionInfo(kernelName = 'fedbook'): Promise<ConnectionInfo> {
  const [shell, control, stdin, iopub, hb] = (await freePorts(5)) as [number, number, number, number, number];
  return {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell,
    control_port: control,
    stdin_port: stdin,
    iopub_port: iopub,
    hb_port: hb,
    key: randomBytes(32).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: kernelName,
  };
}
