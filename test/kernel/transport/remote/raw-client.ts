/** A raw CURVE socket speaking the wire protocol by hand, for tests that send what no `fedbook client` would. */
import * as zmq from 'zeromq';
import type { Federation } from '../../../../kernel/transport/remote/federation-server';
import { helloProof, readKeyPair } from '../../../../kernel/transport/remote/keys';
import { decodeServerMessage, encodeMessage, type ServerMessage } from '../../../../kernel/transport/remote/wire';

export type Train = Extract<ServerMessage, { type: 'train' }> & { round: number };

export interface RawClient {
  readonly socket: zmq.Dealer;
  /** The next server message of `type`, skipping the others. */
  readonly next: (type: ServerMessage['type']) => Promise<ServerMessage & { round: number }>;
  /** Says hello as a client of 5 examples of shape [4], 3 classes, and waits for the welcome. */
  readonly join: () => Promise<void>;
  /** A well-formed 'ok' answer to `task` with a zero delta and 5 examples (for `taskId`, when given, instead of the task's own). */
  readonly zeroAnswer: (task: Train, taskId?: string) => Buffer[];
}

export function connectRawClient(remote: Federation, port: number, keyFile: string, name: string): RawClient {
  const pair = readKeyPair(keyFile, name);
  const socket = new zmq.Dealer({ curveServerKey: remote.publicKey, curvePublicKey: pair.publicKey, curveSecretKey: pair.secretKey, linger: 0 });
  socket.connect(`tcp://127.0.0.1:${port}`);
  const next = async (type: ServerMessage['type']): Promise<ServerMessage & { round: number }> => {
    for (;;) {
      const message = decodeServerMessage(await socket.receive());
      if (message.type === type) return message;
    }
  };
  const join = async () => {
    await socket.send(
      encodeMessage(
        { type: 'hello', name, examples: 5, inputShape: [4], numClasses: 3, publicKey: pair.publicKey, proof: helloProof(pair, remote.publicKey, name) },
        0,
      ),
    );
    await next('welcome');
  };
  const zeroAnswer = (task: Train, taskId = task.task) =>
    encodeMessage(
      {
        type: 'train-result',
        task: taskId,
        status: 'ok',
        delta: new Float32Array(task.weights.length),
        numExamples: 5,
        trainLoss: 1,
        trainAccuracy: 0,
        backend: 'test',
        ms: 1,
      },
      task.round,
    );
  return { socket, next, join, zeroAnswer };
}
