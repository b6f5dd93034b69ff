import { diffWords } from 'diff';

/**
 * A word-level diff of two prompts (jsdiff), written as `git diff --word-diff=plain` does: removed words in
 * `[-...-]`, added ones in `{+...+}`. With `context`, unchanged runs longer than that many words are cut to their
 * edges with `…`, so a long prompt's one changed word fits in a table cell; without, the whole text.
 */
export function wordDiff(before: string, after: string, context?: number): string {
  const parts = diffWords(before, after);
  return parts
    .map((p, i) => {
      if (p.removed) return `[-${p.value.trim()}-]${p.value.endsWith(' ') ? ' ' : ''}`;
      if (p.added) return `{+${p.value.trim()}+}${p.value.endsWith(' ') ? ' ' : ''}`;
      return context === undefined ? p.value : trimContext(p.value, context, i === 0, i === parts.length - 1);
    })
    .join('')
    .replace(/\s+/g, ' ')
    .trim();
}

function trimContext(text: string, words: number, first: boolean, last: boolean): string {
  const w = text.split(/(\s+)/);
  const tokens = w.filter((t) => t.trim() !== '');
  if (tokens.length <= words * 2 + 1) return text;
  const head = first ? [] : tokens.slice(0, words);
  const tail = last ? [] : tokens.slice(-words);
  const lead = /^\s/.test(text) ? ' ' : '';
  const trail = /\s$/.test(text) ? ' ' : '';
  return `${lead}${head.join(' ')}${head.length ? ' ' : ''}…${tail.length ? ' ' : ''}${tail.join(' ')}${trail}`;
}

export interface DiffPart {
  op: 'same' | 'add' | 'del';
  text: string;
}

/** The same word diff as parts, for markup: unchanged runs (cut to `context` words at each side), removed words, added words. */
export function wordDiffParts(before: string, after: string, context?: number): DiffPart[] {
  const parts = diffWords(before, after);
  return parts.map((p, i) => {
    if (p.added || p.removed) return { op: p.added ? 'add' : 'del', text: p.value };
    return { op: 'same', text: context === undefined ? p.value : trimContext(p.value, context, i === 0, i === parts.length - 1) };
  });
}
