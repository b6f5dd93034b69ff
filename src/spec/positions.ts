import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { Issue } from '../errors.js';
import { formatFieldPath } from '../util/paths.js';

/**
 * Positions in the JSON files render reads back (the lockfile, saved plans), so their errors name
 * `file:line:col field` like the spec's do. Only used on the error path: nothing here runs for a good file.
 */

export interface Position {
  line: number;
  col: number;
}

/** 1-based line and column of a character offset. */
export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lastBreak = before.lastIndexOf('\n');
  let line = 1;
  for (let i = before.indexOf('\n'); i >= 0; i = before.indexOf('\n', i + 1)) line++;
  return { line, col: before.length - lastBreak };
}

/**
 * A JSON.parse failure: V8's reason, without the multi-line excerpt its `Unexpected token` form quotes, and,
 * when V8 says where (`at position N`, or the end of the input), an issue at that line:col showing the line.
 */
export function jsonSyntaxError(file: string, text: string, err: unknown): { reason: string; issue?: Issue } {
  const raw = err instanceof Error ? err.message : String(err);
  const at = /\bat position (\d+)/.exec(raw);
  const offset = at ? Number(at[1]) : /Unexpected end of JSON input/.test(raw) ? text.length : undefined;
  const reason = raw
    .replace(/, ".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/ at position \d+.*$/s, '')
    .split('\n')[0]!
    .trim();
  if (offset === undefined) return { reason };
  const pos = positionAt(text, offset);
  const line = text.split('\n')[pos.line - 1] ?? '';
  const excerpt = line.slice(Math.max(0, pos.col - 30), pos.col + 30).trim();
  return { reason, issue: { file, ...pos, message: excerpt ? `here: ${excerpt}` : 'here (the end of the file)' } };
}

/** Where the node at a path of a parsed YAML (or JSON) document starts, or its nearest existing parent's. */
export function documentLocator(doc: Document, lineCounter: LineCounter): (path: readonly PropertyKey[]) => Position | undefined {
  return (p) => {
    for (const path = p.map((k) => (typeof k === 'symbol' ? String(k) : k)); ; path.pop()) {
      const node = path.length ? doc.getIn(path, true) : doc.contents;
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]);
      if (path.length === 0) return undefined;
    }
  };
}

/** Where a field of a parsed JSON text is (or its nearest existing parent): for schema errors. */
function jsonLocator(text: string): (path: readonly PropertyKey[]) => Position | undefined {
  const lineCounter = new LineCounter();
  // JSON is YAML 1.2 flow syntax; the parser is only asked where nodes are, never what they mean.
  return documentLocator(parseDocument(text, { lineCounter, logLevel: 'silent', uniqueKeys: false }), lineCounter);
}

/** Issues for fields of a JSON file: `file:line:col field.path: message`. */
export function jsonFieldIssues(file: string, text: string, problems: readonly { path: readonly PropertyKey[]; message: string }[]): Issue[] {
  const locate = jsonLocator(text);
  return problems.map(({ path, message }) => {
    const pos = locate(path);
    return { file, line: pos?.line, col: pos?.col, path: formatFieldPath(path) || undefined, message };
  });
}
