/** Connection files: what Jupyter writes for a kernel to bind to (and a client to connect to). */
import { readFileSync } from 'node:fs';

export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}

export type SocketName = 'shell' | 'control' | 'stdin' | 'iopub' | 'hb';

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
