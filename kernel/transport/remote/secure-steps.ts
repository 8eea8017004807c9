/**
 * A remote client's steps of secure aggregation: train and encode, then one
 * SecAggSession per round answering the roster, the inbox and the unmasking
 * request. The update itself never leaves: only keys, envelopes the server
 * cannot open, the masked input and the shares the protocol allows.
 */
import type { ClientWork } from './client-work';
import { checkSecureEncoding, encodeUpdate } from '../../federated/aggregators/secure-encoding';
import { SecAggSession } from './secagg-session';
import type { Envelope, SecAggInbox, SecAggRoster, SecAggUnmask, SecureTrainMessage, TaskReply } from './wire';

type SecureMessage = Envelope<SecureTrainMessage | SecAggRoster | SecAggInbox | SecAggUnmask>;

export function createSecureSteps(): { step(message: SecureMessage, work: ClientWork): Promise<TaskReply> } {
  const sessions = new Map<number, SecAggSession>();
  const sessionOf = (round: number): SecAggSession => {
    const session = sessions.get(round);
    if (!session) throw new Error(`no secure-aggregation session for round ${round} (this client did not train in it)`);
    return session;
  };
  return {
    async step(message, work) {
      const { task } = message;
      switch (message.type) {
        case 'secure-train': {
          // Checked before training, so that a malformed plan costs no training.
          const { threshold } = message.secagg;
          if (!Number.isInteger(threshold) || threshold < 1)
            return { type: 'task-failed', task, message: 'secure-train: threshold must be a positive integer' };
          const encoding = checkSecureEncoding(message.secagg.encoding, `round ${message.round}: secure-train secagg.encoding`);
          const result = await work.train({ ...message, type: 'train' });
          if (result.status !== 'ok' || !result.delta) return { type: 'task-failed', task, message: `training stopped (${result.status})` };
          // The part of the strategy's aggregation below the secure sum (clip, weight, fixed point) runs here, on the client.
          // The server runs one round at a time: a secure-train starts the only secure round this client is in. Any other
          // session is from a round that is over (a dropout's, an aborted one's, an earlier run's higher round number).
          sessions.clear();
          const session = new SecAggSession(message.clientId, encodeUpdate(result.delta, encoding), threshold);
          sessions.set(message.round, session);
          // The update stays here: only its metrics go with the keys.
          const { numExamples, trainLoss, trainAccuracy, steps, backend, ms } = result;
          return { type: 'sa-keys', task, ...session.keys(), numExamples, trainLoss, trainAccuracy, steps, backend, ms };
        }
        case 'sa-roster':
          return { type: 'sa-shares', task, ...sessionOf(message.round).shares(message) };
        case 'sa-inbox':
          return { type: 'sa-masked', task, masked: sessionOf(message.round).masked(message) };
        case 'sa-unmask': {
          const answer = sessionOf(message.round).unmask(message);
          sessions.delete(message.round);
          return { type: 'sa-unmasking', task, ...answer };
        }
      }
    },
  };
}
