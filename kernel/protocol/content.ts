/**
 * The content of every Jupyter message Fedbook sends or answers (protocol
 * 5.3), keyed by msg_type. A request's reply content is looked up by the
 * request's own msg_type (`ReplyContent<'execute_request'>`), as Deno's kernel
 * derives its reply types, so a handler's return value is checked against the
 * request it answers. Types only; contents are type aliases rather than
 * interfaces so that each is also a plain JSON object (Record<string, unknown>).
 */

/** MIME type → data: `{ 'text/plain': '42', 'text/html': '<b>42</b>' }`. */
export type MimeData = Record<string, unknown>;

/** An exception as the protocol carries it (the `error` message, error replies). */
export type ErrorContent = {
  ename: string;
  evalue: string;
  traceback: string[];
};

/** Any request may be answered with an error. */
export type ErrorReply = ErrorContent & {
  status: 'error';
};

// Requests a kernel answers on shell or control, and their replies.

export type ExecuteRequest = {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
};

/** A `user_expressions` entry of an execute reply. */
export type UserExpressionResult = { status: 'ok'; data: MimeData; metadata: Record<string, unknown> } | ErrorReply | { status: 'aborted' };

/** Pager output of an execute reply (help(x) in a front end with a pager). */
export type PagePayload = {
  source: 'page';
  data: MimeData;
  start: number;
};

export type ExecuteReply =
  | { status: 'ok'; execution_count: number; payload: PagePayload[]; user_expressions: Record<string, UserExpressionResult> }
  | (ErrorReply & { execution_count: number })
  /** Skipped: an earlier cell failed with stop_on_error (no count), or the cell was interrupted. */
  | { status: 'aborted'; execution_count?: number };

export type KernelInfoRequest = Record<string, never>;

export type KernelInfoReply = {
  status: 'ok';
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: {
    name: string;
    version: string;
    mimetype: string;
    file_extension: string;
    codemirror_mode: string;
    pygments_lexer: string;
  };
  banner: string;
  help_links: { text: string; url: string }[];
  debugger: boolean;
};

export type CompleteRequest = {
  code: string;
  cursor_pos: number;
};

export type CompleteReply = {
  status: 'ok';
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: Record<string, unknown>;
};

export type InspectRequest = {
  code: string;
  cursor_pos: number;
  detail_level?: 0 | 1;
};

export type InspectReply = {
  status: 'ok';
  found: boolean;
  data: MimeData;
  metadata: Record<string, unknown>;
};

export type IsCompleteRequest = {
  code: string;
};

/** The one reply whose status is not ok/error: whether the code is ready to run. */
export type IsCompleteReply = {
  status: 'complete' | 'incomplete' | 'invalid' | 'unknown';
  indent?: string;
};

export type HistoryRequest = {
  hist_access_type?: 'tail' | 'range' | 'search' | string;
  output?: boolean;
  raw?: boolean;
  session?: number;
  start?: number;
  stop?: number | null;
  n?: number | null;
  pattern?: string;
  unique?: boolean;
};

/** `[session, line, input]`, or `[session, line, [input, output]]` when output was asked for. */
export type HistoryEntry = [number, number, string] | [number, number, [string, string | null]];

export type HistoryReply = {
  status: 'ok';
  history: HistoryEntry[];
};

export type CommInfoRequest = {
  target_name?: string;
};

export type CommInfoReply = {
  status: 'ok';
  comms: Record<string, { target_name: string }>;
};

export type ShutdownRequest = {
  restart: boolean;
};

export type ShutdownReply = {
  status: 'ok';
  restart: boolean;
};

export type InterruptRequest = Record<string, never>;

export type InterruptReply = {
  status: 'ok';
};

/** Request msg_type → its content. */
export interface RequestContents {
  kernel_info_request: KernelInfoRequest;
  execute_request: ExecuteRequest;
  complete_request: CompleteRequest;
  inspect_request: InspectRequest;
  is_complete_request: IsCompleteRequest;
  history_request: HistoryRequest;
  comm_info_request: CommInfoRequest;
  shutdown_request: ShutdownRequest;
  interrupt_request: InterruptRequest;
}

/** Request msg_type → the content of its reply (error replies aside). */
export interface ReplyContents {
  kernel_info_request: KernelInfoReply;
  execute_request: ExecuteReply;
  complete_request: CompleteReply;
  inspect_request: InspectReply;
  is_complete_request: IsCompleteReply;
  history_request: HistoryReply;
  comm_info_request: CommInfoReply;
  shutdown_request: ShutdownReply;
  interrupt_request: InterruptReply;
}

/** The requests a kernel answers. */
export type RequestType = keyof RequestContents;

/** What may answer request `R`: its own reply content, or an error. */
export type ReplyContent<R extends RequestType> = ReplyContents[R] | ErrorReply;

/** `execute_request` → `execute_reply`, derived rather than written out by hand. */
export type ReplyType<R extends string> = R extends `${infer Base}_request` ? `${Base}_reply` : never;

// Comms (both directions; Fedbook registers no targets and closes every comm opened to it).

export type CommOpen = {
  comm_id: string;
  target_name: string;
  data: Record<string, unknown>;
  metadata?: Record<string, unknown>;
};

export type CommMsg = {
  comm_id: string;
  data: Record<string, unknown>;
};

export type CommClose = CommMsg;

// IOPub: side effects, published under the request they belong to.

export type StatusContent = {
  execution_state: 'busy' | 'idle' | 'starting';
};

export type StreamContent = {
  name: 'stdout' | 'stderr';
  text: string;
};

/** `display_id` in `transient` lets a later `update_display_data` replace this output. */
export type DisplayDataContent = {
  data: MimeData;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
};

export type UpdateDisplayDataContent = {
  data: MimeData;
  metadata: Record<string, unknown>;
  transient: { display_id: string };
};

export type ExecuteInputContent = {
  code: string;
  execution_count: number;
};

export type ExecuteResultContent = {
  execution_count: number;
  data: MimeData;
  metadata: Record<string, unknown>;
};

export type ClearOutputContent = {
  wait: boolean;
};

/** IOPub msg_type → its content. */
export interface IopubContents {
  status: StatusContent;
  stream: StreamContent;
  display_data: DisplayDataContent;
  update_display_data: UpdateDisplayDataContent;
  execute_input: ExecuteInputContent;
  execute_result: ExecuteResultContent;
  error: ErrorContent;
  clear_output: ClearOutputContent;
  comm_open: CommOpen;
  comm_msg: CommMsg;
  comm_close: CommClose;
}

export type IopubType = keyof IopubContents;

// Stdin: the kernel asks, the front end answers.

export type InputRequest = {
  prompt: string;
  password: boolean;
};

export type InputReply = {
  value: string;
};

/** Every msg_type with a known content: requests, replies, IOPub, stdin and comms. */
export type MessageContents = RequestContents & { [R in RequestType as ReplyType<R>]: ReplyContent<R> } & IopubContents & {
    input_request: InputRequest;
    input_reply: InputReply;
  };

export type MessageType = keyof MessageContents;

/** The content of msg_type `T`; anything for a msg_type the protocol layer does not know. */
export type ContentOf<T extends string> = T extends MessageType ? MessageContents[T] : unknown;
