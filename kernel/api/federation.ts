/**
 * `fed.federation` (the notebook's side of a federation across machines) and
 * `fed.client` (a client whose data is built in code): validated, then handed
 * to kernel/transport/remote.
 */
import type { Dataset } from '../data/dataset';
import { listen, type Federation, type ListenOptions } from '../transport/remote/federation-server';
import { startClient, type FederationClient, type FederationClientOptions } from '../transport/remote/federation-client';
import { newKeyPair, writeKeyPair, type KeyPair } from '../transport/remote/keys';
import { scaleOut, type ScaleOut, type ScaleOutOptions } from '../transport/scale-out/scale-out-server';
import { checkKnownOptions, integerIn, positiveNumber } from '../validate';

const LISTEN_OPTIONS = [
  'port',
  'host',
  'minClients',
  'keys',
  'deadlineMs',
  'heartbeatTimeoutMs',
  'joinTimeoutMs',
  'maxMessageBytes',
  'log',
  'onListening',
  'signal',
];
const CLIENT_OPTIONS = ['server', 'serverKey', 'key', 'data', 'name', 'backend', 'connectTimeoutMs', 'serverTimeoutMs', 'log'];

function checkListen(options: ListenOptions): ListenOptions {
  if (!options || typeof options !== 'object')
    throw new TypeError(
      "fed.federation.listen needs options, e.g. listen({ port: 7000, minClients: 3, keys: { server: 'keys/server.key', allow: ['keys/alice.pub'] } })",
    );
  checkKnownOptions('fed.federation.listen', options, LISTEN_OPTIONS);
  integerIn('fed.federation.listen: port', options.port, 0, 65535);
  integerIn('fed.federation.listen: minClients', options.minClients, 1);
  if (!options.keys || typeof options.keys !== 'object' || !options.keys.server || !Array.isArray(options.keys.allow)) {
    throw new TypeError(
      "fed.federation.listen: keys must be { server: KEY_PAIR_OR_.key_FILE, allow: [CLIENT_PUBLIC_KEYS_OR_.pub_FILES] } (make them with 'npx fedbook keys new')",
    );
  }
  if (options.keys.allow.length === 0)
    throw new RangeError("fed.federation.listen: keys.allow is empty, so no client could join; list the clients' public keys");
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === ''))
    throw new TypeError('fed.federation.listen: host must be an address such as 127.0.0.1 (the default) or 0.0.0.0');
  for (const name of ['deadlineMs', 'heartbeatTimeoutMs', 'joinTimeoutMs', 'maxMessageBytes'] as const) {
    if (options[name] !== undefined) positiveNumber(`fed.federation.listen: ${name}`, options[name]);
  }
  return options;
}

const SCALE_OUT_OPTIONS = ['port', 'host', 'keys', 'minWorkers', 'heartbeatTimeoutMs', 'joinTimeoutMs', 'maxMessageBytes', 'log', 'onListening', 'signal'];

function checkScaleOut(options: ScaleOutOptions): ScaleOutOptions {
  if (!options || typeof options !== 'object')
    throw new TypeError(
      "fed.federation.scaleOut needs options, e.g. scaleOut({ port: 7001, keys: { server: 'keys/server.key', allow: ['keys/worker.pub'] } })",
    );
  checkKnownOptions('fed.federation.scaleOut', options, SCALE_OUT_OPTIONS);
  integerIn('fed.federation.scaleOut: port', options.port, 0, 65535);
  if (options.minWorkers !== undefined) integerIn('fed.federation.scaleOut: minWorkers', options.minWorkers, 0);
  if (!options.keys || typeof options.keys !== 'object' || !options.keys.server || !Array.isArray(options.keys.allow) || options.keys.allow.length === 0) {
    throw new TypeError(
      "fed.federation.scaleOut: keys must be { server: KEY_PAIR_OR_.key_FILE, allow: [WORKER_PUBLIC_KEYS_OR_.pub_FILES] } with at least one worker key (make them with 'npx fedbook keys new')",
    );
  }
  if (options.host !== undefined && (typeof options.host !== 'string' || options.host === ''))
    throw new TypeError('fed.federation.scaleOut: host must be an address such as 127.0.0.1 (the default) or 0.0.0.0');
  for (const name of ['heartbeatTimeoutMs', 'joinTimeoutMs', 'maxMessageBytes'] as const) {
    if (options[name] !== undefined) positiveNumber(`fed.federation.scaleOut: ${name}`, options[name]);
  }
  return options;
}

