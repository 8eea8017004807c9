/**
 * The listening side of a CurveZMQ link, shared by federations and
 * scale-outs: a Router bound under the server's key, a ZAP handler that admits
 * only allow-listed client keys, and one send queue for the socket.
 */
import * as zmq from 'zeromq';
import { readKeyPair, readPublicKey, z85Decode, z85Encode, type KeyPair } from './keys';

export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';

export interface FederationKeys {
  /** The server's key pair, or the path of its .key file ('fedbook keys new'). */
  readonly server: KeyPair | string;
  /** Client public keys allowed to join: Z85 keys or paths of .pub files. */
  readonly allow: readonly string[];
}

/** The server's pair, and the allowed keys by the hex of their 32 bytes (to their Z85 form). */
export function readServerKeys(keys: FederationKeys): { serverKeys: KeyPair; allowed: Map<string, string> } {
  const serverKeys = readKeyPair(keys.server, 'keys.server');
  const allowed = new Map(
    keys.allow.map((key, i) => {
      const z85 = readPublicKey(key, `keys.allow[${i}]`);
      return [z85Decode(z85).toString('hex'), z85] as const;
    }),
  );
  return { serverKeys, allowed };
}

export interface CurveRouterOptions {
  readonly serverKeys: KeyPair;
  readonly allowed: ReadonlyMap<string, string>;
  readonly host: string;
  readonly port: number;
  readonly maxMessageBytes: number;
  /** Names the call in the error when the port cannot be bound, e.g. 'fed.federation.listen'. */
  readonly caller: string;
  /** A connection whose key is not on the allow-list. */
  readonly onRefused: (publicKey: string, address: string) => void;
}

export interface CurveRouter {
  readonly router: zmq.Router;
  /** The bound endpoint (with port 0, the port the system chose). */
  readonly address: string;
  /** Queues frames for a routing id (hex) behind the ones before: zeromq.js allows one pending send per socket. After close, errors are dropped. */
  send(routing: string, frames: Buffer[], onError?: (error: Error) => void): void;
  /** Waits up to a second for queued sends, then unbinds and closes both sockets. */
  close(): Promise<void>;
}

export async function openCurveRouter(options: CurveRouterOptions): Promise<CurveRouter> {
  // A context of our own: the ZAP handler answers for this server's sockets only.
  const context = new zmq.Context();
  const zap = new zmq.Reply({ context, linger: 0 });
  await zap.bind(ZAP_ENDPOINT);
  void serveZap(zap, options.allowed, options.onRefused);
  const router = new zmq.Router({
    context,
    curveServer: true,
    curveSecretKey: options.serverKeys.secretKey,
    curvePublicKey: options.serverKeys.publicKey,
    zapDomain: 'fedbook',
    maxMessageSize: options.maxMessageBytes + 65_536,
    mandatory: true,
    linger: 1000,
  });
  const { host, port } = options;
  try {
    await bindRetrying(router, `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`);
  } catch (error) {
    zap.close();
    router.close();
    throw new Error(`${options.caller}: cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  const address = router.lastEndpoint ?? `tcp://${host}:${port}`;

  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    router,
    address,
    send(routing, frames, onError) {
      tail = tail.then(() => router.send([Buffer.from(routing, 'hex'), ...frames])).catch((error: Error) => (closed ? undefined : onError?.(error)));
    },
    async close() {
      closed = true;
      await Promise.race([tail, new Promise((resolve) => setTimeout(resolve, 1000))]);
      // Unbind first: close() releases the port in ZeroMQ's own thread, some time later.
      await router.unbind(address).catch(() => undefined);
      router.close();
      zap.close();
    },
  };
}

/** Binds, retrying for a second while the port is in use: a server closed just before (a re-run cell) frees it a moment later. */
export async function bindRetrying(router: zmq.Router, endpoint: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await router.bind(endpoint);
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** The ZAP handler (RFC 27): admits CURVE clients whose public key is on the allow-list. */
export async function serveZap(zap: zmq.Reply, allowed: ReadonlyMap<string, string>, onRefused: (publicKey: string, address: string) => void): Promise<void> {
  for await (const [version, requestId, , address, , mechanism, credentials] of zap) {
    const key = mechanism?.toString() === 'CURVE' && credentials?.length === 32 ? credentials.toString('hex') : undefined;
    const ok = key !== undefined && allowed.has(key);
    if (!ok) onRefused(credentials?.length === 32 ? z85Encode(credentials) : '(no CURVE key)', address?.toString() ?? '?');
    await zap.send([version, requestId, ok ? '200' : '400', ok ? 'OK' : 'client key not on the allow-list', ok ? allowed.get(key!)! : '', '']);
  }
}
