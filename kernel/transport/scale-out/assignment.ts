/**
 * Which machine trains which client of a cohort: slots weighted by thread
 * count (this process's pool first, then the workers in name order), dealt
 * round-robin over the cohort. It depends only on the cohort and on who is
 * connected, so a rerun with the same workers splits a round the same way;
 * where a client trains never changes its update.
 */
export interface WorkerCapacity {
  readonly name: string;
  readonly threads: number;
}

/** For each cohort position, the worker's name, or undefined for this process. */
export function assignCohort(cohortSize: number, localThreads: number, workers: readonly WorkerCapacity[]): (string | undefined)[] {
  const slots: (string | undefined)[] = Array.from({ length: Math.max(0, localThreads) }, () => undefined);
  for (const worker of [...workers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    for (let t = 0; t < worker.threads; t++) slots.push(worker.name);
  }
  if (slots.length === 0) slots.push(undefined);
  return Array.from({ length: cohortSize }, (_, i) => slots[i % slots.length]);
}
