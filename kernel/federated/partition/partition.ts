/**
 * `fed.partition(dataset, options)`: splits a dataset among simulated clients
 * with one of the classic schemes, validating every option with a message
 * that says what to change.
 */
import { checkKnownOptions } from '../../validate';
import type { Dataset } from '../../data/dataset';
import { createRng } from '../random';
import { dirichletPartition } from './dirichlet';
import { createFederatedData, type FederatedData, type PartitionScheme } from './federated-data';
import { iidPartition } from './iid';
import { groupsBy } from './groups-by';
import { distinctGroups, naturalPartition } from './natural';
import { shardPartition } from './shards';

/** Options of {@link partition}. */
export interface PartitionOptions {
  /**
   * Number of clients. Required except for 'natural', where it defaults to the
   * number of groups (a smaller number keeps a seeded random selection of groups).
   */
  readonly clients?: number;
  /**
   * 'iid': shuffled, equal sizes. 'shards': sorted by label, cut into
   * clients × shardsPerClient shards, dealt at random (McMahan et al.'s
   * pathological non-IID). 'dirichlet': per-class Dir(alpha) proportions.
   * 'natural': one client per group (`dataset.groups`, or `by`).
   */
  readonly scheme: PartitionScheme;
  /** Seed of every random choice; the same seed gives the same partition. Defaults to 0. */
  readonly seed?: number;
  /** 'shards': shards per client; defaults to 2. */
  readonly shardsPerClient?: number;
  /** 'dirichlet': concentration α > 0; smaller is more skewed. Defaults to 0.5. */
  readonly alpha?: number;
  /** 'dirichlet': smallest client size, at least 1; defaults to min(10, ⌊n / clients⌋). */
  readonly minSize?: number;
  /**
   * 'natural': instead of `dataset.groups`, a column name of a CSV dataset
   * (its group column, or a feature column whose values name the owner), or
   * one integer group id per example.
   * @example fed.partition(data, { scheme: 'natural', by: 'site' })
   */
  readonly by?: string | Int32Array | readonly number[];
}

const SCHEMES: readonly PartitionScheme[] = ['iid', 'shards', 'dirichlet', 'natural'];
const KNOWN_OPTIONS = ['clients', 'scheme', 'seed', 'shardsPerClient', 'alpha', 'minSize', 'by'];
const SCHEME_OPTIONS: Record<string, PartitionScheme> = { shardsPerClient: 'shards', alpha: 'dirichlet', minSize: 'dirichlet', by: 'natural' };

/**
 * Splits `dataset` among clients.
 *
 * @example
 * const clients = fed.partition(train, { clients: 100, scheme: 'shards', shardsPerClient: 2, seed: 7 });
 * clients.sizes();           // [600, 600, …]
 * clients.labelHistogram();  // per client, examples of each class
 */
export function partition(dataset: Dataset, options: PartitionOptions): FederatedData {
  if (!dataset || !(dataset.y instanceof Int32Array))
    throw new TypeError('partition needs a dataset as its first argument (e.g. the train split of fed.datasets.mnist())');
  if (!options || typeof options !== 'object') throw new TypeError("partition needs options, e.g. { clients: 100, scheme: 'iid', seed: 1 }");
  checkKnownOptions('partition', options, KNOWN_OPTIONS);
  const { scheme } = options;
  if (!SCHEMES.includes(scheme)) {
    throw new TypeError(`scheme must be one of ${SCHEMES.map((s) => `'${s}'`).join(', ')} (got ${JSON.stringify(scheme)})`);
  }
  for (const [key, owner] of Object.entries(SCHEME_OPTIONS)) {
    if ((options as unknown as Record<string, unknown>)[key] !== undefined && owner !== scheme) {
      throw new TypeError(`${key} only applies to scheme '${owner}' (scheme is '${scheme}')`);
    }
  }
  const seed = options.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new TypeError(`seed must be a finite number (got ${String(seed)})`);
  const n = dataset.length;
  const rng = createRng(seed).fork(`partition-${scheme}`);

  if (scheme === 'natural') return naturalScheme(dataset, options, seed, rng);

  const clients = checkClients(options.clients, n);
  if (scheme === 'iid') {
    return createFederatedData({ dataset, clients: iidPartition(n, clients, rng), scheme, seed });
  }
  if (scheme === 'shards') {
    const shardsPerClient = options.shardsPerClient ?? 2;
    if (!Number.isInteger(shardsPerClient) || shardsPerClient < 1) {
      throw new RangeError(`shardsPerClient must be a positive integer (got ${shardsPerClient})`);
    }
    if (clients * shardsPerClient > n) {
      throw new RangeError(`shards: ${clients} clients × ${shardsPerClient} shards need at least ${clients * shardsPerClient} examples (there are ${n})`);
    }
    const lists = shardPartition(dataset.y, dataset.numClasses, clients, shardsPerClient, rng);
    return createFederatedData({
      dataset,
      clients: lists,
      scheme,
      seed,
      details: { shardsPerClient, shardSize: Math.floor(n / (clients * shardsPerClient)) },
    });
  }
  const alpha = options.alpha ?? 0.5;
  if (typeof alpha !== 'number' || !(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`dirichlet needs alpha > 0 (got ${alpha})`);
  const minSize = options.minSize ?? Math.min(10, Math.floor(n / clients));
  // An empty client has nothing to train on (and n_i = 0 would weigh nothing), so every client gets at least one example.
  if (!Number.isInteger(minSize) || minSize < 1) throw new RangeError(`minSize must be a positive integer (got ${minSize})`);
  if (clients * minSize > n) {
    throw new RangeError(`dirichlet: ${clients} clients × minSize ${minSize} need at least ${clients * minSize} examples (there are ${n})`);
  }
  const { clients: lists, report } = dirichletPartition(dataset.y, dataset.numClasses, { clients, alpha, minSize }, rng);
  return createFederatedData({ dataset, clients: lists, scheme, seed, details: { alpha, minSize, ...report } });
}

function checkClients(clients: number | undefined, n: number): number {
  if (clients === undefined) throw new TypeError(`partition needs clients: an integer in 1..${n} (there are ${n} examples)`);
  if (!Number.isInteger(clients) || clients < 1 || clients > n) {
    throw new RangeError(`clients must be an integer in 1..${n} (there are ${n} examples)`);
  }
  return clients;
}

function naturalScheme(dataset: Dataset, options: PartitionOptions, seed: number, rng: ReturnType<typeof createRng>): FederatedData {
  const groups = options.by === undefined ? dataset.groups : groupsBy(dataset, options.by, 'natural partition');
  if (!groups) {
    throw new TypeError(
      "natural partition needs groups: the dataset has none; pass { by: 'column' } (a CSV column) or { by: Int32Array } (a group id per example)",
    );
  }
  for (let i = 0; i < groups.length; i++) {
    if (!Number.isInteger(groups[i])) throw new TypeError(`natural partition: group id of example ${i} is ${groups[i]}, not an integer`);
  }
  const numGroups = distinctGroups(groups).length;
  const clients = options.clients;
  if (clients !== undefined && (!Number.isInteger(clients) || clients < 1 || clients > numGroups)) {
    throw new RangeError(`clients must be an integer in 1..${numGroups} for a natural partition (there are ${numGroups} groups)`);
  }
  const lists = naturalPartition(groups, clients, rng);
  return createFederatedData({ dataset, clients: lists, scheme: 'natural', seed, details: { groups: numGroups } });
}
