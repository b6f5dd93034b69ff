import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { RenderError, type Issue } from '../errors.js';
import { displayPath } from '../util/paths.js';
import { documentLocator } from './positions.js';
import { yamlIssues } from './yaml-errors.js';

/** A spec file read from disk: its plain data plus what is needed to point errors at lines and columns. */
export interface LoadedSpec {
  /** Absolute path of the spec file. */
  file: string;
  /** The path as shown to the user (relative to the working directory when inside it). */
  shown: string;
  /** Folder that relative paths in the spec resolve against. */
  dir: string;
  data: unknown;
  /** `line:col` of the node at a path, or of its nearest existing parent. */
  locate(pathInSpec: readonly PropertyKey[]): { line: number; col: number } | undefined;
}

/** Big enough for 10,000-shot specs, small enough that a hostile file is refused before parsing. */
const MAX_SPEC_BYTES = 16 * 1024 * 1024;

export function loadSpec(file: string): LoadedSpec {
  const abs = path.resolve(file);
  const shown = displayPath(abs);
  const source = readSpecSource(abs, shown);
  const lineCounter = new LineCounter();
  // logLevel 'error': the library's own warnings (a list used as a key...) must not print on stderr; the
  // problems they point at are reported as spec errors.
  const doc = parseYaml(source, shown, lineCounter);
  const locate = documentLocator(doc, lineCounter);

  const syntax = yamlIssues(doc.errors, source, shown, lineCounter);
  if (syntax.length > 0) throw specInvalid(shown, syntax);

  let data: unknown;
  try {
    // Aliases are resolved here; an undefined alias or an alias bomb throws ReferenceError, not doc.errors.
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const bomb = /alias count/i.test(message);
    const unresolved = /^Unresolved alias .*: (.+)$/.exec(message)?.[1];
    const pos = firstAlias(doc, lineCounter, bomb ? undefined : unresolved);
    throw specInvalid(shown, [
      {
        file: shown,
        line: pos?.line,
        col: pos?.col,
        message: bomb
          ? 'too many YAML aliases (refused as a resource exhaustion attack)'
          : unresolved
            ? `YAML alias *${unresolved} has no anchor &${unresolved} before it`
            : message,
      },
    ]);
  }
  const deep = deepestPath(data);
  if (deep.length > MAX_DEPTH) {
    const pos = locate(deep.slice(0, MAX_DEPTH + 1));
    throw specInvalid(shown, [
      { file: shown, line: pos?.line, col: pos?.col, message: `the YAML nests more than ${MAX_DEPTH} levels deep (refused as a resource exhaustion attack)` },
    ]);
  }
  if (data === null || data === undefined) {
    throw specInvalid(shown, [{ file: shown, line: 1, col: 1, message: 'the spec is empty' }]);
  }
  return { file: abs, shown, dir: path.dirname(abs), data, locate };
}

/** Deeper than any spec needs (vars of vars of vars...), shallow enough for every recursive step after it. */
const MAX_DEPTH = 64;

/** The YAML parser recurses per level of a block map: a hostile file overflows the stack inside it. Refused, located. */
function parseYaml(source: string, shown: string, lineCounter: LineCounter): Document {
  try {
    return parseDocument(source, { lineCounter, prettyErrors: false, logLevel: 'error' });
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const lines = source.split('\n');
    let line = 0;
    lines.forEach((l, i) => {
      if (l.length - l.trimStart().length > lines[line]!.length - lines[line]!.trimStart().length) line = i;
    });
    throw specInvalid(shown, [
      { file: shown, line: line + 1, col: 1, message: 'the YAML is nested too deeply to read (refused as a resource exhaustion attack)' },
    ]);
  }
}

/** The path to the most deeply nested value, found without recursion (it runs before anything else may recurse). */
function deepestPath(data: unknown): (string | number)[] {
  let deepest: (string | number)[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: data, path: [] }];
  while (stack.length > 0) {
    const { value, path: p } = stack.pop()!;
    if (p.length > deepest.length) deepest = p;
    if (p.length > MAX_DEPTH) break;
    if (Array.isArray(value)) for (const [i, v] of value.entries()) stack.push({ value: v, path: [...p, i] });
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) stack.push({ value: v, path: [...p, k] });
  }
  return deepest;
}

function readSpecSource(abs: string, shown: string): string {
  let size: number;
  try {
    const st = statSync(abs);
    if (st.isDirectory()) {
      throw new RenderError('FILE_UNREADABLE', `${shown} is a folder, not a spec file`, {
        hint: 'pass the path of a .yaml spec, e.g. specs/spring-launch.yaml',
      });
    }
    size = st.size;
  } catch (err) {
    if (err instanceof RenderError) throw err;
    throw new RenderError('FILE_NOT_FOUND', `spec file not found: ${shown}`, {
      hint: 'check the path; specs usually live in specs/*.yaml',
      cause: err,
    });
  }
  if (size > MAX_SPEC_BYTES) {
    throw new RenderError('FILE_UNREADABLE', `${shown} is ${size} bytes, more than a spec may be (16 MiB)`);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(abs);
  } catch (err) {
    throw new RenderError('FILE_UNREADABLE', `cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      cause: err,
    });
  }
  const text = bytes.toString('utf8');
  // Invalid bytes decode to U+FFFD silently, and would reach the API inside a prompt: refuse them, located.
  const bad = text.includes('\uFFFD') ? firstInvalidUtf8(bytes) : -1;
  if (bad >= 0) {
    const before = bytes.subarray(0, bad).toString('utf8');
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    const byte = `0x${bytes[bad]!.toString(16).toUpperCase().padStart(2, '0')}`;
    throw specInvalid(shown, [
      {
        file: shown,
        line,
        col,
        message: `the file is not valid UTF-8 (byte ${byte}); save it as UTF-8 (it may be Latin-1 or Windows-1252)`,
      },
    ]);
  }
  return text;
}

/** Byte offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1. */
function firstInvalidUtf8(b: Buffer): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Lead byte: how many continuation bytes, and the range the first of them must be in (no overlongs,
    // no surrogates, nothing past U+10FFFF).
    const [n, lo, hi] =
      c >= 0xc2 && c <= 0xdf
        ? [1, 0x80, 0xbf]
        : c === 0xe0
          ? [2, 0xa0, 0xbf]
          : c === 0xed
            ? [2, 0x80, 0x9f]
            : c >= 0xe1 && c <= 0xef
              ? [2, 0x80, 0xbf]
              : c === 0xf0
                ? [3, 0x90, 0xbf]
                : c === 0xf4
                  ? [3, 0x80, 0x8f]
                  : c >= 0xf1 && c <= 0xf3
                    ? [3, 0x80, 0xbf]
                    : [0, 0, 0];
    if (n === 0) return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || (k === 1 ? x < lo || x > hi : (x & 0xc0) !== 0x80)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** Where the first alias (or the first alias named `name`) is: the place to point at when aliases fail. */
function firstAlias(doc: Document, lc: LineCounter, name?: string): { line: number; col: number } | undefined {
  let found: number | undefined;
  visit(doc, {
    Alias(_, node) {
      if (name !== undefined && node.source !== name) return undefined;
      found = node.range?.[0];
      return visit.BREAK;
    },
  });
  return found === undefined ? undefined : lc.linePos(found);
}

export function specInvalid(shown: string, issues: Issue[]): RenderError {
  const n = issues.length;
  return new RenderError('SPEC_INVALID', `${shown}: ${n} ${n === 1 ? 'error' : 'errors'}`, {
    issues,
    hint: 'fix the spec and run `render validate` again',
  });
}
