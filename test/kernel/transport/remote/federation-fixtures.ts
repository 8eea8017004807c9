/** Shared pieces of the federation tests: keys, per-client CSVs, real client processes, free loopback ports. */
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fed } from '../../../../kernel/api/index';
import { freePorts } from '../../../../kernel/protocol/connection';
import { createDataset, featureSize, sharedFloat32, sharedInt32, type Dataset } from '../../../../kernel/data/dataset';
import { createFederatedData, type FederatedData } from '../../../../kernel/federated/partition/federated-data';
import { createRng } from '../../../../kernel/federated/random';
import type { Federation } from '../../../../kernel/transport/remote/federation-server';
import { writeKeyPair } from '../../../../kernel/transport/remote/keys';
import { startScriptedClient, type DropAt } from './scripted-secagg-client';

export const ROOT = resolve(__dirname, '../../../../..');
export const BIN = join(ROOT, 'bin', 'fedbook.js');

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'fedbook-federation-'));
}

/** A free TCP port on loopback (bound, read, released). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/** Key pairs written the way `fedbook keys new` writes them. */
export function makeKeys(dir: string, names: readonly string[]): Record<string, { key: string; pub: string; publicKey: string }> {
  return Object.fromEntries(
    names.map((name) => {
      const { keyFile, publicFile, pair } = writeKeyPair(join(dir, 'keys'), name);
      return [name, { key: keyFile, pub: publicFile, publicKey: pair.publicKey }];
    }),
  );
}

/**
 * A CSV of `n` examples with `features` float32-exact values and labels in 0..classes-1, linearly separable-ish.
 * Values are written so that they read back to the same float32 bits.
 */
