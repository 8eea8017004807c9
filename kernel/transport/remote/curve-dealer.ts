/**
 * The connecting side of a CurveZMQ link, shared by federation clients and
 * scale-out workers: a Dealer that pins the server's key, a watcher of its
 * handshake events (to say why a connection failed), and one send queue.
 */
import * as zmq from 'zeromq';
import type { KeyPair } from './keys';
import { DEFAULT_MAX_MESSAGE_BYTES } from './wire';

/** What the socket's events showed of the connection so far. */
export interface HandshakeSeen {
  connected: boolean;
  handshake: boolean;
  auth: string;
  protocol: string;
}

export interface CurveDealer {
  readonly socket: zmq.Dealer;
  readonly seen: Readonly<HandshakeSeen>;
  /** Queues frames behind the ones before: zeromq.js allows one pending send per socket. */
  send(frames: Buffer[], onError: (error: Error) => void): void;
  /** Resolves once the queue has drained, or after `ms`. */
  drain(ms: number): Promise<unknown>;
}

/** Connects to `server` (pinning `serverKey`) under `pair`; the caller closes `socket`. */
export function openCurveDealer(server: string, serverKey: string, pair: KeyPair): CurveDealer {
  const socket = new zmq.Dealer({
    curveServerKey: serverKey,
    curvePublicKey: pair.publicKey,
    curveSecretKey: pair.secretKey,
    maxMessageSize: DEFAULT_MAX_MESSAGE_BYTES + 65_536,
    linger: 500,
  });
  const seen: HandshakeSeen = { connected: false, handshake: false, auth: '', protocol: '' };
  void (async () => {
    try {
      for await (const event of socket.events) {
        if (event.type === 'connect') seen.connected = true;
        else if (event.type === 'handshake') seen.handshake = true;
        else if (event.type === 'handshake:error:auth') seen.auth = event.error.message;
        else if (event.type === 'handshake:error:protocol') seen.protocol = event.error.message;
      }
    } catch {
      /* the socket closed */
    }
  })();
  socket.connect(server);

  let tail: Promise<void> = Promise.resolve();
  return {
    socket,
    seen,
    send(frames, onError) {
      tail = tail.then(() => socket.send(frames)).catch(onError);
    },
    drain: (ms) => Promise.race([tail, new Promise((resolve) => setTimeout(resolve, ms))]),
  };
}

/** Checks that `server` looks like tcp://HOST:PORT before anything connects. */
export function checkServerAddress(server: string): void {
  if (!/^tcp:\/\/[^\s:/]+(:\d+)$|^tcp:\/\/\[[0-9a-fA-F:]+\]:\d+$/.test(server)) throw new TypeError(`server must look like tcp://HOST:PORT (got '${server}')`);
}

/** Why a connection got no welcome, from the socket's events; `as` names what should run on the server and who is asking. */
export function diagnose(
  server: string,
  timeoutMs: number,
  seen: Readonly<HandshakeSeen>,
  as: { listener: string; who: string } = { listener: 'fed.federation.listen', who: 'client' },
): string {
  const { listener, who } = as;
  const waited = `${Math.round(timeoutMs / 100) / 10} s`;
  if (!seen.connected)
    return `cannot reach the server at ${server}: nothing accepted a connection within ${waited} (is '${listener}' running there, and is the port open?)`;
  if (seen.auth) return `the server at ${server} refused this ${who}'s key (${seen.auth}): add its public key to the server's allow-list`;
  if (!seen.handshake) {
    return (
      `connected to ${server} but the CurveZMQ handshake did not complete within ${waited}: the server key given (--server-key) is probably not this server's, ` +
      `or this ${who}'s key is not on its allow-list${seen.protocol ? ` (${seen.protocol})` : ''}`
    );
  }
  return `the server at ${server} accepted the connection but did not welcome this ${who} within ${waited}`;
}
