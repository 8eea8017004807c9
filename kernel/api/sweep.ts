/**
 * `fed.sweep`: validates the whole sweep before anything trains (every
 * combination builds its algorithm up front, so a grid key the strategy does
 * not take fails at once), then hands the plan to rounds/sweep.ts with a runner
 * that starts tagged runs.
 */
import type { RunOptions } from '../rounds/run-loop';
import { gridCombinations, newSweepId, resolveSweepId, runSweep, type SweepCell, type SweepResult } from '../rounds/sweep';
import { runTagged, type FederatedAlgorithm } from './algorithms';
import { checkKnownOptions, integerIn } from '../validate';

/** The run options every run of a sweep shares. */
export type SweepRunOptions = Pick<RunOptions, 'rounds' | 'clients' | 'evaluate' | 'until' | 'signal' | 'clientEvaluation' | 'checkpoints'>;

export interface SweepOptions<Options extends object> {
  /** The strategy to sweep: fed.fedAvg, fed.fedProx, fed.fedAdam, ... (the function, not a call). */
  algorithm: (options: Options) => FederatedAlgorithm;
  /** The options every run shares (model, clientsPerRound, ...), as you would pass them to the strategy. */
  base: Partial<Options>;
  /** Option → the values to try; every combination runs, e.g. { clientLr: [0.01, 0.1], mu: [0, 0.01] }. */
  grid: { [K in keyof Options]?: readonly Options[K][] } & Record<string, readonly unknown[]>;
  /** Each combination runs once per seed (default: [base.seed ?? 0]). */
  seeds?: readonly number[];
  /** What each run does: rounds, clients, evaluate (required: the table compares test metrics), until. */
  run: SweepRunOptions;
  /** Continue an interrupted sweep (its id, or 'latest'): finished runs are read back, the interrupted one resumes. */
  resume?: string;
}

const SWEEP_OPTIONS = ['algorithm', 'base', 'grid', 'seeds', 'run', 'resume'];
const SWEEP_RUN_OPTIONS = ['rounds', 'clients', 'evaluate', 'until', 'signal', 'clientEvaluation', 'checkpoints'];

/**
 * Runs every combination of `grid` with every seed, each a recorded run tagged with the sweep's id, and returns
 * a table of mean ± std over seeds of the final and best test accuracy and loss (and rounds to `run.until`),
 * with the best combination. Interrupted, it resumes with `resume: error.sweepId` (or 'latest').
 * @example
 * const sweep = await fed.sweep({
 *   algorithm: fed.fedProx, base: { model, clientsPerRound: 10 },
 *   grid: { clientLr: [0.01, 0.1], mu: [0, 0.01] }, seeds: [1, 2],
 *   run: { rounds: 20, clients, evaluate: test, until: { accuracy: 0.9 } },
 * });
 * console.log(sweep.table.toString()); sweep.best?.params;
 */
export async function sweep<Options extends object>(options: SweepOptions<Options>): Promise<SweepResult> {
  if (!options || typeof options !== 'object')
    throw new TypeError(
      'fed.sweep needs options, e.g. fed.sweep({ algorithm: fed.fedAvg, base, grid: { clientLr: [0.01, 0.1] }, seeds: [1, 2], run: { rounds, clients, evaluate } })',
    );
  checkKnownOptions('fed.sweep', options, SWEEP_OPTIONS);
  if (typeof options.algorithm !== 'function') {
    throw new TypeError(`fed.sweep: algorithm must be a strategy of fed, e.g. algorithm: fed.fedProx (got ${describe(options.algorithm)})`);
  }
  const base = (options.base ?? {}) as Record<string, unknown>;
  if (typeof base !== 'object') throw new TypeError(`fed.sweep: base must be an options object (got ${describe(base)})`);
  const grid = checkGrid(options.grid, base);
  const seeds = checkSeeds(options.seeds, base);
  const run = checkRun(options.run);
  const combinations = gridCombinations(grid);
  const algorithms = new Map<string, FederatedAlgorithm>();
  for (const combination of combinations) {
    for (const seed of seeds)
      algorithms.set(`${combination.index}:${seed}`, build(options.algorithm, { ...base, ...combination.params, seed }, combination.params));
  }
  const algorithmOf = (cell: SweepCell) => algorithms.get(`${cell.combination.index}:${cell.seed}`)!;
  const id = options.resume === undefined ? newSweepId() : resolveSweepId(options.resume);
  const target =
    run.until && (run.until.accuracy !== undefined || run.until.loss !== undefined) ? { accuracy: run.until.accuracy, loss: run.until.loss } : undefined;
  return runSweep(
    { id, keys: Object.keys(grid), combinations, seeds, rounds: run.rounds, ...(target ? { target } : {}) },
    {
      run: (cell, tag, resume) => {
        const algorithm = algorithmOf(cell);
        return runTagged(algorithm, { ...run, label: `${algorithm.summary()} seed=${cell.seed}`, ...(resume ? { resume } : {}) }, { sweep: tag });
      },
      identity: (cell) => {
        const algorithm = algorithmOf(cell);
        return { strategy: algorithm.name, hyperparameters: { ...algorithm.hyperparameters, seed: cell.seed }, seed: cell.seed, model: algorithm.spec };
      },
    },
  );
}

