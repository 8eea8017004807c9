/**
 * Seeded runs whose final weights were saved before the core redesign
 * (test/fixtures/golden/weights.json). The redesign must reproduce them bit for
 * bit; only the public `fed` API is used, so the cases outlive any refactor.
 */
import { createHash } from 'node:crypto';
import { fed } from '../../kernel/api/index';

export interface GoldenCase {
  readonly name: string;
  readonly build: () => ReturnType<typeof fed.fedAvg>;
  readonly rounds: number;
}

const model = () => fed.models.mlp({ hidden: [32] });
// Pinned to tfjs-wasm: a faster training path may sum in another order, and these hashes are the WASM path's.
const base = { clientsPerRound: 3, workers: 2, backend: 'wasm' } as const;

export const GOLDEN_CASES: readonly GoldenCase[] = [
  { name: 'fedAvg seed 1', rounds: 3, build: () => fed.fedAvg({ ...base, model: model(), seed: 1 }) },
  {
    name: 'fedAvg seed 2 uniform E=2 B=20',
    rounds: 3,
    build: () => fed.fedAvg({ ...base, model: model(), seed: 2, weighting: 'uniform', localEpochs: 2, batchSize: 20 }),
  },
  { name: 'fedAvg seed 3 adam', rounds: 2, build: () => fed.fedAvg({ ...base, model: model(), seed: 3, clientOptimizer: 'adam', clientLr: 0.01 }) },
  { name: 'fedSgd seed 1', rounds: 3, build: () => fed.fedSgd({ ...base, model: model(), seed: 1 }) },
  { name: 'fedProx seed 1 mu 0.1', rounds: 3, build: () => fed.fedProx({ ...base, model: model(), seed: 1, mu: 0.1 }) },
  { name: 'fedAvgM seed 4', rounds: 3, build: () => fed.fedAvgM({ ...base, model: model(), seed: 4, serverMomentum: 0.9 }) },
  { name: 'fedAdam seed 5', rounds: 3, build: () => fed.fedAdam({ ...base, model: model(), seed: 5 }) },
  { name: 'fedYogi seed 1', rounds: 2, build: () => fed.fedYogi({ ...base, model: model(), seed: 1 }) },
  { name: 'fedAdagrad seed 1', rounds: 2, build: () => fed.fedAdagrad({ ...base, model: model(), seed: 1 }) },
  {
    name: 'dp gaussian seed 1',
    rounds: 3,
    build: () => fed.fedAvg({ ...base, model: model(), seed: 1, privacy: fed.dp.gaussian({ clip: 1, noiseMultiplier: 0.5, delta: 1e-5 }) }),
  },
  {
    name: 'dp adaptive seed 2',
    rounds: 3,
    build: () =>
      fed.fedAvg({
        ...base,
        model: model(),
        seed: 2,
        privacy: fed.dp.adaptive({ targetQuantile: 0.5, noiseMultiplier: 0.1, clippedCountStddev: 1, delta: 1e-5 }),
      }),
  },
  { name: 'secagg seed 1', rounds: 2, build: () => fed.fedAvg({ ...base, model: model(), seed: 1, secureAggregation: true }) },
  {
    name: 'dp gaussian + secagg seed 3',
    rounds: 2,
    build: () =>
      fed.fedAvg({
        ...base,
        model: model(),
        seed: 3,
        privacy: fed.dp.gaussian({ clip: 1, noiseMultiplier: 0.5, delta: 1e-5 }),
        secureAggregation: { threshold: 2 },
      }),
  },
];

export async function goldenClients() {
  const { train } = await fed.datasets.mnist({ trainLimit: 2000, testLimit: 100, subsetSeed: 2 });
  return fed.partition(train, { clients: 10, scheme: 'shards', shardsPerClient: 2, seed: 3 });
}

export function weightsHash(weights: Float32Array): string {
  return createHash('sha256')
    .update(Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength))
    .digest('hex');
}

/** Runs a case round by round with next(), as the redesign must keep working. */
export async function runGoldenCase(golden: GoldenCase, clients: Awaited<ReturnType<typeof goldenClients>>) {
  const algo = golden.build();
  let state = await algo.initialize();
  const initial = weightsHash(state.weights);
  for (let r = 0; r < golden.rounds; r++) ({ state } = await algo.next(state, clients));
  return { initial, final: weightsHash(state.weights), head: Array.from(state.weights.subarray(0, 4)) };
}
