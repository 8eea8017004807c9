/**
 * The federation's wire format, pure: a message is one JSON header frame plus
 * one binary frame per typed array it carries (weights, a delta, SCAFFOLD's
 * correction), never typed arrays spelt out as JSON numbers. Every message
 * carries the protocol version and a round number; decoding checks both, the
 * frame count and the size limits before anything else looks at it.
 *
 * Typed arrays travel as their raw little-endian bytes (every platform Node
 * runs on is little-endian). Non-finite numbers (FedSGD's batchSize: Infinity)
 * travel as `{ "$n": "Infinity" }`, since JSON has no spelling for them.
 */
import type { SecureEncoding } from '../../federated/aggregators/secure-encoding';
import type { ModelSpec } from '../../../workers/model-spec';
import type { ClientTrainConfig, HeldOutSplit } from '../../federated/types';

export const PROTOCOL_VERSION = 2;
/** Largest JSON header accepted. */
export const MAX_HEADER_BYTES = 256 * 1024;
/** Most binary frames one message may carry. */
export const MAX_FRAMES = 16;
/** Default largest message, all frames together (a 2NN's weights are 0.8 MB, a CNN's 6.6 MB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

// ---- Messages a client sends ----

export interface Hello {
  readonly type: 'hello';
  readonly name: string;
  /** Examples the client holds (announced, never sent). */
  readonly examples: number;
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** The client's CurveZMQ public key (Z85) and its proof of holding the secret half. */
  readonly publicKey: string;
  readonly proof: string;
}
export interface Heartbeat {
  readonly type: 'heartbeat';
}
export interface TrainReply {
  readonly type: 'train-result';
  /** The task this answers: a server-chosen id, valid once. */
  readonly task: string;
  readonly status: 'ok' | 'timeout' | 'aborted';
  readonly delta?: Float32Array;
  readonly numExamples: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly steps?: number;
  readonly backend: string;
  readonly path?: string;
  readonly ms: number;
}
export interface EvaluateReply {
  readonly type: 'evaluate-result';
  readonly task: string;
  readonly lossSum: number;
  readonly correct: number;
  readonly count: number;
  readonly backend: string;
}
/** A task the client could not do (its data does not fit the model, its backend failed...). */
export interface TaskFailed {
  readonly type: 'task-failed';
  readonly task: string;
  readonly message: string;
}
export interface Bye {
  readonly type: 'bye';
  readonly reason: string;
}

/** Secure aggregation, round 0 (AdvertiseKeys), after local training: two X25519 public keys, never the update. */
export interface SecAggKeys {
  readonly type: 'sa-keys';
  readonly task: string;
  readonly cPublic: Uint8Array;
  readonly sPublic: Uint8Array;
  readonly numExamples: number;
  readonly trainLoss: number;
  readonly trainAccuracy: number;
  readonly steps?: number;
  readonly backend: string;
  readonly ms: number;
}
/** Round 1 (ShareKeys): one AES-GCM envelope per peer, each SECAGG_ENVELOPE_BYTES long, for the server to route unread. */
export interface SecAggShares {
  readonly type: 'sa-shares';
  readonly task: string;
  readonly to: readonly number[];
  readonly ciphertexts: Uint8Array;
}
/** Round 2 (MaskedInputCollection): the doubly masked fixed-point input. */
export interface SecAggMasked {
  readonly type: 'sa-masked';
  readonly task: string;
  readonly masked: Uint32Array;
}
/** Round 3 (Unmasking): shares (32 bytes each) of the s seeds of dropped clients and of the self-mask seeds of survivors. */
export interface SecAggUnmasking {
  readonly type: 'sa-unmasking';
  readonly task: string;
  readonly sOwners: readonly number[];
  readonly sShares: Uint8Array;
  readonly bOwners: readonly number[];
  readonly bShares: Uint8Array;
}

/** Bytes of one share envelope: 8 bytes of indices and two 32-byte field elements, plus the 16-byte GCM tag. */
export const SECAGG_ENVELOPE_BYTES = 8 + 64 + 16;

