import type { LineCounter, YAMLError } from 'yaml';
import type { Issue } from '../errors.js';

/**
 * YAML syntax errors as a person needs them (docs/SPEC.md "Rules", errors): one syntax error throws the parser
 * off for the rest of the file, so the rest are a cascade (one unquoted `{{var}}` gave 63). Only the first syntax
 * error is reported, with its likely cause and a count of what followed it; duplicate keys stand on their own and
 * are each reported.
 */
export function yamlIssues(errors: readonly YAMLError[], source: string, shown: string, lineCounter: LineCounter): Issue[] {
  const located = errors.map((e) => ({ e, pos: e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]) }));
  const duplicates = located.filter(({ e }) => e.code === 'DUPLICATE_KEY');
  const syntax = located.filter(({ e }) => e.code !== 'DUPLICATE_KEY');
  const issues = duplicates.map(({ e, pos }) => ({ file: shown, line: pos?.line, col: pos?.col, message: yamlMessage(e.code, e.message, source, pos) }));
  const first = syntax[0];
  if (first) {
    const { e, pos } = first;
    const rest = syntax.length - 1;
    const cause = likelyCause(e.code, e.message, lineOf(source, pos?.line));
    const after = rest > 0 ? ` (${rest} more YAML ${rest === 1 ? 'error' : 'errors'} after it, most likely caused by this one)` : '';
    issues.push({
      file: shown,
      line: pos?.line,
      col: pos?.col,
      message: `${yamlMessage(e.code, e.message, source, pos)}${cause ? `; likely cause: ${cause}` : ''}${after}`,
    });
  }
  return issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

function lineOf(source: string, line: number | undefined): string {
  return line === undefined ? '' : (source.split('\n')[line - 1] ?? '');
}

/** The usual reasons behind a YAML error in a spec, from the error and its line. */
function likelyCause(code: string, message: string, line: string): string | undefined {
  const value = /^\s*(?:-\s+)?[^:#'"]+:\s+(.*)$/.exec(line)?.[1] ?? '';
  const unquoted = (s: string) => s !== '' && !/^["']/.test(s);
  if (line.includes('{{') && !/["'][^"']*\{\{/.test(line)) {
    return 'a value with {{...}} must be quoted, as YAML reads { as the start of a map (write "..." around it, e.g. { template: "partials/origin-{{step}}.hbs" })';
  }
  if (code === 'TAB_AS_INDENT') return 'indent with spaces';
  if (code === 'BLOCK_AS_IMPLICIT_KEY' && unquoted(value) && /: /.test(value)) return 'a value containing ": " must be quoted (write "..." around it)';
  if (/closing "?quote/i.test(message)) return 'a quote opened above is never closed';
  if (code === 'BAD_INDENT' || /indent|column/i.test(code)) return 'check the indentation of this line against the lines above it';
  return undefined;
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
