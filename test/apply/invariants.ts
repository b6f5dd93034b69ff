import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { endpointIdentity } from '../../src/endpoint.js';
import type { Lockfile } from '../../src/lock/schema.js';
import type { MockServer } from '../../src/mock/index.js';
import type { ServerPrediction } from './helpers.js';
import { canonicalJson } from '../../src/util/canonical-json.js';
import { dashboard, readLock, type Project } from './helpers.js';

/**
 * The money-safety invariants of issues 9 and 10, checked from the outside: from what the server says it created
 * and charged, from the committed lockfile, and from the bytes of the video files. Every e2e test of those issues
 * ends with them.
 */

/** The endpoint a project's lockfile records for a mock server reached at its own URL. */
export function endpointOfServer(server: MockServer): string {
  return endpointIdentity(server.url);
}

/** Every prediction the server holds, with the body it was created from: what a user sees in the dashboard. */
async function serverPredictions(server: MockServer): Promise<Map<string, ServerPrediction>> {
  return new Map((await dashboard(server)).map((p) => [p.id, p]));
}

/** The server's predictions made from a prompt (the dashboard search a user does before `render adopt`). */
export async function predictionsWithPrompt(server: MockServer, prompt: string): Promise<ServerPrediction[]> {
  return [...(await serverPredictions(server)).values()].filter((p) => p.input.prompt === prompt);
}

export interface MoneyChecks {
  /** The most the server may have charged, in cents (a cap: budget, --max-cost). */
  maxChargedCents?: number;
  /**
   * Bodies the test renders twice on purpose (a `take:` bump renders the same request again): the server's
   * duplicate count must be exactly this. Default 0: nothing was paid twice.
   */
  deliberateDuplicates?: number;
}

/**
 * Nothing was paid twice, and the lockfile's record of the money is true:
 * - the server counted no submit of a body that already had a live prediction (beyond deliberate take bumps);
 * - every prediction id in the lockfile (on this server's endpoint) exists on the server and was created from
 *   exactly the body recorded for that take (its request by content, with the upload URLs that stood for its
 *   images): no shot owns another shot's prediction; and no prediction is owned by two takes;
 * - the lockfile counts at least every cent the server kept (charges minus refunds), so no budget check can be
 *   fooled; and the server never charged past `maxChargedCents`.
 */
export async function expectMoneySafe(p: Project, server: MockServer, o: MoneyChecks = {}): Promise<Lockfile> {
  const stats = server.stats();
  expect(stats.duplicateSubmissions, 'submits of a body that already had a live prediction (paid twice)').toBe(o.deliberateDuplicates ?? 0);
  if (o.maxChargedCents !== undefined) expect(stats.chargesCents, 'charged by the server').toBeLessThanOrEqual(o.maxChargedCents);
  const lock = readLock(p, true);
  const endpoint = endpointOfServer(server);
  const created = await serverPredictions(server);
  const owners = new Map<string, string>();
  let counted = 0;
  for (const [id, shot] of Object.entries(lock.endpoints[endpoint]?.shots ?? {})) {
    for (const take of shot.takes) {
      if (take.status !== 'failed' && take.status !== 'forgotten') counted += take.cost_cents;
      if (!take.prediction_id) continue;
      const who = `${id} take #${take.n}`;
      expect(owners.get(take.prediction_id), `${take.prediction_id} is owned by ${owners.get(take.prediction_id)} and ${who}`).toBeUndefined();
      owners.set(take.prediction_id, who);
      const made = created.get(take.prediction_id);
      expect(made, `${who}: prediction ${take.prediction_id} exists on the server`).toBeDefined();
      const sent = { ...take.request, ...(take.urls ?? {}) };
      expect(canonicalJson(made!.input), `${who}: ${take.prediction_id} was created from this take's own request`).toBe(canonicalJson(sent));
    }
  }
  expect(counted, 'cents the lockfile counts as spent on this server vs cents the server kept').toBeGreaterThanOrEqual(stats.chargesCents - stats.refundsCents);
  return lock;
}

/** sha256 → how many video files have those bytes, under a folder (all of it: .takes/ and .mock/ included). */
export function videoCensus(dir: string): Map<string, number> {
  const census = new Map<string, number>();
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const abs = path.join(d, name);
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs);
      else if (st.isFile() && name.endsWith('.mp4')) {
        const sha = createHash('sha256').update(readFileSync(abs)).digest('hex');
        census.set(sha, (census.get(sha) ?? 0) + 1);
      }
    }
  };
  walk(dir);
  return census;
}

/**
 * No video was lost: every file that was there before (by its bytes) is still there, as many times, and every
 * take's recorded output is on disk with its recorded sha256. (The mock serves the same bytes for every
 * prediction, so files are counted per sha256, not just looked up.)
 */
export function expectNoVideoLost(p: Project, before: Map<string, number>): void {
  const after = videoCensus(p.outputDir);
  for (const [sha, n] of before) expect(after.get(sha) ?? 0, `video files with sha256 ${sha.slice(0, 12)}…`).toBeGreaterThanOrEqual(n);
  const lock = readLock(p, true);
  for (const state of Object.values(lock.endpoints)) {
    for (const [id, shot] of Object.entries(state.shots)) {
      for (const take of shot.takes) {
        for (const out of take.outputs) {
          const file = p.abs(out.path);
          expect(existsSync(file), `${id} take #${take.n}: ${out.path} exists`).toBe(true);
          expect(createHash('sha256').update(readFileSync(file)).digest('hex'), `${id} take #${take.n}: sha256 of ${out.path}`).toBe(out.sha256);
        }
      }
    }
  }
  for (const kept of lock.kept) {
    if (kept.sha256 === '') continue; // a symbolic link or a folder moved aside: not a video
    const file = p.abs(kept.path);
    expect(existsSync(file), `kept ${kept.path} exists`).toBe(true);
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(kept.sha256);
  }
}
