/**
 * Jupyter messaging protocol 5.3: headers, messages and the request → reply
 * type mapping. Types only, plus small builders; no sockets, no I/O.
 */
import { randomUUID } from 'node:crypto';

export const PROTOCOL_VERSION = '5.3';

/** The channels a kernel listens on (heartbeat carries no Jupyter messages). */
export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

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

/** Request types a kernel answers on shell or control. */
export type RequestType =
  | 'kernel_info_request'
  | 'execute_request'
  | 'complete_request'
  | 'inspect_request'
  | 'is_complete_request'
  | 'history_request'
  | 'comm_info_request'
  | 'shutdown_request'
  | 'interrupt_request';

/** `execute_request` → `execute_reply`, derived rather than written out by hand. */
export type ReplyType<R extends string> = R extends `${infer Base}_request` ? `${Base}_reply` : never;

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

/** Builds a message; pass the request as `parent` for replies and side effects. */
export function buildMessage<T extends string, C>(
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
