/**
 * Runs one round of secure aggregation in process: builds the clients and the
 * server, passes every message between them (counting its bytes), lets
 * `dropouts` clients vanish after the key exchange, and returns the exact sum
 * of the survivors' fixed-point inputs.
 */
import type { Rng } from '../../random';
import { SecAggClient } from './client';
import { advertisedKeysBytes, encryptedSharesBytes, unmaskingRequestBytes, unmaskingSharesBytes } from './messages';
import { SecAggServer, SecureAggregationError } from './server';

export { SecAggServer, SecureAggregationError } from './server';

/** Options of one secure sum. */
export interface SecureSumOptions {
  /** t: the number of clients that must survive to unmask the sum. */
  readonly threshold: number;
  /** Clients that drop out after sharing keys, before sending their masked input (simulated). */
  readonly dropouts?: number;
  /** Seeded generator for keys, seeds, Shamir coefficients and the choice of who drops. */
  readonly rng: Rng;
  /** Called with the server object once the sum is unmasked, for audits and tests of what it holds. */
  readonly inspectServer?: (server: SecAggServer) => void;
}

/** What a secure sum returns; `sum` is Σ x_u over `survivors`, mod 2^32. */
export interface SecureSumResult {
  readonly sum: Uint32Array;
  /** Positions (in the inputs array) of the clients whose inputs are in the sum. */
  readonly survivors: readonly number[];
  readonly dropped: number;
  /** Bytes sent up and down, all rounds and clients together. */
  readonly bytes: number;
  readonly ms: number;
  /** Of `ms`, the server's part (routing, summing, reconstructing seeds, removing masks); the rest is the clients'. */
  readonly serverMs: number;
}

/** The default threshold for a cohort of m: ⌈2m/3⌉ (7 of 10), tolerating a third of the cohort dropping. */
export function defaultThreshold(cohort: number): number {
  return Math.max(1, Math.ceil((2 * cohort) / 3));
}

/** Securely sums fixed-point inputs (all the same length), tolerating up to m − t dropouts. */
export function runSecureSum(inputs: readonly Uint32Array[], options: SecureSumOptions): SecureSumResult {
  const started = performance.now();
  const m = inputs.length;
  const { threshold, rng } = options;
  const dropouts = options.dropouts ?? 0;
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`secureAggregation.threshold must be a positive integer (got ${threshold})`);
  if (threshold > m) {
    throw new SecureAggregationError(`secureAggregation.threshold (${threshold}) is larger than the cohort (${m} clients)`, 0, threshold, m);
  }
  if (!Number.isInteger(dropouts) || dropouts < 0) throw new RangeError(`secureAggregation.dropouts must be an integer >= 0 (got ${dropouts})`);
  if (dropouts > m) throw new RangeError(`secureAggregation.dropouts (${dropouts}) is larger than the cohort (${m} clients)`);
  const dimension = m === 0 ? 0 : inputs[0].length;
  for (const input of inputs) {
    if (input.length !== dimension) throw new RangeError(`secure aggregation inputs must all have length ${dimension} (got ${input.length})`);
  }
  let bytes = 0;
  let serverMs = 0;
  const onServer = <T>(work: () => T): T => {
    const t0 = performance.now();
    try {
      return work();
    } finally {
      serverMs += performance.now() - t0;
    }
  };
  const clients = inputs.map((input, i) => new SecAggClient(i, input, rng.fork(`secagg-client-${i}`)));
  const server = onServer(() => new SecAggServer(threshold, dimension));

  // Round 0: AdvertiseKeys (up), then the roster broadcast (down to each client).
  const advertised = clients.map((c) => c.advertiseKeys());
  const roster = onServer(() => server.collectKeys(advertised));
  bytes += m * advertisedKeysBytes() + m * roster.length * advertisedKeysBytes();

  // Round 1: ShareKeys, encrypted envelopes routed through the server.
  for (const client of clients) {
    const envelopes = client.shareKeys(roster, threshold);
    for (const envelope of envelopes) bytes += 2 * encryptedSharesBytes(envelope);
    onServer(() => server.routeShares(envelopes));
  }

  // Dropouts happen here: after the key exchange, before the masked input.
  const order = rng.fork('secagg-dropouts').shuffle(clients.map((_, i) => i));
  const droppedSet = new Set(order.slice(0, dropouts));

  // Round 2: MaskedInputCollection.
  for (const client of clients) {
    const inbox = onServer(() => server.inboxFor(client.index));
    if (droppedSet.has(client.index)) continue;
    const masked = client.maskedInput(inbox);
    onServer(() => server.collectMaskedInput(client.index, masked));
    bytes += 4 * dimension;
  }

  // Round 3: Unmasking.
  const request = onServer(() => server.unmaskingRequest());
  const answers = request.survivors.map((i) => clients[i].unmask(request, threshold));
  bytes += request.survivors.length * unmaskingRequestBytes(request);
  for (const answer of answers) bytes += unmaskingSharesBytes(answer);
  const sum = onServer(() => server.unmaskSum(request, answers));
  options.inspectServer?.(server);
  return { sum, survivors: request.survivors, dropped: droppedSet.size, bytes, ms: performance.now() - started, serverMs };
}
