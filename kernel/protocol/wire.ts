/**
 * Jupyter wire format: `[ids..., '<IDS|MSG>', signature, header, parent_header,
 * metadata, content, buffers...]`. Pure functions from frames to messages and
 * back; identities stay raw bytes (control's are binary).
 */
import type { Message } from './messages';
import type { Signer } from './signing';

export const DELIMITER = Buffer.from('<IDS|MSG>');

/** A message as it arrived: routing identities plus the decoded message. */
export interface Envelope<M = Message> {
  identities: Buffer[];
  message: M;
}

/** Why a frame list was rejected; the kernel logs it and drops the message. */
export class WireError extends Error {
  override name = 'WireError';
}

/** Splits and verifies frames; throws WireError on a malformed or badly signed message. */
export function parseFrames(frames: readonly Buffer[], signer: Signer): Envelope {
  const at = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (at < 0) throw new WireError('no <IDS|MSG> delimiter in message');
  if (frames.length < at + 6) throw new WireError(`expected 5 frames after the delimiter, got ${frames.length - at - 1}`);
  const signature = frames[at + 1]!.toString('ascii');
  const jsonFrames = frames.slice(at + 2, at + 6);
  if (!signer.verify(signature, jsonFrames)) throw new WireError('invalid signature');
  const [header, parent, metadata, content] = jsonFrames.map((frame, i) => {
    try {
      return JSON.parse(frame.toString('utf8')) as unknown;
    } catch {
      throw new WireError(`frame ${['header', 'parent_header', 'metadata', 'content'][i]} is not JSON`);
    }
  });
  if (!isObject(header) || typeof header.msg_type !== 'string' || typeof header.msg_id !== 'string') {
    throw new WireError('header lacks msg_type or msg_id');
  }
  return {
    identities: frames.slice(0, at).map((id) => Buffer.from(id)),
    message: {
      header: header as unknown as Message['header'],
      parent_header: (isObject(parent) ? parent : {}) as Message['parent_header'],
      metadata: isObject(metadata) ? metadata : {},
      content: isObject(content) ? content : {},
      buffers: frames.slice(at + 6).map((b) => Buffer.from(b)),
    },
  };
}

/** Serialises and signs a message; the signature covers exactly the bytes returned. */
export function serializeMessage(message: Message<string, unknown>, signer: Signer, identities: readonly Uint8Array[] = []): Buffer[] {
  const jsonFrames = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part), 'utf8'));
  return [
    ...identities.map((id) => Buffer.from(id)),
    DELIMITER,
    Buffer.from(signer.sign(jsonFrames), 'ascii'),
    ...jsonFrames,
    ...message.buffers.map((b) => Buffer.from(b)),
  ];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
