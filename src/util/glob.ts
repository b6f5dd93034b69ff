/**
 * Shot-id globs for `--only`: `*` any run of characters, `?` one character, `{a,b}` either; several globs
 * separated by commas. Ids have no `/`, so no path semantics are needed.
 */
export function compileGlobs(patterns: readonly string[]): (id: string) => boolean {
  const regexes = patterns
    .flatMap((p) => splitTopLevel(p))
    .filter((p) => p.length > 0)
    .map(globToRegExp);
  return (id) => regexes.some((r) => r.test(id));
}

function globToRegExp(glob: string): RegExp {
  let out = '';
  let depth = 0;
  for (const ch of glob) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '{') {
      depth++;
      out += '(?:';
    } else if (ch === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (ch === ',' && depth > 0) out += '|';
    else out += ch.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}${')'.repeat(depth)}$`);
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '{') depth++;
    if (ch === '}') depth = Math.max(0, depth - 1);
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  parts.push(current.trim());
  return parts;
}