function checkGrid(grid: unknown, base: Record<string, unknown>): Record<string, readonly unknown[]> {
  if (!grid || typeof grid !== 'object' || Array.isArray(grid))
    throw new TypeError(`fed.sweep: grid must map options to the values to try, e.g. { clientLr: [0.01, 0.1] } (got ${describe(grid)})`);
  for (const [key, values] of Object.entries(grid)) {
    if (key === 'seed') throw new TypeError('fed.sweep: grid.seed: give the seeds as seeds: [1, 2, 3], next to grid');
    if (!Array.isArray(values) || values.length === 0)
      throw new TypeError(`fed.sweep: grid.${key} must be a non-empty array of values (got ${describe(values)})`);
    if (key in base) throw new TypeError(`fed.sweep: ${key} is in both base and grid; keep it in grid only`);
  }
  return grid as Record<string, readonly unknown[]>;
}

function checkSeeds(seeds: unknown, base: Record<string, unknown>): number[] {
  if (seeds === undefined) return [base.seed === undefined ? 0 : integerIn('fed.sweep: base.seed', base.seed, -Infinity)];
  if (base.seed !== undefined) throw new TypeError('fed.sweep: give the seeds as seeds: [...], not base.seed');
  if (!Array.isArray(seeds) || seeds.length === 0) throw new TypeError(`fed.sweep: seeds must be a non-empty array of integers (got ${describe(seeds)})`);
  seeds.forEach((seed, i) => integerIn(`fed.sweep: seeds[${i}]`, seed, -Infinity));
  if (new Set(seeds).size !== seeds.length) throw new RangeError(`fed.sweep: seeds has a seed twice (${JSON.stringify(seeds)})`);
  return seeds as number[];
}

function checkRun(run: unknown): SweepRunOptions {
  if (!run || typeof run !== 'object') throw new TypeError('fed.sweep: run must say what each run does, e.g. run: { rounds: 20, clients, evaluate: test }');
  checkKnownOptions('fed.sweep: run', run, SWEEP_RUN_OPTIONS);
  const options = run as SweepRunOptions;
  integerIn('fed.sweep: run.rounds', options.rounds, 1);
  if (!options.evaluate) throw new TypeError('fed.sweep: run.evaluate is required: the table compares test accuracy and loss (pass the test split)');
  return options;
}

/** Builds one combination's algorithm; an option the strategy does not take is named as a grid key when it is one. */
function build(
  algorithm: (options: never) => FederatedAlgorithm,
  options: Record<string, unknown>,
  params: Readonly<Record<string, unknown>>,
): FederatedAlgorithm {
  try {
    return algorithm(options as never);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^(fed\.\w+): unknown option '([^']+)' \(known(?: options)?: (.*)\)$/.exec(message);
    if (unknown && unknown[2] in params) {
      throw new TypeError(`fed.sweep: grid key '${unknown[2]}' is not an option of ${unknown[1]} (its options: ${unknown[3]})`);
    }
    const where = Object.keys(params).length
      ? `combination ${Object.entries(params)
          .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
          .join(' ')}`
      : 'base';
    const wrapped = new (error instanceof RangeError ? RangeError : TypeError)(`fed.sweep: ${where}: ${message}`);
    throw wrapped;
  }
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? typeof value);
}
