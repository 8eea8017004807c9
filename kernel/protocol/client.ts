/**
 * A small Jupyter client over ZeroMQ: connects to a kernel from its
 * connection info, sends signed requests, matches replies and IOPub output to
 * their request, answers `input_request`, and checks the heartbeat.
 * Depends only on zeromq and node:crypto, so that the CLI, the tests and the
 * VS Code extension can share it.
 *
 * @example
 * const client = await connectKernel(info);
 * const { reply, outputs } = await client.execute('1 + 1');
 * await client.close();
 */
import { Dealer, Request, Subscriber } from 'zeromq';
import { randomBytes } from 'node:crypto';
import type { ConnectionInfo } from '../contract';
import { endpointOf } from './connection';
import type { ContentOf, ExecuteRequest, ReplyContent, ReplyType, RequestContents, RequestType } from './content';
import { buildMessage, createSessionIdentity, isMessageType, type Message, type RequestChannel, type RoutedChannel, type SessionIdentity } from './messages';
import { createSigner } from './signing';
import { createSendQueue, readLoop, type SendQueue } from './channels';
import { parseFrames, serializeMessage, WireError } from './wire';

/** The content of request `R`; any object for a request type the protocol layer does not know (tests send those). */
export type RequestContentOf<R extends string> = R extends RequestType ? RequestContents[R] : Record<string, unknown>;

/** The content of the reply to request `R`. */
export type ReplyContentOf<R extends string> = R extends RequestType ? ReplyContent<R> : Record<string, unknown>;

export interface ExecuteOptions {
  silent?: boolean;
  storeHistory?: boolean;
  userExpressions?: Record<string, string>;
  stopOnError?: boolean;
  /** Answers `input_request`; without it allow_stdin is false. */
  onInput?: (prompt: string, password: boolean) => string | Promise<string>;
  /** Sees every IOPub message of this request as it arrives (streams, displays, status). */
  onOutput?: (message: Message) => void;
  /** Rejects after this many ms without reply and idle (the kernel keeps running). */
  timeoutMs?: number;
}

/** A request's reply plus every IOPub message it caused, up to its `idle` status. */
export interface RequestResult<R extends string = string> {
  request: Message;
  reply: Message<ReplyType<R>, ReplyContentOf<R>>;
  /** IOPub messages with this request as parent, in arrival order, ending with status idle. */
  iopub: Message[];
}

export interface KernelClient {
  readonly identity: SessionIdentity;
  /** The kernel_info_reply received while connecting (language_info, implementation, banner). */
  readonly kernelInfo: Message<'kernel_info_reply', ReplyContent<'kernel_info_request'>>;
  /** performance.now() when that first kernel_info_reply arrived (for start-up measurements). */
  readonly kernelInfoAt: number;
  /** Sends a request and resolves with its reply and IOPub output once the kernel is idle again. */
  request<R extends `${string}_request`>(channel: RequestChannel, msgType: R, content?: RequestContentOf<R>, timeoutMs?: number): Promise<RequestResult<R>>;
  /** Runs code; resolves when the execute_reply and the idle status have both arrived. */
  execute(code: string, options?: ExecuteOptions): Promise<RequestResult<'execute_request'>>;
  /** Sends a message that has no reply (comm_msg, input_reply...); returns it. */
  send<T extends string>(channel: RoutedChannel, msgType: T, content: ContentOf<T>, parent?: Message): Message;
  /** Sends raw frames, bypassing signing (for tests of forged messages). */
  sendFrames(channel: RoutedChannel, frames: Buffer[]): void;
  /** Waits for the IOPub idle of a request sent with send(). */
  waitForIdle(request: Message, timeoutMs?: number): Promise<Message[]>;
  /** Every IOPub message, whoever caused it; returns an unsubscribe function. */
  onIopub(listener: (message: Message) => void): () => void;
  /** True when the heartbeat echoes within the timeout. */
  heartbeat(timeoutMs?: number): Promise<boolean>;
  /** Rejects every request still waiting (its kernel may have died), closes the sockets; later requests throw. */
  close(): Promise<void>;
}

export interface ConnectOptions {
  username?: string;
  /** How long to wait for the kernel's first kernel_info_reply and IOPub idle (default 60 s). */
  startupTimeoutMs?: number;
  /** Where socket errors and dropped (badly signed) messages are reported; default: stderr. */
  onError?: (error: Error) => void;
}

interface Pending {
  reply?: Message;
  iopub: Message[];
  idle: boolean;
  onOutput?: (message: Message) => void;
  onInput?: ExecuteOptions['onInput'];
  settle?: () => void;
  /** Rejects the waiting promise, saying why, and clears its timer (set while someone waits). */
  abandon?: (cause: string) => void;
}

