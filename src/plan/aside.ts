import path from 'node:path';
import type { Issue } from '../errors.js';
import type { LoadedSpec } from '../spec/load.js';
import type { ImageRef } from './types.js';

/**
 * What expansion still checks of shots that did not expand, and how a matrix shot's issues are said once
 * (docs/SPEC.md "Rules": all errors of a spec at once, each once).
 */

/** A shot that did not expand, as far as it can still be checked. */
export interface AsideShot {
  id?: string;
  source: number;
  images: ImageRef[];
}

/**
 * The ids and images of shots the schema set aside, where they are plain text (no template to render, no matrix):
 * a shot with a wrong duration still names a missing image or a taken id, and that is said in the same run.
 */
export function setAside(loaded: LoadedSpec, skip: ReadonlySet<number> | undefined): AsideShot[] {
  const raw = (loaded.data as { shots?: unknown }).shots;
  if (!skip || !Array.isArray(raw)) return [];
  const plain = (v: unknown): v is string => typeof v === 'string' && v !== '' && !v.includes('{{');
  const out: AsideShot[] = [];
  for (const source of skip) {
    const shot = raw[source] as Record<string, unknown> | null;
    if (shot === null || typeof shot !== 'object' || Array.isArray(shot) || shot.matrix !== undefined) continue;
    const images: ImageRef[] = [];
    for (const field of ['image', 'end_image'] as const) {
      const ref = shot[field];
      if (plain(ref)) images.push({ field, ref, local: isUrl(ref) ? undefined : path.resolve(loaded.dir, ref) });
    }
    out.push({ id: plain(shot.id) ? shot.id : undefined, source, images });
  }
  return out;
}

/**
 * One issue per place and message however many combinations of a matrix shot share it: a template error in a
 * 6-combination shot is said once, "(in all 6 combinations)", not six times.
 */
export function onceAcrossCombinations(found: readonly Issue[], notes: readonly string[]): Issue[] {
  const groups = new Map<string, { issue: Issue; base: string; count: number }>();
  for (const issue of found) {
    const note = notes.find((n) => n !== '' && issue.message.endsWith(n)) ?? '';
    const base = issue.message.slice(0, issue.message.length - note.length);
    const key = `${issue.line}:${issue.col}:${issue.path}:${base}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { issue, base, count: 1 });
  }
  return [...groups.values()].map(({ issue, base, count }) => {
    if (count === 1) return issue;
    const all = count === notes.length;
    return { ...issue, message: `${base} (in ${all ? 'all ' : ''}${count} combinations of the matrix)` };
  });
}

export function isUrl(ref: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ref);
}
