import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readLockfileOnDisk, serializeLockfile } from '../../src/lock/file.js';
import type { JournalRecord } from '../../src/lock/records.js';
import { WalAppender } from '../../src/lock/wal.js';
import { apply, expectExit, makeProject, mockServer, readLock, render, type Project } from '../apply/helpers.js';
import type { MockServer } from '../../src/mock/index.js';

/**
 * docs/SPEC.md "Files the tool writes": a committed lockfile may carry a wal after a killed run, and every command
 * that reads the state reads it as the same state written whole (the wal folded through the one reducer).
 */

/** What each command that reads the state prints, with its exit code. */
async function readers(p: Project, server: MockServer): Promise<Record<string, { code: number | null; stdout: string; stderr: string }>> {
  const out: Record<string, { code: number | null; stdout: string; stderr: string }> = {};
  for (const command of ['plan', 'status', 'takes', 'ledger']) {
    const { code, stdout, stderr } = await render([command, p.spec, '--json'], { cwd: p.dir, server });
    out[command] = { code, stdout, stderr };
  }
  return out;
}

/** Put `records` in the project's lockfile's wal, as a killed run leaves them (render's own appender). */
function appendToWal(p: Project, records: readonly JournalRecord[]): void {
  const appender = new WalAppender(p.lockFile);
  appender.adopt(readFileSync(p.lockFile, 'utf8'));
  for (const rec of records) appender.push(rec);
  expect(appender.flush()).toBe(true);
  appender.close();
}

describe('a lockfile with a wal', () => {
  it('is read by plan, status, takes and ledger exactly as the same state written whole', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 3 });
    expectExit(await apply(p, server), 0);
    const full = readLock(p);
    const endpoint = Object.keys(full.endpoints)[0]!;
    const done = full.endpoints[endpoint]!.shots['shot-03']!.takes[0]!;
    // What a run killed after shot-03's submit leaves: its intent and its prediction id only in the wal.
    const before = structuredClone(full);
    delete before.endpoints[endpoint]!.shots['shot-03'];
    const { n, fingerprint, model, take, duration, cost_cents, request, urls, submitted_at } = done;
    const wal: JournalRecord[] = [
      { t: 'intent', at: submitted_at, endpoint, shot: 'shot-03', take: { n, fingerprint, model, take, duration, cost_cents, request, urls, submitted_at } },
      { t: 'submitted', at: submitted_at, endpoint, shot: 'shot-03', n, prediction_id: done.prediction_id! },
    ];
    writeFileSync(p.lockFile, serializeLockfile(before));
    appendToWal(p, wal);
    expect(readFileSync(p.lockFile, 'utf8')).toContain('\n  "wal": [\n');
    const withWal = await readers(p, server);
    for (const [command, r] of Object.entries(withWal)) expect(r.code, `${command}\n${r.stderr}`).toBe(0);

    const onDisk = readLockfileOnDisk(p.lockFile, p.name);
    if (onDisk?.version !== 2) throw new Error('no version 2 lockfile');
    writeFileSync(p.lockFile, serializeLockfile(onDisk.lock));
    expect(await readers(p, server)).toEqual(withWal);

    // The wal's take is known to all of them: shot-03's prediction is followed, never paid for again.
    const plan = JSON.parse(withWal.plan!.stdout) as { shots: { id: string; action: string; cost_cents: number }[] };
    expect(plan.shots.find((s) => s.id === 'shot-03')).toMatchObject({ action: 'resume', cost_cents: 0 });
    expect(withWal.takes!.stdout).toContain(done.prediction_id!);
    expect(withWal.ledger!.stdout).toContain(done.prediction_id!);
  });

  it("of a campaign since renamed is still named by plan's warning: its spend is not counted against the new budget", async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const endpoint = Object.keys(readLock(p).endpoints)[0]!;
    const at = new Date().toISOString();
    const take = {
      n: 1,
      fingerprint: 'f',
      model: 'kwaivgi/kling-v3.0-4k/image-to-video',
      take: 1,
      duration: 3,
      cost_cents: 126,
      request: { prompt: 'x'.repeat(3000) },
      submitted_at: at,
    };
    appendToWal(p, [{ t: 'intent', at, endpoint, shot: 'shot-09', take }]);
    writeFileSync(p.spec, readFileSync(p.spec, 'utf8').replace('name: e2e\n', 'name: e2e-final\n'));
    const plan = await render(['plan', p.spec], { cwd: p.dir, server });
    expectExit(plan, 0);
    expect(plan.stdout).toContain('warning: e2e.lock.json records this spec under its old name "e2e"');
  });
});
