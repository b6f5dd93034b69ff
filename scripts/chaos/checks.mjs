// What the chaos run checks: the lockfile after every kill, every paid output ever recorded, and the end state.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { adoptPrediction, forgetIntent } from '../../dist/apply/resolve.js';
import { lockfilePath, readLockfileOnDisk, writeLockfile } from '../../dist/lock/file.js';
import { journalPath, readCurrentLock } from '../../dist/lock/store.js';
import { repairTornWal } from '../../dist/lock/wal-read.js';
import { openIntents, spentCents } from '../../dist/lock/takes.js';
import { planSpec } from '../../dist/plan/plan-spec.js';
import { createClient } from '../../dist/provider/index.js';

/**
 * After a kill: the lockfile is valid JSON, the project's own reader accepts it, and the journal replays over it.
 * No lockfile yet is valid (the run died before recording anything). The one invalid JSON allowed is a wal append
 * the kill cut short, which the reader repairs by dropping the torn last line (docs/SPEC.md "Files the tool
 * writes"). Returns {ok, detail}.
 */
export function checkLockfile(specFile, name) {
  const file = lockfilePath(specFile, name);
  if (!existsSync(file)) return { ok: true, detail: 'no lockfile yet' };
  let torn = false;
  const text = readFileSync(file, 'utf8');
  try {
    JSON.parse(text);
  } catch (err) {
    if (repairTornWal(text) === undefined) return { ok: false, detail: `not valid JSON: ${err.message}` };
    torn = true;
  }
  try {
    readLockfileOnDisk(file, name);
    readCurrentLock(specFile, name);
  } catch (err) {
    return { ok: false, detail: `${err.code ?? 'ERROR'}: ${err.message}` };
  }
  return { ok: true, detail: torn ? 'valid (its wal torn by the kill, repaired on read)' : 'valid' };
}

/**
 * What a kill between a compaction's lockfile rename and its journal truncation leaves: the lockfile already holds
 * the journal's records, and the journal still holds them too. Made here with the project's own reader and writer
 * (what compact() writes), since that window is too narrow for a kill to hit by chance. False if the journal is empty.
 */
export function tearCompaction(specFile, name) {
  const journal = journalPath(specFile, name);
  if (!existsSync(journal) || statSync(journal).size === 0) return false;
  writeLockfile(lockfilePath(specFile, name), readCurrentLock(specFile, name), undefined);
  return true;
}

/** Prediction ids recorded by more than one take of the lockfile (each prediction is one take, once). */
export function takesRecordedTwice(lock) {
  const seen = new Set();
  const twice = new Set();
  for (const { take } of takesOf(lock)) {
    if (!take.prediction_id) continue;
    if (seen.has(take.prediction_id)) twice.add(take.prediction_id);
    seen.add(take.prediction_id);
  }
  return [...twice];
}

/** Temp files an interrupted atomic write can leave in the folder of `file` (litter, never read). */
export function strayTempFiles(file, pattern = /\.tmp$/) {
  try {
    return readdirSync(path.dirname(file)).filter((f) => pattern.test(f));
  } catch {
    return [];
  }
}

