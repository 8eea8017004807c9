/**
 * SharedArrayBuffers lent for one round and taken back, so that the global
 * weights and the cohort's deltas live in memory already mapped: fresh memory
 * costs a page fault per 4 KiB (~6 µs in this VM, and worker threads fault on
 * one address space), which for a 2NN round of 10 clients was ~2,000 faults.
 */

/** Kept per byte size, and in all: enough for a round's deltas and weights of a couple of models. */
const KEPT_PER_SIZE = 2;
const KEPT_BYTES = 512 * 1024 * 1024;

const free = new Map<number, SharedArrayBuffer[]>();
let keptBytes = 0;

/** A buffer of exactly `byteLength` bytes, holding whatever its last user left (not zeroed). */
export function borrowShared(byteLength: number): SharedArrayBuffer {
  const kept = free.get(byteLength)?.pop();
  if (!kept) return new SharedArrayBuffer(byteLength);
  keptBytes -= byteLength;
  return kept;
}

/** Gives a buffer back once nothing reads or writes it any more; beyond the limits it is left to the GC. */
export function returnShared(buffer: SharedArrayBuffer): void {
  const list = free.get(buffer.byteLength) ?? [];
  if (list.includes(buffer)) throw new Error('a shared buffer was given back twice (two rounds would write into it at once)');
  if (list.length >= KEPT_PER_SIZE || keptBytes + buffer.byteLength > KEPT_BYTES) return;
  list.push(buffer);
  free.set(buffer.byteLength, list);
  keptBytes += buffer.byteLength;
}

/** Drops every kept buffer (the pools are shutting down). */
export function dropSharedBuffers(): void {
  free.clear();
  keptBytes = 0;
}
