/**
 * Prompts are normalized before they are fingerprinted and sent (docs/SPEC.md "Prompts"), so an invisible edit
 * (a trailing newline in a partial, CRLF line endings, spaces at the ends of lines, an extra blank line) never
 * costs a render: line endings become `\n`, spaces and tabs at the end of a line go, a run of blank lines becomes
 * one, and the whole is trimmed. Spaces inside a line are kept: they are visible to the model.
 */
export function normalizePromptText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const WORD_BEFORE = /[\p{L}\p{N}\p{M}_]$/u;
const WORD_AFTER = /^[\p{L}\p{N}_]/u;

/**
 * A prompt as its fingerprint sees it (docs/SPEC.md "Prompts"): its words and punctuation, not its spacing. Whitespace
 * between two word characters is one space; anywhere else (a line break before a comma that a partial's final
 * newline brought, a space before a full stop) it is nothing. So `light,\n the` and `light, the` are one take,
 * while `a cat` and `acat` are not.
 */
export function promptKey(text: string): string {
  return normalizePromptText(text).replace(/\s+/gu, (gap: string, at: number, all: string) =>
    WORD_BEFORE.test(all.slice(Math.max(0, at - 2), at)) && WORD_AFTER.test(all.slice(at + gap.length, at + gap.length + 2)) ? ' ' : '',
  );
}

/** The prompt fields of a request (prompt, negative_prompt, multi_prompt[].prompt) mapped by `f`; other fields as they are. */
function mapPrompts<T extends Record<string, unknown>>(request: T, f: (text: string) => string): T {
  const out: Record<string, unknown> = { ...request };
  for (const key of ['prompt', 'negative_prompt'] as const) {
    if (typeof out[key] === 'string') out[key] = f(out[key] as string);
  }
  if (Array.isArray(out.multi_prompt)) {
    out.multi_prompt = out.multi_prompt.map((item: unknown) =>
      item && typeof item === 'object' && typeof (item as { prompt?: unknown }).prompt === 'string'
        ? { ...item, prompt: f((item as { prompt: string }).prompt) }
        : item,
    );
  }
  return out as T;
}

/** The prompt fields of a request, each normalized; other fields as they are. */
export function normalizeRequestText<T extends Record<string, unknown>>(request: T): T {
  return mapPrompts(request, normalizePromptText);
}

/** The prompt fields of a request as the fingerprint sees them (`promptKey`); other fields as they are. */
export function requestKey<T extends Record<string, unknown>>(request: T): T {
  return mapPrompts(request, promptKey);
}
