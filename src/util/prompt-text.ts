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

/** The prompt fields of a request, each normalized; other fields as they are. */
export function normalizeRequestText<T extends Record<string, unknown>>(request: T): T {
  const out: Record<string, unknown> = { ...request };
  for (const key of ['prompt', 'negative_prompt'] as const) {
    if (typeof out[key] === 'string') out[key] = normalizePromptText(out[key] as string);
  }
  if (Array.isArray(out.multi_prompt)) {
    out.multi_prompt = out.multi_prompt.map((item: unknown) =>
      item && typeof item === 'object' && typeof (item as { prompt?: unknown }).prompt === 'string'
        ? { ...item, prompt: normalizePromptText((item as { prompt: string }).prompt) }
        : item,
    );
  }
  return out as T;
}
