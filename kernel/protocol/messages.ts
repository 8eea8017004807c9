/**
 * Jupyter messaging protocol 5.3: headers, messages and the request → reply
 * type mapping. Types only, plus small builders; no sockets, no I/O.
 */
import { randomUUID } from 'node:crypto';
import type { ContentOf, MessageContents, MessageType, ReplyType } from './content';

export const PROTOCOL_VERSION = '5.3';

/** The channels that carry Jupyter messages. */
export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

/** Channels routed to one peer (ROUTER on the kernel, DEALER on the client): all but IOPub. */
export type RoutedChannel = Exclude<Channel, 'iopub'>;

/** Where requests that the kernel answers arrive: shell, and control (which does not wait behind a cell). */
export type RequestChannel = Exclude<RoutedChannel, 'stdin'>;

/** The sockets of a connection file: the channels and the heartbeat (which carries raw bytes). */
export type SocketName = Channel | 'hb';

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A decoded Jupyter message. `parent_header` is `{}` when the message has no parent. */
export interface Message<T extends string = string, C = Record<string, unknown>> {
  header: Header & { msg_type: T };
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

/** The reply's msg_type for a request's msg_type, at run time. */
export function replyTypeOf<R extends string>(requestType: R): ReplyType<R> {
  if (!requestType.endsWith('_request')) {
    throw new Error(`'${requestType}' is not a request type (it does not end in '_request')`);
  }
  return `${requestType.slice(0, -'_request'.length)}_reply` as ReplyType<R>;
}

/** Who sends messages: one session id per kernel or client process. */
export interface SessionIdentity {
  session: string;
  username: string;
}

export function createSessionIdentity(username = 'fedbook'): SessionIdentity {
  return { session: randomUUID(), username };
}

export function buildHeader(msgType: string, identity: SessionIdentity): Header {
  return {
    msg_id: randomUUID(),
    session: identity.session,
    username: identity.username,
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}

/** A message whose content is the one its msg_type carries. */
export type TypedMessage<T extends MessageType> = Message<T, MessageContents[T]>;

/**
 * Narrows a received message by its msg_type. The content is the peer's
 * JSON, not validated field by field: read optional fields with defaults.
 */
export function isMessageType<T extends MessageType>(message: Message<string, unknown>, msgType: T): message is TypedMessage<T> {
  return message.header.msg_type === msgType;
}

/** Builds a message; pass the request as `parent` for replies and side effects. The content must be `msgType`'s. */
export function buildMessage<T extends string, C extends ContentOf<T>>(
  msgType: T,
  content: C,
  identity: SessionIdentity,
  parent?: Message<string, unknown>,
  metadata: Record<string, unknown> = {},
): Message<T, C> {
  return {
    header: buildHeader(msgType, identity) as Header & { msg_type: T },
    parent_header: parent ? parent.header : {},
    metadata,
    content,
    buffers: [],
  };
}