function sha256File(file) {
  try {
    const bytes = readFileSync(file);
    return { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  } catch {
    return undefined;
  }
}

function* takesOf(lock) {
  for (const state of Object.values(lock.endpoints)) {
    for (const [id, shot] of Object.entries(state.shots)) for (const take of shot.takes) yield { id, take };
  }
}

/** A shot's current take on an endpoint. */
function currentOf(lock, endpoint, id) {
  const shot = lock.endpoints[endpoint]?.shots[id];
  return shot?.takes.find((t) => t.n === shot.current);
}

/**
 * What a user does when apply reports a submit whose outcome is unknown: look in the dashboard (the server's own
 * record, /__mock/dashboard) for a prediction made from that submit's body that no take claims, and `render adopt`
 * it, or `render forget` the submit when there is none. Returns how many of each.
 */
export async function resolveAsUser({ campaign, server, endpoint }) {
  const lock = readCurrentLock(campaign.specFile, campaign.name);
  const open = openIntents(lock, endpoint);
  if (open.length === 0) return { adopted: 0, forgotten: 0 };
  const claimed = new Set();
  for (const { take } of takesOf(lock)) if (take.prediction_id) claimed.add(take.prediction_id);
  const dashboard = await (await fetch(`${server.url}/__mock/dashboard`)).json();
  const client = createClient({ baseUrl: server.url, apiKey: server.apiKey });
  let adopted = 0;
  let forgotten = 0;
  for (const { shot, take } of open) {
    const match = dashboard.find((p) => !claimed.has(p.id) && p.input.prompt === take.request.prompt && p.input.duration === take.request.duration);
    const o = { spec: campaign.specFile, shot, endpoint, take: take.n };
    if (match) {
      claimed.add(match.id);
      await adoptPrediction({ ...o, predictionId: match.id, client });
      adopted++;
    } else {
      await forgetIntent(o);
      forgotten++;
    }
  }
  return { adopted, forgotten };
}

/**
 * Every output the lockfile has ever recorded (a paid, downloaded video), by prediction id and index. Seen after
 * each run; at the end each must still be on disk with its sha256 and size, wherever it was moved.
 */
export class OutputLedger {
  constructor(specDir) {
    this.specDir = specDir;
    this.known = new Map();
    /** Recorded in the lockfile but not on disk with that content when first seen. */
    this.badOnRecord = [];
  }

  observe(lock, run) {
    for (const { id, take } of takesOf(lock)) {
      if (!take.prediction_id) continue;
      take.outputs.forEach((out, i) => {
        const key = `${take.prediction_id}#${i}`;
        if (this.known.has(key)) return;
        this.known.set(key, { shot: id, predictionId: take.prediction_id, index: i, sha256: out.sha256, bytes: out.bytes, run });
        const found = sha256File(path.join(this.specDir, out.path));
        if (!found || found.sha256 !== out.sha256 || found.bytes !== out.bytes) {
          this.badOnRecord.push(`${id} ${out.path}: recorded in run ${run} but ${found ? 'its content differs' : 'missing'}`);
        }
      });
    }
  }

  /** Outputs recorded at some point that are no longer in the lockfile, or no longer on disk as recorded. */
  lost(lock) {
    const byId = new Map();
    for (const { take } of takesOf(lock)) if (take.prediction_id) byId.set(take.prediction_id, take);
    const lost = [];
    for (const o of this.known.values()) {
      const out = byId.get(o.predictionId)?.outputs[o.index];
      if (!out) {
        lost.push(`${o.shot} (${o.predictionId}): output #${o.index + 1} dropped from the lockfile`);
        continue;
      }
      const found = sha256File(path.join(this.specDir, out.path));
      if (!found || found.sha256 !== o.sha256 || found.bytes !== o.bytes) {
        lost.push(`${o.shot} (${o.predictionId}) ${out.path}: ${found ? 'content changed' : 'file missing'}`);
      }
    }
    return [...lost, ...this.badOnRecord];
  }
}

/** All predictions the server holds (list endpoint, faults off), by id. */
async function listServerPredictions(server) {
  const all = new Map();
  for (let page = 1; ; page++) {
    const res = await fetch(`${server.url}/api/v3/predictions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ page, page_size: 100 }),
    });
    if (!res.ok) throw new Error(`list predictions: HTTP ${res.status}`);
    const { data } = await res.json();
    for (const item of data.items) all.set(item.id, item);
    if (data.items.length < 100) return all;
  }
}

/**
 * The end state. Converged means: every shot is `unchanged` (completed, output intact) or `blocked` (its current
 * take failed with a 1xxx task code other than 1402, so the same inputs would fail again and are not paid again
 * until the spec changes); nothing is left to resume, retry or create.
 */
export async function verifyEnd({ campaign, server, endpoint, ledger }) {
  const lock = readCurrentLock(campaign.specFile, campaign.name);
  const { plan } = planSpec(campaign.specFile, { endpoint });
  const specDir = path.dirname(campaign.specFile);
  const predictions = await listServerPredictions(server);
  const problems = [];
  const actions = {};
  let done = 0;
  const blocked = [];
  for (const shot of plan.shots) {
    actions[shot.action] = (actions[shot.action] ?? 0) + 1;
    const entry = currentOf(lock, endpoint, shot.id);
    if (shot.action === 'blocked') {
      const p = entry?.prediction_id ? predictions.get(entry.prediction_id) : undefined;
      const code = entry?.error?.task_code;
      if (p?.status !== 'failed' || !String(p.error).startsWith(`${code}:`)) {
        problems.push(`${shot.id}: blocked on task code ${code}, but the server says ${p ? `${p.status} "${p.error}"` : 'no such prediction'}`);
      }
      blocked.push(`${shot.id} (${code})`);
      continue;
    }
    if (entry?.status !== 'completed' || entry.outputs.length === 0) continue;
    const intact = entry.outputs.every((out) => {
      const found = sha256File(path.join(specDir, out.path));
      return found && found.sha256 === out.sha256 && found.bytes === out.bytes;
    });
    if (intact) done++;
    else problems.push(`${shot.id}: output on disk does not match the lockfile`);
  }
  // A completed prediction (paid, not refunded) that no take of the lockfile claims: paid for, and lost to us.
  const claimed = new Set();
  for (const { take } of takesOf(lock)) if (take.prediction_id) claimed.add(take.prediction_id);
  const orphans = [...predictions.values()].filter((p) => p.status === 'completed' && !claimed.has(p.id)).map((p) => p.id);
  // docs/SPEC.md "Additions in this implementation": a 1402 (upload URL not fetchable) is retried with a fresh
  // upload, never the same URL again.
  const staleRetries = [];
  for (const [id, shot] of Object.entries(lock.endpoints[endpoint]?.shots ?? {})) {
    const takes = shot.takes.filter((t) => t.prediction_id);
    for (let i = 1; i < takes.length; i++) {
      const prev = takes[i - 1];
      if (prev.error?.task_code === 1402 && prev.urls?.image && prev.urls.image === takes[i].urls?.image) staleRetries.push(id);
    }
  }
  const stats = server.stats();
  const netCents = stats.chargesCents - stats.refundsCents;
  const lockSpentCents = spentCents(lock, endpoint);
  return {
    lock,
    actions,
    done,
    blocked,
    problems,
    orphans,
    staleRetries,
    stats,
    netCents,
    lockSpentCents,
    lost: ledger.lost(lock),
    converged: plan.shots.every((s) => s.action === 'unchanged' || s.action === 'blocked'),
  };
}
