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
    const { e } = first;
    // An unclosed quote is found where the file ends: point at the quote that opened it instead.
    const opened = /closing "?quote/i.test(e.message) ? (quoteOnLine(source, first.pos?.line) ?? openQuote(source)) : undefined;
    const pos = opened ?? first.pos;
    const rest = syntax.length - 1;
    const readOn = opened && first.pos && first.pos.line !== opened.line ? ` (YAML read on to line ${first.pos.line} looking for its end)` : '';
    const cause = opened ? `this quote is never closed${readOn}` : likelyCause(e.code, e.message, lineOf(source, pos?.line));
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

/**
 * Where the double-quoted value that never closes opens: the last `"` starting a value (after `: `, `- `, `[`, `{`
 * or `,`) that no later `"` closes. Undefined when it cannot be told.
 */
function openQuote(source: string): { line: number; col: number } | undefined {
  const lines = source.split('\n');
  let open: { line: number; col: number } | undefined;
  lines.forEach((text, i) => {
    for (let c = 0; c < text.length; c++) {
      const ch = text[c];
      if (open) {
        if (ch === '\\') c++;
        else if (ch === '"') open = undefined;
      } else if (ch === '#' && (c === 0 || text[c - 1] === ' ')) break;
      else if (ch === '"' && /(^|[:\-[{,]\s*|^\s*)$/.test(text.slice(0, c))) open = { line: i + 1, col: c + 1 };
    }
  });
  return open;
}

/** The quote that opens a value on this line (`key: "...`, `- "...`) and is not closed on it. */
function quoteOnLine(source: string, line: number | undefined): { line: number; col: number } | undefined {
  const m = /^(\s*(?:-\s+)?(?:[^:#"'\s][^:#]*:\s+)?)"((?:[^"\\]|\\.)*)$/.exec(lineOf(source, line));
  return m && line !== undefined ? { line, col: m[1]!.length + 1 } : undefined;
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