export type ClientMessage = Hello | Heartbeat | TrainReply | EvaluateReply | TaskFailed | Bye | SecAggKeys | SecAggShares | SecAggMasked | SecAggUnmasking;
/** Messages that answer a task. */
export type TaskReply = Extract<ClientMessage, { task: string }>;

// ---- Messages the server sends ----

export interface Welcome {
  readonly type: 'welcome';
  readonly name: string;
}
export interface Refuse {
  readonly type: 'refuse';
  readonly reason: string;
}
export interface TrainTaskMessage {
  readonly type: 'train';
  readonly task: string;
  /** The client's id in this population: it salts the held-out split like an in-process client's. */
  readonly clientId: number;
  readonly spec: ModelSpec;
  readonly weights: Float32Array;
  readonly seed: number;
  readonly config: ClientTrainConfig;
  readonly deadlineMs: number;
}
export interface EvaluateTaskMessage {
  readonly type: 'evaluate';
  readonly task: string;
  readonly clientId: number;
  readonly spec: ModelSpec;
  readonly weights: Float32Array;
  readonly heldOut?: HeldOutSplit;
}
export interface Cancel {
  readonly type: 'cancel';
  readonly task: string;
}
/** Something the client should know and print (its answer was late, its data does not fit). */
export interface Notice {
  readonly type: 'notice';
  readonly message: string;
}
export interface Shutdown {
  readonly type: 'shutdown';
  readonly reason: string;
}
/** The server does not know this connection (it dropped the client, or restarted): say hello again. */
export interface HelloAgain {
  readonly type: 'hello-again';
  readonly reason: string;
}

/**
 * Train, then start secure aggregation: the client encodes its update as the strategy's plan says (clip, weight α_i,
 * clamp to ±bound, fixed point at the round's scale) and keeps it to itself; only its masked form ever leaves.
 */
export interface SecureTrainMessage extends Omit<TrainTaskMessage, 'type'> {
  readonly type: 'secure-train';
  readonly secagg: { readonly threshold: number; readonly encoding: SecureEncoding };
}
/** Round 1 start: the roster (client ids, and their c and s public keys, 64 bytes per client). */
export interface SecAggRoster {
  readonly type: 'sa-roster';
  readonly task: string;
  readonly indices: readonly number[];
  readonly keys: Uint8Array;
}
/** Round 2 start: the envelopes addressed to this client. */
export interface SecAggInbox {
  readonly type: 'sa-inbox';
  readonly task: string;
  readonly from: readonly number[];
  readonly ciphertexts: Uint8Array;
}
/** Round 3 start: who sent a masked input and who dropped. */
export interface SecAggUnmask {
  readonly type: 'sa-unmask';
  readonly task: string;
  readonly survivors: readonly number[];
  readonly dropped: readonly number[];
}

export type ServerMessage =
  | Welcome
  | Refuse
  | TrainTaskMessage
  | EvaluateTaskMessage
  | Cancel
  | Notice
  | Shutdown
  | HelloAgain
  | Heartbeat
  | SecureTrainMessage
  | SecAggRoster
  | SecAggInbox
  | SecAggUnmask;

/** The reply a task message expects, derived from the request rather than typed by hand. */
export type ReplyTo<M extends TrainTaskMessage | EvaluateTaskMessage> = M extends TrainTaskMessage ? TrainReply : EvaluateReply;

/** A message with the envelope every message has: protocol version and round. */
export type Envelope<M> = M & { readonly v: number; readonly round: number };

export class WireError extends Error {
  override name = 'WireError';
}

type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array | Uint32Array;
const DTYPES = { f32: Float32Array, f64: Float64Array, i32: Int32Array, u8: Uint8Array, u32: Uint32Array } as const;
type DType = keyof typeof DTYPES;