export function writeClientCsv(path: string, n: number, seed: number, features = 4, classes = 3): void {
  const rng = createRng(seed);
  const lines = [[...Array.from({ length: features }, (_, j) => `f${j}`), 'label'].join(',')];
  for (let i = 0; i < n; i++) {
    const label = Math.floor(rng.next() * classes);
    const row = Array.from({ length: features }, (_, j) => String(Math.fround((j % classes === label ? 1 : 0) + (rng.next() - 0.5))));
    lines.push([...row, String(label)].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

export interface ClientProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** Resolves with the exit status once the process has ended. */
  readonly exited: Promise<number | null>;
}

/** `node bin/fedbook.js client …` as a real process. */
export function spawnClient(args: string[]): ClientProcess {
  const child = spawn(process.execPath, [BIN, 'client', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((done) => child.on('exit', (status, signal) => done(status ?? (signal ? -1 : null))));
  return { child, output: () => output, exited };
}

/** Waits for a process's output to match, or fails after `ms` with what it printed. */
export async function waitForOutput(client: ClientProcess, pattern: RegExp, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!pattern.test(client.output())) {
    if (Date.now() > until) throw new Error(`no ${pattern} within ${ms} ms; output:\n${client.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the status, or kills the process and fails after `ms`. */
export async function exitWithin(client: ClientProcess, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      client.child.kill('SIGKILL');
      fail(new Error(`the client did not exit within ${ms} ms; output:\n${client.output()}`));
    }, ms);
  });
  try {
    return await Promise.race([client.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `fedbook client` arguments for a client of a loopback server: the flags every test repeats, then `extra`. */
export function clientArgs(
  client: { port: number; serverKey: string; key: string; data: string; name?: string; label?: string; backend?: string },
  extra: string[] = [],
): string[] {
  return [
    '--server',
    `tcp://127.0.0.1:${client.port}`,
    '--server-key',
    client.serverKey,
    '--key',
    client.key,
    '--data',
    client.data,
    ...(client.label ? ['--label', client.label] : []),
    ...(client.name ? ['--name', client.name] : []),
    ...(client.backend ? ['--backend', client.backend] : []),
    ...extra,
  ];
}

/** The clients' CSVs (4 features, 3 classes, column 'label') as one in-process partition: client i holds exactly the rows of CSV i, in file order. */
export async function splitOfCsvs(paths: readonly string[]): Promise<FederatedData> {
  const parts = await Promise.all(paths.map((path) => fed.datasets.csv(path, { label: 'label' })));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const size = featureSize(parts[0]);
  const x = sharedFloat32(total * size);
  const y = sharedInt32(total);
  const lists: number[][] = [];
  let at = 0;
  for (const part of parts) {
    x.set(part.x, at * size);
    y.set(part.y, at);
    lists.push(Array.from({ length: part.length }, (_, i) => at + i));
    at += part.length;
  }
  const dataset: Dataset = createDataset({ x, y, exampleShape: [4], numClasses: 3, name: 'client-csvs' });
  return createFederatedData({ dataset, clients: lists, scheme: 'natural', seed: 0 });
}

export type Keys = ReturnType<typeof makeKeys>;

export interface FederationOfClientsOptions {
  /** The `fedbook client` processes started, one per name, each with its own CSV. */
  readonly names: readonly string[];
  /** Rows of each name's CSV, in the order of `names`. */
  readonly sizes: readonly number[];
  /** Name i's CSV is written with seed `seedBase + i`. */
  readonly seedBase: number;
  /** More keys the server admits but that start no process (a scripted or raw client of the test). */
  readonly extraKeys: readonly string[];
  readonly heartbeatTimeoutMs: number;
  /** More CSVs written beside the clients' (`rows` rows, seed `seed`) that no process reads. */
  readonly extraCsvs?: readonly { readonly name: string; readonly rows: number; readonly seed: number }[];
  /** Passed to each client as `--label` when set. */
  readonly label?: string;
}

export interface FederationOfClients {
  readonly remote: Federation;
  readonly port: number;
  readonly keys: Keys;
  /** The path of a name's CSV in the federation's temporary folder. */
  readonly csv: (name: string) => string;
  readonly processes: readonly ClientProcess[];
  /** Closes the server and waits for every process to exit (10 s each). */
  readonly stop: () => Promise<void>;
}

/** A loopback `listen` server (three clients needed, 60 s to join) and one wasm `fedbook client` process per name. */
export async function startFederationOfClients(options: FederationOfClientsOptions): Promise<FederationOfClients> {
  const { names, sizes, seedBase, extraKeys, heartbeatTimeoutMs, extraCsvs = [], label } = options;
  const dir = tempDir();
  const keys = makeKeys(dir, ['server', ...names, ...extraKeys]);
  const csv = (name: string) => join(dir, `${name}.csv`);
  names.forEach((name, i) => writeClientCsv(csv(name), sizes[i], seedBase + i));
  for (const { name, rows, seed } of extraCsvs) writeClientCsv(csv(name), rows, seed);
  const port = await freePort();
  const listening = fed.federation.listen({
    port,
    minClients: 3,
    joinTimeoutMs: 60_000,
    heartbeatTimeoutMs,
    keys: { server: keys.server.key, allow: [...names, ...extraKeys].map((n) => keys[n].pub) },
    log: () => undefined,
  });
  const processes = names.map((name) =>
    spawnClient(clientArgs({ port, serverKey: keys.server.pub, key: keys[name].key, data: csv(name), label, name, backend: 'wasm' })),
  );
  const remote = await listening;
  const stop = async () => {
    await remote.close();
    for (const p of processes) await exitWithin(p, 10_000).catch(() => undefined);
  };
  return { remote, port, keys, csv, processes, stop };
}

/**
 * {@link startFederationOfClients} in the calling test file's `before` hook, stopped (then the kernel's pools shut
 * down) in its `after` hook. The fields are readable from the tests on.
 */
export function federationOfClientsForFile(options: FederationOfClientsOptions): FederationOfClients {
  let started: FederationOfClients | undefined;
  before(async () => {
    started = await startFederationOfClients(options);
  });
  after(async () => {
    await started?.stop();
    await fed.shutdown();
  });
  const get = (): FederationOfClients => {
    if (!started) throw new Error('the federation is started in the before hook; read it from a test');
    return started;
  };
  return {
    get remote() {
      return get().remote;
    },
    get port() {
      return get().port;
    },
    get keys() {
      return get().keys;
    },
    csv: (name) => get().csv(name),
    get processes() {
      return get().processes;
    },
    stop: () => get().stop(),
  };
}

/** Joins the scripted client 'zed' (20 examples, update `delta`) that drops out at `dropAt`, and waits until four clients are in; returns what disconnects it. */
export async function joinScriptedZed(federation: FederationOfClients, delta: (dimension: number) => Float32Array, dropAt: DropAt): Promise<() => void> {
  const close = await startScriptedClient({
    remote: federation.remote,
    port: federation.port,
    keyFile: federation.keys.zed.key,
    name: 'zed',
    examples: 20,
    delta,
    dropAt,
  });
  await federation.remote.waitForClients(4, 10_000);
  return close;
}

/** The training settings the federation tests share: a small MLP on wasm, 2 local epochs of batches of 8 at lr 0.1, one worker. */
export function wasmMlpTraining() {
  return {
    model: fed.models.mlp({ hidden: [8], inputShape: [4], numClasses: 3 }),
    localEpochs: 2,
    batchSize: 8,
    clientLr: 0.1,
    backend: 'wasm',
    workers: 1,
  } as const;
}
