/**
 * Completion and inspection on the live context: `fed.da|` lists the members
 * of the real `fed` object, `algo.|` those of the user's algorithm, and a bare
 * prefix completes globals, declared names and keywords. Positions follow the
 * Jupyter protocol: cursor offsets count Unicode code points.
 */
import type { CompletionResult, InspectionResult } from './executor';
import type { DocIndex } from './docs';
import { describe, kindOf, memberNames, sourceSignature } from './describe';

const IDENT_TAIL = /[A-Za-z_$][\w$]*$/;
const CHAIN_BEFORE_DOT = /((?:[A-Za-z_$][\w$]*\s*\??\.\s*)*[A-Za-z_$][\w$]*)\s*\??\.\s*$/;

const KEYWORDS = [
  'await',
  'async',
  'break',
  'case',
  'catch',
  'class',
  'const',
  'continue',
  'default',
  'delete',
  'do',
  'else',
  'export',
  'extends',
  'false',
  'finally',
  'for',
  'function',
  'if',
  'import',
  'in',
  'instanceof',
  'let',
  'new',
  'null',
  'return',
  'switch',
  'this',
  'throw',
  'true',
  'try',
  'typeof',
  'undefined',
  'var',
  'void',
  'while',
  'yield',
];

/** UTF-16 index of a code-point offset (Jupyter counts code points). */
export function utf16Index(text: string, codePoints: number): number {
  let index = 0;
  for (let seen = 0; seen < codePoints && index < text.length; seen++) {
    index += text.codePointAt(index)! > 0xffff ? 2 : 1;
  }
  return index;
}

/** Code-point offset of a UTF-16 index. */
export function codePointOffset(text: string, index: number): number {
  return Array.from(text.slice(0, index)).length;
}

/** Follows a property path from the context's global; undefined when any step fails. */
export function resolvePath(root: object, path: readonly string[]): { found: boolean; value: unknown } {
  let value: unknown = root;
  for (const key of path) {
    if (value === null || value === undefined) return { found: false, value: undefined };
    try {
      if (!(key in Object(value))) return { found: false, value: undefined };
      value = (value as Record<string, unknown>)[key];
    } catch {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value };
}

/** Names a cell declares at top level, found by a quick scan (for completion before it ran). */
function declaredIn(code: string): string[] {
  const names = new Set<string>();
  for (const match of code.matchAll(/\b(?:const|let|var|function\*?|class)\s+([A-Za-z_$][\w$]*)/g)) names.add(match[1]);
  return [...names];
}

/** Where completion and inspection look names up. */
export interface CompletionContext {
  /** The cell context's global object (user variables, helpers and builtins). */
  readonly global: object;
  readonly docs: () => DocIndex;
}

/** Completions at a cursor (code points): members of a live object after a dot, else globals, declared names and keywords. */
export function complete(code: string, cursorPos: number, context: CompletionContext): CompletionResult {
  const cursor = utf16Index(code, cursorPos);
  const before = code.slice(0, cursor);
  const partial = IDENT_TAIL.exec(before)?.[0] ?? '';
  const head = before.slice(0, before.length - partial.length);
  const start = codePointOffset(code, cursor - partial.length);
  const empty = { matches: [], cursorStart: cursorPos, cursorEnd: cursorPos };

  let candidates: string[];
  let owner: unknown;
  let path: string[] = [];
  const chain = CHAIN_BEFORE_DOT.exec(head);
  if (chain) {
    const preceding = head.slice(0, chain.index).trimEnd();
    if (/[)\].]$/.test(preceding)) return empty; // `f().x.` : not a plain path
    path = chain[1].split('.').map((part) => part.replace('?', '').trim());
    const resolved = resolvePath(context.global, path);
    if (!resolved.found || resolved.value === null || resolved.value === undefined) return empty;
    owner = resolved.value;
    candidates = memberNames(owner);
  } else if (/\.\s*$/.test(head)) {
    return empty;
  } else {
    owner = context.global;
    candidates = [...new Set([...Object.getOwnPropertyNames(context.global), ...declaredIn(code), ...KEYWORDS])].filter(
      (name) => /^[A-Za-z_$][\w$]*$/.test(name) && !name.startsWith('__'),
    );
  }
  const matches = candidates.filter((name) => name.startsWith(partial)).sort((a, b) => a.localeCompare(b));
  const types = matches.map((name) => {
    let value: unknown;
    try {
      value = (owner as Record<string, unknown>)[name];
    } catch {
      value = undefined;
    }
    const entry = context.docs().lookup([...path, name]);
    const signature = entry?.signature ?? (typeof value === 'function' ? sourceSignature(value, name) : '');
    return { start, end: cursorPos, text: name, type: KEYWORDS.includes(name) && value === undefined ? 'keyword' : kindOf(value), signature };
  });
  return { matches, cursorStart: start, cursorEnd: cursorPos, metadata: { _jupyter_types_experimental: types } };
}

/** The dotted name under (or just before) the cursor, e.g. "fed.fedAvg" in `fed.fed|Avg(`. */
export function nameAt(code: string, cursorPos: number): string[] | undefined {
  const cursor = utf16Index(code, cursorPos);
  let left = /[A-Za-z_$][\w$]*(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*\s*\??\.?\s*$/.exec(code.slice(0, cursor))?.[0] ?? '';
  const right = /^[\w$]*/.exec(code.slice(cursor))?.[0] ?? '';
  if (left === '' && right === '') {
    // Just after an opening parenthesis: inspect the function being called.
    const call = /([A-Za-z_$][\w$]*(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*)\s*\(\s*\{?\s*$/.exec(code.slice(0, cursor));
    if (!call) return undefined;
    left = call[1];
  }
  const text = (left + right).replace(/\s+/g, '').replace(/\?\./g, '.').replace(/\.$/, '');
  return text ? text.split('.') : undefined;
}

/** Documentation and a value summary for the name under the cursor (Shift+Tab). */
export function inspectAt(code: string, cursorPos: number, detailLevel: 0 | 1, context: CompletionContext): InspectionResult {
  const path = nameAt(code, cursorPos);
  if (!path) return { found: false, data: {} };
  const resolved = resolvePath(context.global, path);
  const entry = context.docs().lookup(path);
  // An unknown name is found only when documented under exactly that path (not by a member's short name).
  if (!resolved.found && entry?.name !== path.join('.')) return { found: false, data: {} };
  const text = describe(resolved.value, path, context.docs(), detailLevel);
  return { found: true, data: { 'text/plain': text } };
}
