/**
 * TSDoc for what cells can call, read from the compiled declaration files
 * (out/kernel/**\/*.d.ts keep the comments). A small line-based reader: tsc
 * prints one declaration or member per line, so a stack of open braces is
 * enough to know that `clientLr` sits inside `FedAvgOptions`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The documentation of one declaration. */
export interface DocEntry {
  /** Qualified name, e.g. "fed.datasets.mnist" or "FedAvgOptions.clientLr". */
  readonly name: string;
  /** The declaration as written in the .d.ts, e.g. "fedAvg(options: FedAvgOptions): Algorithm". */
  readonly signature: string;
  /** The comment's text without the stars (may be empty). */
  readonly doc: string;
}

/** Documentation looked up by property path. */
export interface DocIndex {
  /** Best entry for a property path like ['fed', 'datasets', 'mnist']: the longest suffix that is documented. */
  lookup(path: readonly string[]): DocEntry | undefined;
  readonly size: number;
}

const MODIFIERS = /^(?:(?:export|declare|default|readonly|static|public|protected|abstract|async|get|set)\s+)+/;
const DECLARATION = /^(?:function\*?|const|let|var|class|interface|type|namespace|module|enum)\s+([A-Za-z_$][\w$]*)/;
const MEMBER = /^([A-Za-z_$][\w$]*)\??\s*[(:<]/;
/** `name(…)`, `function name(…)` or `name: (…) =>`: a signature, never a container of members. */
const FUNCTION_LIKE = /^(?:function\*?\s+)?[A-Za-z_$][\w$]*\??\s*(?:<[^>]*>)?\s*\(|^[A-Za-z_$][\w$]*\??\s*:\s*(?:<[^>]*>)?\s*\(/;

/** Text of a `/** … *\/` comment without its delimiters and leading stars. */
export function commentText(comment: string): string {
  return comment
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

/** Parses one declaration file's text into entries. */
export function parseDeclarations(text: string): DocEntry[] {
  const entries: DocEntry[] = [];
  const lines = text.split('\n');
  const stack: { name: string; depth: number }[] = [];
  let depth = 0;
  let pendingDoc = '';
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].trim();
    if (line.startsWith('/**')) {
      let comment = line;
      while (!comment.includes('*/') && i + 1 < lines.length) comment += '\n' + lines[++i];
      pendingDoc = commentText(comment.slice(0, comment.indexOf('*/') + 2));
      continue;
    }
    if (line.startsWith('//') || line.startsWith('*') || line === '') continue;
    // Gather a multi-line parameter list so the signature is whole.
    let extra = 0;
    while (count(line, '(') > count(line, ')') && i + 1 + extra < lines.length && extra < 20) {
      extra++;
      line += ' ' + lines[i + extra].trim();
    }
    // A function whose return type is an object literal: keep the whole type in the signature.
    if (FUNCTION_LIKE.test(line.replace(MODIFIERS, ''))) {
      while (count(line, '{') > count(line, '}') && i + 1 + extra < lines.length && extra < 40) {
        extra++;
        line += ' ' + lines[i + extra].trim();
      }
    }
    i += extra;
    const bare = line.replace(MODIFIERS, '');
    const name = DECLARATION.exec(bare)?.[1] ?? MEMBER.exec(bare)?.[1];
    const before = depth;
    depth += count(line, '{') - count(line, '}');
    if (name) {
      const qualified = [...stack.map((s) => s.name), name].join('.');
      const signature = bare
        .replace(/\s*\{$/, '')
        .replace(/;$/, '')
        .replace(/\s+/g, ' ');
      entries.push({ name: qualified, signature, doc: pendingDoc });
      if (depth > before) stack.push({ name, depth: before });
    }
    while (stack.length > 0 && depth <= stack[stack.length - 1].depth) stack.pop();
    pendingDoc = '';
  }
  return entries;
}

function declarationFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.sort().flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return declarationFiles(path);
    return name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Builds an index from declaration files; earlier files win when a short name is ambiguous. */
export function buildDocIndex(files: readonly string[]): DocIndex {
  const byName = new Map<string, DocEntry>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const entry of parseDeclarations(text)) {
      const existing = byName.get(entry.name);
      // Keep the first documented entry for a name (overloads repeat the name).
      if (!existing || (!existing.doc && entry.doc)) byName.set(entry.name, entry);
      const short = entry.name.split('.').pop()!;
      const shortExisting = byName.get(`#${short}`);
      if (entry.doc && !shortExisting?.doc) byName.set(`#${short}`, entry);
    }
  }
  return {
    size: byName.size,
    lookup(path) {
      for (let start = 0; start < path.length; start++) {
        const found = byName.get(path.slice(start).join('.'));
        if (found && (found.doc || start === path.length - 1)) return found;
      }
      return path.length > 0 ? byName.get(`#${path[path.length - 1]}`) : undefined;
    },
  };
}

let kernelIndex: DocIndex | undefined;

/** The documentation of the `fed` API and the engine (api first), read once from out/kernel. */
export function kernelDocs(): DocIndex {
  if (!kernelIndex) {
    const kernelDir = join(__dirname, '..');
    const folders = ['api', 'contract', 'federated', 'simulation', 'data'];
    kernelIndex = buildDocIndex(folders.flatMap((folder) => declarationFiles(join(kernelDir, folder))));
  }
  return kernelIndex;
}
