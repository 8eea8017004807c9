/**
 * A scripted federation client for secure-aggregation tests: a raw CurveZMQ
 * socket in the test's process running the same SecAggSession and encoding as
 * `fedbook client`, with a fixed update, that drops out (goes silent: no
 * answers, no heartbeats) at a chosen step, or stalls (heartbeats, never
 * answers the roster).
 */
import * as zmq from 'zeromq';
import { encodeUpdate } from '../../../../kernel/federated/aggregators/secure-encoding';
import type { Federation } from '../../../../kernel/transport/remote/federation-server';
import { helloProof, readKeyPair } from '../../../../kernel/transport/remote/keys';
import { SecAggSession } from '../../../../kernel/transport/remote/secagg-session';
import { decodeServerMessage, encodeMessage, type ClientMessage } from '../../../../kernel/transport/remote/wire';

export type DropAt = 'never' | 'inbox' | 'unmask' | 'short-masked' | 'stall-roster';

export interface ScriptedClient {
  readonly remote: Federation;
  readonly port: number;
  /** Its secret key file (from makeKeys). */
  readonly keyFile: string;
  readonly name: string;
  readonly examples: number;
  /** Its update for a model of `dimension` parameters. */
  readonly delta: (dimension: number) => Float32Array;
  readonly dropAt: DropAt;
}

/** Joins, waits for the welcome, and returns a function that closes the socket. */
export async function startScriptedClient(client: ScriptedClient): Promise<() => void> {
  const { remote, name, examples, dropAt } = client;
  const pair = readKeyPair(client.keyFile, name);
  const socket = new zmq.Dealer({ curveServerKey: remote.publicKey, curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey, linger: 0 });
  socket.connect(`tcp://127.0.0.1:${client.port}`);
  let tail: Promise<void> = Promise.resolve();
  const send = (message: ClientMessage, round: number): void => {
    // A send still queued when the test closes the socket fails; that must not become an unhandled rejection.
    tail = tail.then(() => socket.send(encodeMessage(message, round))).catch(() => undefined);
  };
  const beat = setInterval(() => send({ type: 'heartbeat' }, 0), 300);
  let silent = false;
  const stop = (): void => {
    silent = true;
    clearInterval(beat);
  };
  send({ type: 'hello', name, examples, inputShape: [4], numClasses: 3, publicKey: pair.publicKey, proof: helloProof(pair, remote.publicKey, name) }, 0);
  let welcomed!: () => void;
  const welcome = new Promise<void>((r) => {
    welcomed = r;
  });
  const metrics = { numExamples: examples, trainLoss: 1, trainAccuracy: 0, backend: 'script', ms: 1 };
  let session: SecAggSession | undefined;
  void (async () => {
    try {
      for (;;) {
        const m = decodeServerMessage(await socket.receive());
        if (m.type === 'welcome') welcomed();
        if (silent || !('task' in m)) continue;
        if (m.type === 'train') send({ type: 'train-result', task: m.task, status: 'ok', delta: client.delta(m.weights.length), ...metrics }, m.round);
        if (m.type === 'secure-train') {
          session = new SecAggSession(m.clientId, encodeUpdate(client.delta(m.weights.length), m.secagg.encoding), m.secagg.threshold);
          send({ type: 'sa-keys', task: m.task, ...session.keys(), ...metrics }, m.round);
        }
        if (m.type === 'sa-roster' && dropAt !== 'stall-roster') send({ type: 'sa-shares', task: m.task, ...session!.shares(m) }, m.round);
        if (m.type === 'sa-inbox') {
          if (dropAt === 'inbox') {
            stop();
            continue;
          }
          const masked = session!.masked(m);
          send({ type: 'sa-masked', task: m.task, masked: dropAt === 'short-masked' ? masked.slice(1) : masked }, m.round);
        }
        if (m.type === 'sa-unmask') {
          if (dropAt === 'unmask') {
            stop();
            continue;
          }
          send({ type: 'sa-unmasking', task: m.task, ...session!.unmask(m) }, m.round);
        }
      }
    } catch {
      /* closed */
    }
  })();
  await welcome;
  return () => {
    stop();
    socket.close();
  };
}
