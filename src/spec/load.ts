import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { RenderError, type Issue } from '../errors.js';
import { displayPath } from '../util/paths.js';
import { documentLocator } from './positions.js';

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
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, logLevel: 'error' });
  const locate = documentLocator(doc, lineCounter);

  const syntax = doc.errors.map((e): Issue => {
    // linePos is only filled in when prettyErrors is on; compute it from the offset ourselves.
    const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
    return { file: shown, line: pos?.line, col: pos?.col, message: yamlMessage(e.code, e.message, source, pos) };
  });
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
  if (data === null || data === undefined) {
    throw specInvalid(shown, [{ file: shown, line: 1, col: 1, message: 'the spec is empty' }]);
  }
  return { file: abs, shown, dir: path.dirname(abs), data, locate };
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

function yamlMessage(code: string, message: string, source: string, pos?: { line: number; col: number }): string {
  // yaml's messages end with "at line L, column C" plus a source excerpt; we print the position ourselves.
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'MULTIPLE_DOCS') return 'more than one YAML document in the file (a second "---" here): a spec is one document';
  if (code === 'RESOURCE_EXHAUSTION' && /call stack/i.test(first)) return 'the YAML is nested too deeply to read (refused as a resource exhaustion attack)';
  if (code === 'DUPLICATE_KEY' && pos) {
    const line = source.split('\n')[pos.line - 1] ?? '';
    const key = /^\s*(?:-\s+)?([^:#]+?)\s*:/.exec(line.slice(pos.col - 1))?.[1] ?? line.trim();
    return `duplicate key "${key}" (each key may appear once in a map)`;
  }
  return `YAML syntax error: ${first}`;
}

export function specInvalid(shown: string, issues: Issue[]): RenderError {
  const n = issues.length;
  return new RenderError('SPEC_INVALID', `${shown}: ${n} ${n === 1 ? 'error' : 'errors'}`, {
    issues,
    hint: 'fix the spec and run `render validate` again',
  });
}