const open = new Set<Federation | ScaleOut>();

/** Closes every federation still listening (part of fed.shutdown()). */
export async function closeFederations(): Promise<void> {
  const all = [...open];
  open.clear();
  await Promise.all(all.map((federation) => federation.close()));
}

/** A federation of clients on other machines (or other processes of this one). */
export const federation = {
  /**
   * Listens for clients and resolves once `minClients` have joined; the handle goes where a partition would:
   * `algo.run({ rounds, clients: remote })`. Listens on 127.0.0.1 unless `host` says otherwise.
   * @example const remote = await fed.federation.listen({ port: 7000, minClients: 3, keys: { server: 'keys/server.key', allow: ['keys/a.pub', 'keys/b.pub', 'keys/c.pub'] } });
   * remote.describe(); // who is connected, refused keys, rejected messages
   */
  listen: async (options: ListenOptions): Promise<Federation> => {
    const federation = await listen(checkListen(options));
    open.add(federation);
    const close = federation.close;
    return Object.assign(federation, {
      close: () => {
        open.delete(federation);
        return close();
      },
    });
  },
  /**
   * Extra training capacity for simulations: `npx fedbook worker` processes (on this or other machines) join, and an
   * algorithm given `scaleOut` trains part of each round's simulated clients on them. Built-in datasets load there by
   * name; others are sent once and cached by content hash. Resolves once `minWorkers` (default 1) have joined.
   * @example const workers = await fed.federation.scaleOut({ port: 7001, keys: { server: 'keys/server.key', allow: ['keys/worker.pub'] } });
   * fed.fedAvg({ model, clientsPerRound: 50, backend: 'wasm', scaleOut: workers }).run({ rounds: 20, clients, evaluate: test });
   */
  scaleOut: async (options: ScaleOutOptions): Promise<ScaleOut> => {
    const handle = await scaleOut(checkScaleOut(options));
    open.add(handle);
    const close = handle.close;
    return Object.assign(handle, {
      close: () => {
        open.delete(handle);
        return close();
      },
    });
  },
  /** A fresh CurveZMQ key pair (Z85), or, with `dir`, written to dir/NAME.key (mode 0600) and dir/NAME.pub. */
  keyPair: (dir?: string, name = 'fedbook'): KeyPair => (dir === undefined ? newKeyPair() : writeKeyPair(dir, name).pair),
};

/** The client side, for a Node script whose data is built in code (the command line is `npx fedbook client`). */
export const client = {
  /**
   * Joins a federation with this process's own data, which never leaves it; resolves once the server has welcomed it.
   * @example const c = await fed.client.start({ server: 'tcp://10.0.0.5:7000', serverKey: 'keys/server.pub', key: 'keys/alice.key', data });
   * await c.done; // until the server ends the federation
   */
  start: (options: FederationClientOptions): Promise<FederationClient> => {
    if (!options || typeof options !== 'object')
      throw new TypeError("fed.client.start needs options, e.g. start({ server: 'tcp://HOST:7000', serverKey, key: 'keys/me.key', data })");
    checkKnownOptions('fed.client.start', options, CLIENT_OPTIONS);
    const data = options.data as Dataset;
    if (!data || !(data.x instanceof Float32Array) || !(data.y instanceof Int32Array) || !Array.isArray(data.exampleShape)) {
      throw new TypeError(
        'fed.client.start: data must be a dataset (from fed.datasets.csv, fed.partition(...).client(i), or { x, y, exampleShape, numClasses, length, name })',
      );
    }
    return startClient(options);
  },
};
