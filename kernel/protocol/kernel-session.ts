/**
 * The kernel's request dispatcher on the main thread: busy/idle around every
 * request, shell requests one at a time, control requests at once, and a
 * reply for every request (unanswered requests hang real clients).
 */
import type { Executor } from '../execution/executor';
import { buildKernelInfo } from './kernel-info';
import { InputHistory, type HistoryQuery } from './history';
import { handleExecute, type ExecuteRequestContent } from './execute-request';
import { buildMessage, createSessionIdentity, replyTypeOf, type Message } from './messages';
import type { IncomingRequest, ProtocolLink } from './thread-link';

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
  const status = (state: 'busy' | 'idle', parent: Message) =>
    send('iopub', buildMessage('status', { execution_state: state }, identity, parent));
  const reply = (request: IncomingRequest, content: unknown) =>
    send(
      request.channel,
      buildMessage(replyTypeOf(request.message.header.msg_type), content, identity, request.message, {
        status: (content as { status?: string }).status,
      }),
      request.identities,
    );

  const answer = async (request: IncomingRequest): Promise<void> => {
    const { message } = request;
    const type = message.header.msg_type;
    const content = message.content as Record<string, unknown>;
    switch (type) {
      case 'kernel_info_request':
        return reply(request, buildKernelInfo(options.version));
      case 'execute_request': {
        if (request.receivedAt <= abortReceivedBefore) return reply(request, { status: 'aborted' });
        const executor = await executorReady;
        const { reply: body, outcome } = await handleExecute(executor, message as unknown as Message<string, ExecuteRequestContent>, request.identities, {
          identity,
          send,
          awaitInputReply: () => new Promise<string>((resolve) => (pendingInput = resolve)),
          nextExecutionCount: (store) => (store ? ++executionCount : executionCount),
          recordHistory: (count, code) => history.add(count, code),
          recordOutput: (count, text) => history.setOutput(count, text),
        });
        if (outcome.status === 'error' && (content.stop_on_error ?? true)) abortReceivedBefore = Date.now();
        return reply(request, body);
      }
      case 'complete_request': {
        const code = String(content.code ?? '');
        const cursor = Number(content.cursor_pos ?? code.length);
        try {
          const r = await (await executorReady).complete(code, cursor);
          return reply(request, { status: 'ok', matches: r.matches, cursor_start: r.cursorStart, cursor_end: r.cursorEnd, metadata: r.metadata ?? {} });
        } catch (error) {
          // An error reply crashes `jupyter console` on Tab: answer with no matches instead.
          log(`complete failed: ${(error as Error).message}`);
          return reply(request, { status: 'ok', matches: [], cursor_start: cursor, cursor_end: cursor, metadata: {} });
        }
      }
      case 'inspect_request': {
        const code = String(content.code ?? '');
        try {
          const r = await (await executorReady).inspect(code, Number(content.cursor_pos ?? code.length), content.detail_level === 1 ? 1 : 0);
          return reply(request, { status: 'ok', found: r.found, data: r.data, metadata: {} });
        } catch (error) {
          log(`inspect failed: ${(error as Error).message}`);
          return reply(request, { status: 'ok', found: false, data: {}, metadata: {} });
        }
      }
      case 'is_complete_request': {
        const r = (await executorReady).isComplete(String(content.code ?? ''));
        return reply(request, r.indent === undefined ? { status: r.status } : { status: r.status, indent: r.indent });
      }
      case 'history_request':
        return reply(request, { status: 'ok', history: history.query(content as HistoryQuery) });
      case 'comm_info_request':
        return reply(request, { status: 'ok', comms: {} });
      case 'comm_open':
        // No comm targets are registered: close the comm, as ipykernel does for an unknown target.
        send('iopub', buildMessage('comm_close', { comm_id: content.comm_id, data: {} }, identity, message));
        return;
      case 'comm_msg':
      case 'comm_close':
        return;
      case 'shutdown_request': {
        const restart = content.restart === true;
        reply(request, { status: 'ok', restart });
        shuttingDown = true;
        status('idle', message);
        options.onShutdown(restart);
        return;
      }
      default:
        if (type.endsWith('_request')) {
          log(`unsupported request ${type}: answered with an error`);
          return reply(request, { status: 'error', ename: 'UnsupportedRequest', evalue: `fedbook does not handle ${type}`, traceback: [] });
        }
        log(`ignored message ${type}`);
    }
  };

  const run = async (request: IncomingRequest): Promise<void> => {
    if (shuttingDown) return;
    status('busy', request.message);
    try {
      await answer(request);
    } catch (error) {
      log(`${request.message.header.msg_type} failed: ${(error as Error).stack ?? error}`);
      if (request.message.header.msg_type.endsWith('_request')) {
        reply(request, { status: 'error', ename: 'KernelError', evalue: (error as Error).message, traceback: [] });
      }
    }
    if (!shuttingDown) status('idle', request.message);
  };

  return {
    handle(request) {
      if (request.channel === 'stdin') {
        if (request.message.header.msg_type === 'input_reply') {
          const resolve = pendingInput;
          pendingInput = undefined;
          resolve?.(String((request.message.content as { value?: unknown }).value ?? ''));
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
      void executorReady.then((executor) => executor.interrupt(), () => undefined);
    },
    dispose: () => executorReady.then((executor) => executor.dispose(), () => undefined),
  };
}