function dtypeOf(view: ArrayBufferView): DType {
  if (view instanceof Float32Array) return 'f32';
  if (view instanceof Float64Array) return 'f64';
  if (view instanceof Int32Array) return 'i32';
  if (view instanceof Uint8Array) return 'u8';
  if (view instanceof Uint32Array) return 'u32';
  throw new WireError(`cannot send a ${view.constructor.name}: only Float32Array, Float64Array, Int32Array, Uint8Array and Uint32Array travel`);
}

/** Frames of a message: the JSON header, then the bytes of each typed array it holds (no copy). */
export function encodeMessage(message: ClientMessage | ServerMessage, round: number, limits: { maxMessageBytes?: number } = {}): Buffer[] {
  return encodeFrames(message, round, limits);
}

/** The envelope and frames of any protocol's message (the scale-out protocol shares this wire format). */
export function encodeFrames(message: { readonly type: string }, round: number, limits: { maxMessageBytes?: number } = {}): Buffer[] {
  const frames: Buffer[] = [];
  const header = JSON.stringify({ ...message, v: PROTOCOL_VERSION, round }, function replacer(this: Record<string, unknown>, key, value: unknown) {
    if (typeof value === 'number' && !Number.isFinite(value)) return { $n: String(value) };
    // The holder's own value: a Buffer has already been through its toJSON by the time `value` gets here.
    const original = this[key];
    if (ArrayBuffer.isView(original)) {
      const dtype = dtypeOf(original);
      frames.push(Buffer.from(original.buffer, original.byteOffset, original.byteLength));
      return { $f: frames.length, t: dtype };
    }
    return value;
  });
  const all = [Buffer.from(header, 'utf8'), ...frames];
  checkLimits(all, limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
  return all;
}

function checkLimits(frames: readonly Buffer[], maxMessageBytes: number): void {
  if (frames.length === 0) throw new WireError('empty message');
  if (frames.length > MAX_FRAMES + 1) throw new WireError(`message has ${frames.length} frames, at most ${MAX_FRAMES + 1} are allowed`);
  if (frames[0].length > MAX_HEADER_BYTES) throw new WireError(`message header is ${frames[0].length} bytes, at most ${MAX_HEADER_BYTES} are allowed`);
  const total = frames.reduce((sum, frame) => sum + frame.length, 0);
  if (total > maxMessageBytes) throw new WireError(`message is ${total} bytes, at most ${maxMessageBytes} are allowed`);
}

const CLIENT_TYPES = [
  'hello',
  'heartbeat',
  'train-result',
  'evaluate-result',
  'task-failed',
  'bye',
  'sa-keys',
  'sa-shares',
  'sa-masked',
  'sa-unmasking',
] as const;
const SERVER_TYPES = [
  'welcome',
  'refuse',
  'train',
  'evaluate',
  'cancel',
  'notice',
  'shutdown',
  'hello-again',
  'heartbeat',
  'secure-train',
  'sa-roster',
  'sa-inbox',
  'sa-unmask',
] as const;

/** Decodes what a client sent; throws a WireError that says what was wrong. */
export function decodeClientMessage(frames: readonly Buffer[], limits: { maxMessageBytes?: number } = {}): Envelope<ClientMessage> {
  const message = decodeEnvelope(frames, limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, CLIENT_TYPES);
  checkFields(message as unknown as Record<string, unknown>, CLIENT_FIELDS[message.type as ClientMessage['type']]);
  return message as Envelope<ClientMessage>;
}

/** Decodes what the server sent; throws a WireError that says what was wrong. */
export function decodeServerMessage(frames: readonly Buffer[], limits: { maxMessageBytes?: number } = {}): Envelope<ServerMessage> {
  const message = decodeEnvelope(frames, limits.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES, SERVER_TYPES);
  checkFields(message as unknown as Record<string, unknown>, SERVER_FIELDS[message.type as ServerMessage['type']]);
  return message as Envelope<ServerMessage>;
}

/** Decodes a message of any protocol on this wire format: envelope, frames, then the fields its type must hold. */
export function decodeFrames<M extends { type: string }>(
  frames: readonly Buffer[],
  maxMessageBytes: number,
  fields: Readonly<Record<M['type'], Fields>>,
): Envelope<M> {
  const message = decodeEnvelope(frames, maxMessageBytes, Object.keys(fields));
  checkFields(message as unknown as Record<string, unknown>, fields[message.type as M['type']]);
  return message as unknown as Envelope<M>;
}

function decodeEnvelope(frames: readonly Buffer[], maxMessageBytes: number, types: readonly string[]): { type: string; v: number; round: number } {
  checkLimits(frames, maxMessageBytes);
  const used = new Set<number>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(frames[0].toString('utf8'), (_key, value: unknown) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        if (typeof record.$n === 'string' && Object.keys(record).length === 1) return nonFinite(record.$n);
        if (typeof record.$f === 'number' && typeof record.t === 'string' && Object.keys(record).length === 2) {
          return typedArrayFrom(frames, record.$f, record.t, used);
        }
      }
      return value;
    });
  } catch (error) {
    if (error instanceof WireError) throw error;
    throw new WireError(`message header is not valid JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new WireError('message header is not a JSON object');
  const message = parsed as { type: unknown; v: unknown; round: unknown };
  if (message.v !== PROTOCOL_VERSION)
    throw new WireError(
      `protocol version ${JSON.stringify(message.v)} is not spoken here (this side speaks version ${PROTOCOL_VERSION}): update fedbook on both sides`,
    );
  if (!Number.isInteger(message.round) || (message.round as number) < 0)
    throw new WireError(`message round must be a non-negative integer (got ${JSON.stringify(message.round)})`);
  if (typeof message.type !== 'string' || !types.includes(message.type)) throw new WireError(`unknown message type ${JSON.stringify(message.type)}`);
  if (used.size !== frames.length - 1) throw new WireError(`message has ${frames.length - 1} binary frames but its header refers to ${used.size}`);
  return message as { type: string; v: number; round: number };
}

function nonFinite(text: string): number {
  if (text === 'Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  if (text === 'NaN') return NaN;
  throw new WireError(`unknown number spelling ${JSON.stringify(text)}`);
}

function typedArrayFrom(frames: readonly Buffer[], index: number, dtype: string, used: Set<number>): TypedArray {
  if (!(dtype in DTYPES)) throw new WireError(`unknown array type ${JSON.stringify(dtype)}`);
  if (!Number.isInteger(index) || index < 1 || index >= frames.length)
    throw new WireError(`array refers to frame ${index}, the message has ${frames.length - 1} binary frames`);
  if (used.has(index)) throw new WireError(`frame ${index} is referred to twice`);
  used.add(index);
  const Type = DTYPES[dtype as DType];
  const bytes = frames[index];
  if (bytes.length % Type.BYTES_PER_ELEMENT !== 0) throw new WireError(`frame ${index} has ${bytes.length} bytes, not a whole number of ${dtype} values`);
  // A fresh, aligned buffer: ZeroMQ's frames may start at any byte.
  const array = new Type(bytes.length / Type.BYTES_PER_ELEMENT);
  new Uint8Array(array.buffer).set(bytes);
  return array;
}

// ---- Field checks: what each message must hold, so that handlers can trust the types ----

type FieldKind = 'string' | 'number' | 'integer' | 'object' | 'shape' | 'ints' | 'f32' | 'i32' | 'u8' | 'u32' | 'string?' | 'number?' | 'f32?' | 'object?';
export type Fields = Readonly<Record<string, FieldKind>>;

/** A train-result's fields: a client's and a scale-out worker's alike. */
export const TRAIN_RESULT_FIELDS: Fields = {
  task: 'string',
  status: 'string',
  delta: 'f32?',
  numExamples: 'integer',
  trainLoss: 'number',
  trainAccuracy: 'number',
  steps: 'number?',
  backend: 'string',
  path: 'string?',
  ms: 'number',
};

const CLIENT_FIELDS: Record<ClientMessage['type'], Fields> = {
  hello: { name: 'string', examples: 'integer', inputShape: 'shape', numClasses: 'integer', publicKey: 'string', proof: 'string' },
  heartbeat: {},
  'train-result': TRAIN_RESULT_FIELDS,
  'evaluate-result': { task: 'string', lossSum: 'number', correct: 'integer', count: 'integer', backend: 'string' },
  'task-failed': { task: 'string', message: 'string' },
  bye: { reason: 'string' },
  'sa-keys': {
    task: 'string',
    cPublic: 'u8',
    sPublic: 'u8',
    numExamples: 'integer',
    trainLoss: 'number',
    trainAccuracy: 'number',
    steps: 'number?',
    backend: 'string',
    ms: 'number',
  },
  'sa-shares': { task: 'string', to: 'ints', ciphertexts: 'u8' },
  'sa-masked': { task: 'string', masked: 'u32' },
  'sa-unmasking': { task: 'string', sOwners: 'ints', sShares: 'u8', bOwners: 'ints', bShares: 'u8' },
};

const SERVER_FIELDS: Record<ServerMessage['type'], Fields> = {
  welcome: { name: 'string' },
  refuse: { reason: 'string' },
  train: { task: 'string', clientId: 'integer', spec: 'object', weights: 'f32', seed: 'integer', config: 'object', deadlineMs: 'number' },
  evaluate: { task: 'string', clientId: 'integer', spec: 'object', weights: 'f32', heldOut: 'object?' },
  cancel: { task: 'string' },
  notice: { message: 'string' },
  shutdown: { reason: 'string' },
  'hello-again': { reason: 'string' },
  heartbeat: {},
  'secure-train': {
    task: 'string',
    clientId: 'integer',
    spec: 'object',
    weights: 'f32',
    seed: 'integer',
    config: 'object',
    deadlineMs: 'number',
    secagg: 'object',
  },
  'sa-roster': { task: 'string', indices: 'ints', keys: 'u8' },
  'sa-inbox': { task: 'string', from: 'ints', ciphertexts: 'u8' },
  'sa-unmask': { task: 'string', survivors: 'ints', dropped: 'ints' },
};

function checkFields(message: Record<string, unknown>, fields: Fields): void {
  for (const [name, kind] of Object.entries(fields)) {
    const value = message[name];
    const optional = kind.endsWith('?');
    if (value === undefined && optional) continue;
    const base = optional ? kind.slice(0, -1) : kind;
    const ok =
      base === 'string'
        ? typeof value === 'string' && value.length <= 4096
        : base === 'number'
          ? typeof value === 'number'
          : base === 'integer'
            ? Number.isInteger(value)
            : base === 'object'
              ? value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)
              : base === 'shape'
                ? Array.isArray(value) && value.length > 0 && value.length <= 8 && value.every((d) => Number.isInteger(d) && d > 0)
                : base === 'ints'
                  ? Array.isArray(value) && value.length <= 100_000 && value.every((n) => Number.isInteger(n) && n >= 0)
                  : base === 'f32'
                    ? value instanceof Float32Array
                    : base === 'i32'
                      ? value instanceof Int32Array
                      : base === 'u8'
                        ? value instanceof Uint8Array
                        : base === 'u32'
                          ? value instanceof Uint32Array
                          : false;
    if (!ok) throw new WireError(`'${message.type as string}' message: field '${name}' must be ${describeKind(base)} (got ${describeValue(value)})`);
  }
}

function describeKind(kind: string): string {
  if (kind === 'u8' || kind === 'u32') return `a ${kind === 'u8' ? 'Uint8Array' : 'Uint32Array'} frame`;
  if (kind === 'i32') return 'an Int32Array frame';
  if (kind === 'ints') return 'a list of non-negative integers';
  return kind === 'f32'
    ? 'a Float32Array frame'
    : kind === 'shape'
      ? 'a shape (positive integers)'
      : `a${kind === 'integer' || kind === 'object' ? 'n' : ''} ${kind}`;
}

function describeValue(value: unknown): string {
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
