/**
 * The kernel's request dispatcher on the main thread: busy/idle around every
 * request, shell requests one at a time, control requests at once, and a
 * reply for every request (unanswered requests hang real clients).
 */
import type { Executor } from '../execution/executor';
import type { ErrorReply, ExecuteRequest, ReplyContent, RequestContents, RequestType, ShutdownRequest, StatusContent } from './content';
import { buildKernelInfo } from './kernel-info';
import { InputHistory } from './history';
import { handleExecute } from './execute-request';
import { buildMessage, createSessionIdentity, isMessageType, replyTypeOf, type Message } from './messages';
import type { IncomingRequest, ProtocolLink } from './thread-link';
import { wallClockMs } from './thread-messages';

/** Requests answered here; interrupt_request is answered by the protocol thread, which must not wait for this one. */
type HandledRequest = Exclude<RequestType, 'interrupt_request'>;

/**
 * Answers one request type: its content as received (a front end may leave
 * fields out) in, its reply content out, checked against the request type.
 */
type Handler<R extends HandledRequest> = (content: Partial<RequestContents[R]>, request: IncomingRequest) => ReplyContent<R> | Promise<ReplyContent<R>>;

type Handlers = { [R in HandledRequest]: Handler<R> };

export interface KernelSessionOptions {
  link: Pick<ProtocolLink, 'send'>;
  /** The executor, possibly still loading: kernel_info is answered without waiting for it. */
  executor: Promise<Executor>;
  version: string;
  /** Called after the shutdown_reply is queued; the owner disposes and exits. */
  onShutdown(restart: boolean): void;
  log?: (line: string) => void;
}

export interface KernelSession {
  handle(request: IncomingRequest): void;
  /** SIGINT: stops the running cell's async work; variables are kept. */
  interrupt(): void;
  /** Disposes the executor (worker pools). */
  dispose(): Promise<void>;
}

