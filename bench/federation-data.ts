/**
 * The bench's client data: seeded, MNIST-shaped, built in code. The same
 * source text is loaded by `fedbook client --data` (a module file), by the
 * bench's client hosts and by the in-process run of the same split.
 */
import { runInNewContext } from 'node:vm';

/** The data module every client loads: seed and size come from the environment. */
export const DATA_MODULE = `
module.exports = () => {
  const seed = Number(process.env.FEDBOOK_BENCH_SEED), n = Number(process.env.FEDBOOK_BENCH_EXAMPLES);
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const x = new Float32Array(n * 784), y = new Int32Array(n);
  for (let i = 0; i < n; i++) { y[i] = Math.floor(next() * 10); for (let j = 0; j < 784; j++) x[i * 784 + j] = Math.fround(next() * (j % 10 === y[i] ? 1 : 0.3)); }
  return { x, y, exampleShape: [784], numClasses: 10, length: n, name: 'bench-' + seed };
};`;

export interface BenchClientData {
  x: Float32Array;
  y: Int32Array;
  exampleShape: number[];
  numClasses: number;
  length: number;
  name: string;
}

/** Client `seed`'s data, from the module's own source text (not a copy of its logic). */
export function buildClientData(seed: number, examples: number): BenchClientData {
  const build = runInNewContext(`(() => { const module = {}; ${DATA_MODULE}; return module.exports; })()`, {
    Float32Array,
    Int32Array,
    Math,
    Number,
    process: { env: { FEDBOOK_BENCH_SEED: String(seed), FEDBOOK_BENCH_EXAMPLES: String(examples) } },
  }) as () => BenchClientData;
  return build();
}