/** Connects to a running kernel; IOPub is subscribed before this resolves. */
export async function connectKernel(info: ConnectionInfo, options: ConnectOptions = {}): Promise<KernelClient> {
  const signer = createSigner(info.key, info.signature_scheme);
  const identity = createSessionIdentity(options.username ?? 'fedbook-client');
  const routingId = randomBytes(8).toString('hex');
  const sockets = {
    shell: new Dealer({ routingId }),
    control: new Dealer({ routingId: `${routingId}-c` }),
    stdin: new Dealer({ routingId }),
  };
  const iopubSocket = new Subscriber();
  iopubSocket.subscribe();
  for (const socket of [...Object.values(sockets), iopubSocket]) {
    socket.linger = 0;
    // A kernel that is still starting binds within a few hundred ms: retry the
    // connection often at first (ZeroMQ's default waits 100 ms between tries).
    socket.reconnectInterval = 20;
    socket.reconnectMaxInterval = 1000;
  }
  sockets.shell.connect(endpointOf(info, 'shell'));
  sockets.control.connect(endpointOf(info, 'control'));
  sockets.stdin.connect(endpointOf(info, 'stdin'));
  iopubSocket.connect(endpointOf(info, 'iopub'));

  const onError = options.onError ?? ((error: Error): void => void process.stderr.write(`[fedbook client] ${error.message}\n`));
  const queues: Record<RoutedChannel, SendQueue> = {
    shell: createSendQueue(sockets.shell, onError),
    control: createSendQueue(sockets.control, onError),
    stdin: createSendQueue(sockets.stdin, onError),
  };
  const pending = new Map<string, Pending>();
  const listeners = new Set<(message: Message) => void>();

  const decode = (frames: Buffer[], channel: string): Message | undefined => {
    try {
      return parseFrames(frames, signer).message;
    } catch (error) {
      if (error instanceof WireError) onError(new Error(`dropped a message on ${channel}: ${error.message}`));
      else throw error;
      return undefined;
    }
  };
  const parentId = (message: Message): string | undefined => (message.parent_header as { msg_id?: string }).msg_id;

  const onReply = (channel: string) => (frames: Buffer[]) => {
    const message = decode(frames, channel);
    const entry = message && pending.get(parentId(message) ?? '');
    if (!message || !entry) return;
    entry.reply = message;
    entry.settle?.();
  };
  void readLoop(sockets.shell, onReply('shell'), onError);
  void readLoop(sockets.control, onReply('control'), onError);
  void readLoop(
    sockets.stdin,
    (frames) => {
      const message = decode(frames, 'stdin');
      if (!message || !isMessageType(message, 'input_request')) return;
      const entry = pending.get(parentId(message) ?? '');
      const content: Partial<typeof message.content> = message.content;
      // The answer may come after close() (send then throws): report it, never leave it unhandled.
      void Promise.resolve(entry?.onInput?.(content.prompt ?? '', content.password === true) ?? '')
        .then((value) => client.send('stdin', 'input_reply', { value }, message))
        .catch((error: Error) => onError(error));
    },
    onError,
  );
  void readLoop(
    iopubSocket,
    (frames) => {
      const message = decode(frames, 'iopub');
      if (!message) return;
      for (const listener of listeners) listener(message);
      const entry = pending.get(parentId(message) ?? '');
      if (!entry) return;
      entry.iopub.push(message);
      entry.onOutput?.(message);
      if (isMessageType(message, 'status') && message.content.execution_state === 'idle') {
        entry.idle = true;
        entry.settle?.();
      }
    },
    onError,
  );

  let closing: Promise<void> | undefined;
  const track = (message: Message, extra: Partial<Pending> = {}): Pending => {
    if (closing) throw new Error(`${message.header.msg_type} not sent: the client is closed`);
    const entry: Pending = { iopub: [], idle: false, ...extra };
    pending.set(message.header.msg_id, entry);
    return entry;
  };
  const until = (message: Message, entry: Pending, done: () => boolean, timeoutMs: number, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        entry.settle = undefined;
        entry.abandon = undefined;
      };
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`${message.header.msg_type} timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      entry.settle = () => {
        if (!done()) return;
        stop();
        resolve();
      };
      entry.abandon = (cause) => {
        stop();
        reject(new Error(`${cause} while ${message.header.msg_type} ${message.header.msg_id} was waiting for ${what}`));
      };
      entry.settle();
    });

  let kernelInfo: KernelClient['kernelInfo'] | undefined;
  let kernelInfoAt = 0;
  const client: KernelClient = {
    identity,
    get kernelInfo() {
      return kernelInfo!;
    },
    get kernelInfoAt() {
      return kernelInfoAt;
    },
    async request(channel, msgType, content = {} as RequestContentOf<typeof msgType>, timeoutMs = 30_000) {
      const message = buildMessage<string, unknown>(msgType, content, identity) as Message;
      const entry = track(message);
      queues[channel].send(serializeMessage(message, signer));
      await until(message, entry, () => entry.reply !== undefined && entry.idle, timeoutMs, 'its reply and idle status');
      pending.delete(message.header.msg_id);
      return { request: message, reply: entry.reply as RequestResult['reply'], iopub: entry.iopub } as never;
    },
    async execute(code, options = {}) {
      const content: ExecuteRequest = {
        code,
        silent: options.silent ?? false,
        store_history: options.storeHistory ?? true,
        user_expressions: options.userExpressions ?? {},
        allow_stdin: options.onInput !== undefined,
        stop_on_error: options.stopOnError ?? true,
      };
      const message = buildMessage('execute_request', content, identity) as Message;
      const entry = track(message, { onOutput: options.onOutput, onInput: options.onInput });
      queues.shell.send(serializeMessage(message, signer));
      await until(message, entry, () => entry.reply !== undefined && entry.idle, options.timeoutMs ?? 2_147_000_000, 'its reply and idle status');
      pending.delete(message.header.msg_id);
      return { request: message, reply: entry.reply as RequestResult<'execute_request'>['reply'], iopub: entry.iopub };
    },
    send(channel, msgType, content, parent) {
      const message = buildMessage<string, unknown>(msgType, content, identity, parent) as Message;
      track(message);
      queues[channel].send(serializeMessage(message, signer));
      return message;
    },
    sendFrames(channel, frames) {
      queues[channel].send(frames);
    },
    async waitForIdle(message, timeoutMs = 30_000) {
      const entry = pending.get(message.header.msg_id) ?? track(message);
      await until(message, entry, () => entry.idle, timeoutMs, 'its idle status');
      pending.delete(message.header.msg_id);
      return entry.iopub;
    },
    onIopub(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    heartbeat: (timeoutMs = 2000) => pingHeartbeat(endpointOf(info, 'hb'), timeoutMs),
    close() {
      closing ??= (async () => {
        // A reply that will never come (the kernel died) must not leave its
        // caller waiting, nor its timer holding the process open.
        for (const entry of pending.values()) entry.abandon?.('client closed');
        pending.clear();
        await Promise.all(Object.values(queues).map((queue) => queue.drain()));
        for (const socket of [...Object.values(sockets), iopubSocket]) socket.close();
      })();
      return closing;
    },
  };
  const deadline = Date.now() + (options.startupTimeoutMs ?? 60_000);
  // The first kernel_info_request waits in ZeroMQ until the kernel binds; its
  // reply proves the kernel is up. Its idle status proves our IOPub
  // subscription has reached the kernel: until then, ask again.
  for (let attempt = 0; ; attempt++) {
    const message = buildMessage('kernel_info_request', {}, identity) as Message;
    const entry = track(message);
    queues.shell.send(serializeMessage(message, signer));
    const left = deadline - Date.now();
    try {
      await until(message, entry, () => entry.reply !== undefined, Math.max(1, attempt === 0 ? left : Math.min(left, 1000)), 'its reply');
      if (kernelInfo === undefined) {
        kernelInfo = entry.reply as KernelClient['kernelInfo'];
        kernelInfoAt = performance.now();
      }
      await until(message, entry, () => entry.idle, Math.max(1, Math.min(deadline - Date.now(), 300 + attempt * 200)), 'its idle status');
      pending.delete(message.header.msg_id);
      break;
    } catch (error) {
      pending.delete(message.header.msg_id);
      if (Date.now() >= deadline) {
        await client.close();
        throw new Error(`kernel did not become ready within ${options.startupTimeoutMs ?? 60_000} ms: ${(error as Error).message}`);
      }
    }
  }
  return client;
}

async function pingHeartbeat(endpoint: string, timeoutMs: number): Promise<boolean> {
  const socket = new Request({ receiveTimeout: timeoutMs, sendTimeout: timeoutMs, linger: 0 });
  socket.connect(endpoint);
  try {
    const ping = Buffer.from(`ping-${Date.now()}`);
    await socket.send(ping);
    const [echo] = await socket.receive();
    return echo?.equals(ping) ?? false;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}