export function createKernelSession(options: KernelSessionOptions): KernelSession {
  const { link } = options;
  const log = options.log ?? ((line: string) => process.stderr.write(`[fedbook kernel] ${line}\n`));
  const identity = createSessionIdentity('kernel');
  const history = new InputHistory();
  const executorReady = options.executor;
  // A failed load is reported on each request that needs the executor.
  executorReady.catch((error: Error) => log(`the executor failed to load: ${error.stack ?? error}`));
  let executionCount = 0;
  let shellQueue: Promise<void> = Promise.resolve();
  /** Execute requests received at or before this time are aborted (stop_on_error). */
  let abortReceivedBefore = -Infinity;
  let pendingInput: ((value: string) => void) | undefined;
  let shuttingDown = false;

  const send = link.send.bind(link);
  const status = (state: StatusContent['execution_state'], parent: Message) =>
    send('iopub', buildMessage('status', { execution_state: state }, identity, parent));
  const reply = (request: IncomingRequest, content: ReplyContent<RequestType>) =>
    send(
      request.channel,
      // Typed by the handler that produced it; the msg_type may be one we answer only with an error.
      buildMessage<string, ReplyContent<RequestType>>(replyTypeOf(request.message.header.msg_type), content, identity, request.message, {
        status: content.status,
      }),
      request.identities,
    );

  const handlers: Handlers = {
    kernel_info_request: () => buildKernelInfo(options.version),
    execute_request: async (content, request) => {
      if (request.receivedAt < abortReceivedBefore) return { status: 'aborted' };
      const executor = await executorReady;
      const { reply: body, outcome } = await handleExecute(
        executor,
        request.message as Message<'execute_request', Partial<ExecuteRequest>>,
        request.identities,
        {
          identity,
          send,
          awaitInputReply: () => new Promise<string>((resolve) => (pendingInput = resolve)),
          nextExecutionCount: (store) => (store ? ++executionCount : executionCount),
          recordHistory: (count, code) => history.add(count, code),
          recordOutput: (count, text) => history.setOutput(count, text),
        },
      );
      if (outcome.status === 'error' && (content.stop_on_error ?? true)) abortReceivedBefore = wallClockMs();
      return body;
    },
    complete_request: async (content) => {
      const code = String(content.code ?? '');
      const cursor = Number(content.cursor_pos ?? code.length);
      try {
        const r = await (await executorReady).complete(code, cursor);
        return { status: 'ok', matches: r.matches, cursor_start: r.cursorStart, cursor_end: r.cursorEnd, metadata: r.metadata ?? {} };
      } catch (error) {
        // An error reply crashes `jupyter console` on Tab: answer with no matches instead.
        log(`complete failed: ${(error as Error).message}`);
        return { status: 'ok', matches: [], cursor_start: cursor, cursor_end: cursor, metadata: {} };
      }
    },
    inspect_request: async (content) => {
      const code = String(content.code ?? '');
      try {
        const r = await (await executorReady).inspect(code, Number(content.cursor_pos ?? code.length), content.detail_level === 1 ? 1 : 0);
        return { status: 'ok', found: r.found, data: r.data, metadata: {} };
      } catch (error) {
        log(`inspect failed: ${(error as Error).message}`);
        return { status: 'ok', found: false, data: {}, metadata: {} };
      }
    },
    is_complete_request: async (content) => {
      const r = (await executorReady).isComplete(String(content.code ?? ''));
      return r.indent === undefined ? { status: r.status } : { status: r.status, indent: r.indent };
    },
    history_request: (content) => ({ status: 'ok', history: history.query(content) }),
    comm_info_request: () => ({ status: 'ok', comms: {} }),
    shutdown_request: (content) => ({ status: 'ok', restart: content.restart === true }),
  };

  /** The handler's reply for request `type`: the one place where a received content meets its type. */
  const dispatch = <R extends HandledRequest>(type: R, request: IncomingRequest): Promise<ReplyContent<R>> =>
    Promise.resolve(handlers[type](request.message.content as Partial<RequestContents[R]>, request));

  const answer = async (request: IncomingRequest): Promise<void> => {
    const { message } = request;
    const type = message.header.msg_type;
    if (Object.hasOwn(handlers, type)) {
      const content = await dispatch(type as HandledRequest, request);
      reply(request, content);
      if (type === 'shutdown_request') {
        shuttingDown = true;
        status('idle', message);
        options.onShutdown((message.content as Partial<ShutdownRequest>).restart === true);
      }
      return;
    }
    if (isMessageType(message, 'comm_open')) {
      // No comm targets are registered: close the comm, as ipykernel does for an unknown target.
      send('iopub', buildMessage('comm_close', { comm_id: message.content.comm_id, data: {} }, identity, message));
      return;
    }
    if (type === 'comm_msg' || type === 'comm_close') return;
    if (type.endsWith('_request')) {
      log(`unsupported request ${type}: answered with an error`);
      reply(request, { status: 'error', ename: 'UnsupportedRequest', evalue: `fedbook does not handle ${type}`, traceback: [] });
      return;
    }
    log(`ignored message ${type}`);
  };

  const run = async (request: IncomingRequest): Promise<void> => {
    if (shuttingDown) return;
    status('busy', request.message);
    try {
      await answer(request);
    } catch (error) {
      log(`${request.message.header.msg_type} failed: ${(error as Error).stack ?? error}`);
      if (request.message.header.msg_type.endsWith('_request')) {
        reply(request, { status: 'error', ename: 'KernelError', evalue: (error as Error).message, traceback: [] } satisfies ErrorReply);
      }
    }
    if (!shuttingDown) status('idle', request.message);
  };

  return {
    handle(request) {
      if (request.channel === 'stdin') {
        if (isMessageType(request.message, 'input_reply')) {
          const resolve = pendingInput;
          pendingInput = undefined;
          resolve?.(String(request.message.content.value ?? ''));
        }
        return;
      }
      if (request.channel === 'control') {
        void run(request);
        return;
      }
      shellQueue = shellQueue.then(() => run(request));
    },
    interrupt() {
      void executorReady.then(
        (executor) => executor.interrupt(),
        () => undefined,
      );
    },
    dispose: () =>
      executorReady.then(
        (executor) => executor.dispose(),
        () => undefined,
      ),
  };
}
