/**
 * Whether a console line is a whole cell (`is_complete_request`): open
 * brackets, template literals or block comments mean "incomplete", and so does
 * esbuild reporting an unexpected end of file; any other parse error is "invalid".
 */
import { stripTypes, CellSyntaxError } from './compile-cell';

/** The answer to an is_complete_request. */
export type Completeness = { status: 'complete' | 'incomplete' | 'invalid' | 'unknown'; indent?: string };

/** Open brackets (and an unterminated template or comment) at the end of `code`. */
export function openBrackets(code: string): { depth: number; unterminated: boolean; brokenString: boolean } {
  const stack: string[] = [];
  let i = 0;
  const n = code.length;
  // Template literal nesting: each entry is the bracket depth where a `${` opened.
  const templates: number[] = [];
  let inTemplate = false;
  while (i < n) {
    const c = code[i];
    if (inTemplate) {
      if (c === '\\') i += 2;
      else if (c === '`') {
        inTemplate = false;
        i++;
      } else if (c === '$' && code[i + 1] === '{') {
        templates.push(stack.length);
        stack.push('{');
        inTemplate = false;
        i += 2;
      } else i++;
      continue;
    }
    if (c === '/' && code[i + 1] === '/') {
      while (i < n && code[i] !== '\n') i++;
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return { depth: stack.length, unterminated: true, brokenString: false };
      i = end + 2;
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && code[i] !== c) {
        if (code[i] === '\n') return { depth: stack.length, unterminated: false, brokenString: true };
        i += code[i] === '\\' ? 2 : 1;
      }
      if (i >= n) return { depth: stack.length, unterminated: false, brokenString: true };
      i++;
    } else if (c === '`') {
      inTemplate = true;
      i++;
    } else if (c === '(' || c === '[' || c === '{') {
      stack.push(c);
      i++;
    } else if (c === ')' || c === ']' || c === '}') {
      stack.pop();
      if (c === '}' && templates.length > 0 && templates[templates.length - 1] === stack.length) {
        templates.pop();
        inTemplate = true;
      }
      i++;
    } else {
      i++;
    }
  }
  return { depth: stack.length, unterminated: inTemplate, brokenString: false };
}

/** Whether `code` is a whole cell; when incomplete, `indent` is the next line's indentation. */
export function isComplete(code: string): Completeness {
  if (code.trim() === '') return { status: 'complete' };
  const { depth, unterminated, brokenString } = openBrackets(code);
  if (brokenString) return { status: 'invalid' };
  if (unterminated) return { status: 'incomplete', indent: '' };
  if (depth > 0) return { status: 'incomplete', indent: '  '.repeat(depth) };
  try {
    stripTypes(code);
    return { status: 'complete' };
  } catch (error) {
    if (error instanceof CellSyntaxError) {
      return /end of file/i.test(error.text) ? { status: 'incomplete', indent: '' } : { status: 'invalid' };
    }
    return { status: 'unknown' };
  }
}
