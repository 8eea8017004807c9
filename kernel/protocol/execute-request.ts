/**
 * Answers one `execute_request`: turns the Executor's sink callbacks into
 * IOPub messages under the request's parent header, asks for input on stdin,
 * evaluates user_expressions and builds the `execute_reply`.
 */
import type { ExecutionOutcome, ExecutionSink, Executor, MimeBundle } from '../execution/executor';
import type { ExecuteReply, ExecuteRequest, IopubContents, IopubType, PagePayload, UserExpressionResult } from './content';
import { buildMessage, type Channel, type Message, type SessionIdentity } from './messages';

/** What an execute request needs from the kernel around it. */
export interface ExecuteContext {
  identity: SessionIdentity;
  send(channel: Channel, message: Message<string, unknown>, identities?: Uint8Array[]): void;
  /** Registers the resolver for the next `input_reply` on stdin. */
  awaitInputReply(): Promise<string>;
  /** The execution counter: read, then bumped for cells that store history. */
  nextExecutionCount(storeHistory: boolean): number;
  recordHistory(count: number, code: string): void;
  recordOutput(count: number, text: string): void;
}

export interface ExecuteResult {
  reply: ExecuteReply;
  outcome: ExecutionOutcome;
}

export async function handleExecute(
  executor: Executor,
  request: Message<'execute_request', Partial<ExecuteRequest>>,
  identities: Uint8Array[],
  ctx: ExecuteContext,
): Promise<ExecuteResult> {
  const { code = '', silent = false, allow_stdin = false, user_expressions = {} } = request.content;
  const storeHistory = silent ? false : (request.content.store_history ?? true);
  const count = ctx.nextExecutionCount(storeHistory);
  const iopub: Publish = (type, content) => ctx.send('iopub', buildMessage<IopubType, IopubContents[IopubType]>(type, content, ctx.identity, request));
  if (!silent) iopub('execute_input', { code, execution_count: count });
  if (storeHistory) ctx.recordHistory(count, code);

  const payload: PagePayload[] = [];
  const sink = createSink(iopub, payload, async (prompt, password) => {
    if (!allow_stdin) throw new Error('input() is not available: this front end does not allow stdin (allow_stdin is false)');
    const reply = ctx.awaitInputReply();
    ctx.send('stdin', buildMessage('input_request', { prompt, password }, ctx.identity, request), identities);
    return reply;
  });

  const outcome = await executor.execute(code, sink, { silent, executionCount: count });
  if (outcome.status === 'error') {
    const { ename, evalue, traceback } = outcome;
    iopub('error', { ename, evalue, traceback });
    return { outcome, reply: { status: 'error', execution_count: count, ename, evalue, traceback } };
  }
  if (outcome.status === 'aborted') return { outcome, reply: { status: 'aborted', execution_count: count } };
  if (outcome.result && !silent) {
    iopub('execute_result', { execution_count: count, data: outcome.result, metadata: {} });
    const text = outcome.result['text/plain'];
    if (storeHistory && typeof text === 'string') ctx.recordOutput(count, text);
  }
  const expressions: Record<string, UserExpressionResult> = {};
  for (const [name, expression] of Object.entries(user_expressions)) {
    // Not `silent`: the executor renders no result for silent cells. Side output is muted instead.
    const value = await executor.execute(expression, MUTED_SINK, { silent: false, executionCount: count });
    expressions[name] =
      value.status === 'ok'
        ? { status: 'ok', data: value.result ?? { 'text/plain': 'undefined' }, metadata: {} }
        : value.status === 'error'
          ? { status: 'error', ename: value.ename, evalue: value.evalue, traceback: value.traceback }
          : { status: 'aborted' };
  }
  return { outcome, reply: { status: 'ok', execution_count: count, payload, user_expressions: expressions } };
}

/** Where user_expressions write: nowhere (IPython evaluates them without output). */
const MUTED_SINK: ExecutionSink = {
  stream: () => undefined,
  display: () => undefined,
  updateDisplay: () => undefined,
  clearOutput: () => undefined,
  input: () => Promise.reject(new Error('input() is not available in user_expressions')),
  page: () => undefined,
};

/** Publishes one IOPub message under the request; its content must be `type`'s. */
type Publish = <T extends IopubType>(type: T, content: IopubContents[T]) => void;

function createSink(iopub: Publish, payload: PagePayload[], input: ExecutionSink['input']): ExecutionSink {
  return {
    stream: (name, text) => iopub('stream', { name, text }),
    display: (data, metadata = {}, displayId) => iopub('display_data', { data, metadata, transient: displayId === undefined ? {} : { display_id: displayId } }),
    updateDisplay: (data, displayId, metadata = {}) => iopub('update_display_data', { data, metadata, transient: { display_id: displayId } }),
    clearOutput: (wait) => iopub('clear_output', { wait }),
    input,
    page: (data: MimeBundle) => payload.push({ source: 'page', data, start: 0 }),
  };
}
