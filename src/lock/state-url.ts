import { RenderError } from '../errors.js';
import type { Spec } from '../spec/schema.js';

/** The environment variable that selects the PostgreSQL backend when the spec has no `state:` block. */
export const STATE_URL_ENV = 'RENDER_STATE_URL';

/** Where a campaign's state lives: the database URL (never shown as is: see `redactStateUrl`) and where it came from. */
export interface StateLocation {
  url: string;
  /** The environment variable it was read from. */
  from: string;
}

/**
 * The state backend of a spec (docs/SPEC.md "Additions", docs/ARCHITECTURE.md "Team state"): the spec's
 * `state.url_env` names the variable (a spec never holds the URL, so never a password), else `RENDER_STATE_URL`;
 * neither set: the files. A spec that names a variable that is not set is refused rather than falling back to the
 * files, whose state would silently part from the team's.
 */
export function stateLocationOf(spec: Pick<Spec, 'state'>, env: Record<string, string | undefined>): StateLocation | undefined {
  const named = spec.state?.url_env;
  const from = named ?? STATE_URL_ENV;
  const url = env[from]?.trim();
  if (!url) {
    if (!named) return undefined;
    throw new RenderError('STATE_UNAVAILABLE', `the spec keeps its state in the database named by ${named}, but ${named} is not set`, {
      hint: `export ${named}=postgres://USER:PASSWORD@HOST:5432/DB (ask your team for it); render never falls back to local files for such a spec`,
    });
  }
  if (!/^postgres(ql)?:\/\//i.test(url)) {
    throw new RenderError('USAGE', `${from} must be a postgres:// URL, got ${redactStateUrl(url)}`, {
      hint: `e.g. ${from}=postgres://render@localhost:5432/render`,
    });
  }
  return { url, from };
}

/** The URL with any password (in the authority or as a `password=` parameter) replaced: safe to print. */
export function redactStateUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@').replace(/([?&]password=)[^&]*/gi, '$1***');
}

/** The password a state URL carries, to redact it from anything a library says (decoded and as written). */
export function stateUrlSecrets(url: string): string[] {
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^:/@]*:([^@/]*)@/i.exec(url);
  const q = /[?&]password=([^&]*)/i.exec(url);
  const out: string[] = [];
  for (const raw of [m?.[1], q?.[1]]) {
    if (!raw) continue;
    out.push(raw);
    try {
      out.push(decodeURIComponent(raw));
    } catch {
      // not URL-encoded text: the raw form is enough
    }
  }
  return out;
}
