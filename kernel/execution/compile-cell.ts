/**
 * Turns one notebook cell (TypeScript or JavaScript) into a script that runs
 * in the kernel's persistent `vm` context:
 *
 * 1. esbuild strips the types (no type checking: a type error never blocks a run);
 * 2. acorn parses the JavaScript, and top-level declarations become assignments
 *    to context globals, so that a later cell sees them and a rerun may
 *    redeclare a `const`;
 * 3. the body is wrapped in an async arrow function (top-level `await`) that
 *    returns the last expression's value.
 *
 * The result remembers how to map a (line, column) of the script back to the cell.
 */
import { transformSync } from 'esbuild';
import { parse } from 'acorn';
import type { Node, Pattern, Program, Statement, ModuleDeclaration, ImportDeclaration } from 'acorn';
import { SourceMap } from 'node:module';
import { SourceEdits, lineStarts, positionOf } from './source-edits';

/** Name of the context global holding the kernel's helpers for rewritten cells. */
export const RUNTIME_GLOBAL = '__fedbook';

/** A cell that failed to parse, with its position in the cell (1-based line and column). */
export class CellSyntaxError extends Error {
  override readonly name = 'SyntaxError';
  constructor(
    readonly text: string,
    readonly line: number,
    readonly column: number,
    readonly lineText: string,
  ) {
    super(`${text} (${line}:${column})`);
  }
}

/** A cell ready to run, with the map back to its own lines and columns. */
export interface CompiledCell {
  /** Script text for vm.Script: an expression evaluating to a Promise of `[lastValue]` or undefined. */
  readonly script: string;
  /** Names the cell declares at top level: they must exist on the context before the script runs. */
  readonly declared: readonly string[];
  /** Maps a 1-based line/column of the script to a 1-based line/column of the cell. */
  toCellPosition(line: number, column: number): { line: number; column: number } | undefined;
}

const ESBUILD_OPTIONS = {
  loader: 'ts' as const,
  format: 'esm' as const,
  sourcemap: 'external' as const,
  // Keep every import: one cell's import is often used only by later cells.
  tsconfigRaw: { compilerOptions: { verbatimModuleSyntax: true } },
};

/** Transpiles with esbuild; throws CellSyntaxError with the cell's position. */
export function stripTypes(code: string): { js: string; map: string } {
  try {
    const result = transformSync(code, { ...ESBUILD_OPTIONS, sourcefile: 'cell' });
    return { js: result.code, map: result.map };
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number; lineText: string } }[] }).errors?.[0];
    if (!first) throw error;
    const location = first.location ?? { line: 1, column: 0, lineText: '' };
    throw new CellSyntaxError(first.text, location.line, location.column + 1, location.lineText);
  }
}

