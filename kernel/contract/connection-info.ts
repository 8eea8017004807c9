/** The standard Jupyter connection-file content: what a kernel binds to and a client connects to. */
export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  /** HMAC key; '' turns signing off. */
  key: string;
  signature_scheme: string;
  kernel_name?: string;
}
