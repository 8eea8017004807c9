/**
 * What `help(value)`, inspection (Shift+Tab) and completion metadata say about
 * a value: its signature and TSDoc where the kernel knows them, otherwise a
 * signature read from the function's source and a short value summary.
 */
import { inspect } from 'node:util';
import type { DocEntry, DocIndex } from './docs';
import { isRunResult, isTensorLike, isTypedArray } from './render';

/** A short kind word for completion menus. */
export function kindOf(value: unknown): string {
  if (typeof value === 'function') return /^class\b/.test(Function.prototype.toString.call(value)) ? 'class' : 'function';
  if (value === null) return 'null';
  if (typeof value === 'object') {
    if (isTensorLike(value)) return 'tensor';
    if (isTypedArray(value)) return 'array';
    return Array.isArray(value) ? 'array' : 'object';
  }
  return typeof value;
}

/** "name(a, b = 1)" from a function's own source (parameters only). */
// biome-ignore lint/complexity/noBannedTypes: any function a cell holds; `typeof x === 'function'` narrows unknown to Function
export function sourceSignature(fn: Function, name: string): string {
  const source = Function.prototype.toString.call(fn);
  if (source.includes('[native code]')) return `${name}(${Array.from({ length: fn.length }, (_, i) => `arg${i}`).join(', ')})`;
  const match = /^[^(]*\(([^)]*)\)/.exec(source) ?? /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(source);
  const params = match ? match[1].replace(/\s+/g, ' ').trim() : '';
  return `${name}(${params})`;
}

/** One line describing a value, e.g. "Tensor float32 [10, 784]" or "object {datasets, partition, …}". */
export function summaryOf(value: unknown): string {
  if (isTensorLike(value)) return `Tensor ${value.dtype} [${value.shape.join(', ')}]`;
  if (isTypedArray(value)) return `${Object.prototype.toString.call(value).slice(8, -1)}(${value.length})`;
  if (isRunResult(value)) return `run ${value.id} with ${value.rounds.length} rounds`;
  return inspect(value, { depth: 0, maxArrayLength: 10, maxStringLength: 200, breakLength: Infinity });
}

/** Own and inherited property names worth showing (no Object.prototype noise). */
export function memberNames(value: unknown): string[] {
  if (value === null || value === undefined) return [];
  const names = new Set<string>();
  let object: unknown = typeof value === 'object' || typeof value === 'function' ? value : Object(value);
  while (object !== null && object !== undefined) {
    const proto = Object.getPrototypeOf(object);
    if (proto === null) break; // skip Object.prototype (of any realm): it has no prototype
    for (const name of Object.getOwnPropertyNames(object)) {
      if (name !== 'constructor' && !name.startsWith('__') && /^[A-Za-z_$][\w$]*$/.test(name)) names.add(name);
    }
    if (typeof object === 'function' && Object.getPrototypeOf(proto) === null) break;
    object = proto;
  }
  if (typeof value === 'function') for (const hidden of ['length', 'name', 'prototype', 'arguments', 'caller']) names.delete(hidden);
  return [...names].sort();
}

/** The full help text for a value reached by `path` (e.g. ['fed', 'fedAvg']). */
export function describe(value: unknown, path: readonly string[], docs: DocIndex, detail: 0 | 1 = 1): string {
  const name = path.join('.') || 'value';
  const entry: DocEntry | undefined = path.length > 0 ? docs.lookup(path) : undefined;
  const lines: string[] = [];
  if (entry && !/[:=]$/.test(entry.signature)) lines.push(`${name}: ${entry.signature}`);
  else if (typeof value === 'function') lines.push(sourceSignature(value, name));
  else lines.push(`${name}: ${kindOf(value)}`);
  if (entry?.doc) lines.push('', entry.doc);
  if (typeof value !== 'function' && value !== undefined) lines.push('', summaryOf(value));
  if (detail === 1 && value !== null && typeof value === 'object' && !Array.isArray(value) && !isTensorLike(value) && !isTypedArray(value)) {
    const members = memberNames(value);
    if (members.length > 0) {
      lines.push('', 'Members:');
      for (const member of members.slice(0, 60)) {
        let memberValue: unknown;
        try {
          memberValue = (value as Record<string, unknown>)[member];
        } catch {
          memberValue = undefined;
        }
        const memberDoc = docs.lookup([...path, member])?.doc.split('\n')[0];
        lines.push(`  ${member} (${kindOf(memberValue)})${memberDoc ? ` – ${memberDoc}` : ''}`);
      }
    }
  }
  return lines.join('\n');
}