/** Compiles a cell; throws CellSyntaxError when it does not parse. */
export function compileCell(code: string): CompiledCell {
  const { js, map } = stripTypes(code);
  const sourceMap = new SourceMap(JSON.parse(map));
  const jsStarts = lineStarts(js);
  const toCellFromJs = (offset: number): { line: number; column: number } | undefined => {
    const { line, column } = positionOf(jsStarts, offset);
    const entry = sourceMap.findEntry(line, column) as { originalLine?: number; originalColumn?: number };
    if (entry?.originalLine === undefined || entry.originalColumn === undefined) return undefined;
    return { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  };

  let program: Program;
  try {
    program = parse(js, { ecmaVersion: 'latest', sourceType: 'module', allowAwaitOutsideFunction: true });
  } catch (error) {
    const pos = (error as { pos?: number }).pos ?? 0;
    const at = toCellFromJs(pos) ?? { line: 1, column: 1 };
    const message = String((error as Error).message).replace(/ \(\d+:\d+\)$/, '');
    throw new CellSyntaxError(message, at.line, at.column, code.split('\n')[at.line - 1] ?? '');
  }

  const edits = new SourceEdits(js);
  const declared = new Set<string>();
  const hoistedFunctions: string[] = [];
  const body = program.body;
  body.forEach((statement, index) => {
    const isLast = index === body.length - 1;
    rewriteStatement(statement, isLast, js, edits, { declared, hoistedFunctions });
  });

  // `import('x')` anywhere: vm scripts have no module loader of their own.
  walk(program, (node) => {
    if (node.type === 'ImportExpression') edits.replace(node.start, node.start + 'import'.length, `${RUNTIME_GLOBAL}.dynamicImport`);
  });

  const { text, toSourceOffset } = edits.apply();
  const hoist = hoistedFunctions.map((name) => `globalThis[${JSON.stringify(name)}] = ${name};`).join(' ');
  const script = `(async () => { ${hoist}\n${text}\n})()`;
  const textStarts = lineStarts(text);
  return {
    script,
    declared: [...declared],
    toCellPosition(line, column) {
      const bodyLine = line - 2; // line 1 of the script is the wrapper's head
      if (bodyLine < 0 || bodyLine >= textStarts.length) return undefined;
      const offset = Math.min(textStarts[bodyLine] + column - 1, text.length);
      return toCellFromJs(toSourceOffset(offset));
    },
  };
}

interface Collected {
  declared: Set<string>;
  hoistedFunctions: string[];
}

function rewriteStatement(statement: Statement | ModuleDeclaration, isLast: boolean, js: string, edits: SourceEdits, collected: Collected): void {
  switch (statement.type) {
    case 'ImportDeclaration':
      edits.replace(statement.start, statement.end, importToAssignments(statement, js, collected));
      return;
    case 'VariableDeclaration': {
      for (const declarator of statement.declarations) {
        for (const name of patternNames(declarator.id)) {
          collected.declared.add(name);
        }
      }
      const keywordEnd = statement.start + statement.kind.length;
      const uninitialised = statement.declarations.filter((d) => d.init === null);
      if (statement.kind === 'var' && uninitialised.length === statement.declarations.length) {
        // `var x;` keeps the current value, as a rerun of a script would.
        edits.replace(statement.start, statement.end, ';'.padEnd(statement.end - statement.start));
        return;
      }
      edits.replace(statement.start, keywordEnd, '(');
      for (const declarator of statement.declarations) {
        if (declarator.init === null) edits.insert(declarator.id.end, statement.kind === 'var' ? '' : ' = undefined');
      }
      const end = js[statement.end - 1] === ';' ? statement.end - 1 : statement.end;
      edits.insert(end, ')');
      return;
    }
    case 'FunctionDeclaration':
      if (statement.id) {
        collected.declared.add(statement.id.name);
        collected.hoistedFunctions.push(statement.id.name);
      }
      return;
    case 'ClassDeclaration':
      if (statement.id) {
        collected.declared.add(statement.id.name);
        edits.insert(statement.end, ` globalThis[${JSON.stringify(statement.id.name)}] = ${statement.id.name};`);
      }
      return;
    case 'ExportNamedDeclaration':
      if (statement.declaration) {
        edits.replace(statement.start, statement.declaration.start, '');
        rewriteStatement(statement.declaration, isLast, js, edits, collected);
      } else {
        edits.replace(statement.start, statement.end, '');
      }
      return;
    case 'ExportDefaultDeclaration':
    case 'ExportAllDeclaration':
      edits.replace(statement.start, statement.end, '');
      return;
    case 'ExpressionStatement':
      // A lone string is parsed as a directive; as the last line of a cell it is a value to show.
      if (isLast && !('directive' in statement && statement.directive === 'use strict')) {
        // The statement's range, not the expression's: acorn leaves the parentheses of `({ a: 1 })` outside.
        const end = js[statement.end - 1] === ';' ? statement.end - 1 : statement.end;
        edits.insert(statement.start, 'return [(');
        edits.insert(end, ')]');
      }
      return;
    default:
      return;
  }
}

/** `import a, { b as c } from 'x'` → `a = (await __fedbook.load("x")).default, c = ...` on the same lines. */
function importToAssignments(statement: ImportDeclaration, js: string, collected: Collected): string {
  const source = JSON.stringify(String(statement.source.value));
  const lines = js.slice(statement.start, statement.end).split('\n').length;
  const pad = '\n'.repeat(lines - 1);
  if (statement.specifiers.length === 0) return `await ${RUNTIME_GLOBAL}.load(${source});${pad}`;
  const parts: string[] = [];
  for (const specifier of statement.specifiers) {
    const local = specifier.local.name;
    collected.declared.add(local);
    if (specifier.type === 'ImportDefaultSpecifier') parts.push(`${local} = ${RUNTIME_GLOBAL}.$m.default`);
    else if (specifier.type === 'ImportNamespaceSpecifier') parts.push(`${local} = ${RUNTIME_GLOBAL}.$m.namespace`);
    else {
      const imported = specifier.imported.type === 'Identifier' ? specifier.imported.name : String(specifier.imported.value);
      parts.push(`${local} = ${RUNTIME_GLOBAL}.$m.namespace[${JSON.stringify(imported)}]`);
    }
  }
  return `${RUNTIME_GLOBAL}.$m = await ${RUNTIME_GLOBAL}.load(${source}); ${parts.join('; ')};${pad}`;
}

/** Every identifier a binding pattern binds. */
export function patternNames(pattern: Pattern | Node): string[] {
  const node = pattern as Pattern;
  switch (node.type) {
    case 'Identifier':
      return [node.name];
    case 'ObjectPattern':
      return node.properties.flatMap((property) => (property.type === 'RestElement' ? patternNames(property.argument) : patternNames(property.value)));
    case 'ArrayPattern':
      return node.elements.flatMap((element) => (element ? patternNames(element) : []));
    case 'RestElement':
      return patternNames(node.argument);
    case 'AssignmentPattern':
      return patternNames(node.left);
    default:
      return [];
  }
}

/** Visits every node of an acorn tree, depth first. */
function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const value of Object.values(node)) {
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === 'string') walk(child, visit);
    } else if (value && typeof value === 'object' && typeof (value as Node).type === 'string') {
      walk(value as Node, visit);
    }
  }
}
