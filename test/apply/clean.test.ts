import { checkJsonSchema, committedSchema } from '../helpers/json-schema.js';
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  apply,
  currentOf,
  expectExit,
  expectVerifiedOutputs,
  linesOf,
  makeProject,
  mockServer,
  ndjson,
  outputFiles,
  readLock,
  render,
  shotsOf,
} from './helpers.js';

describe('a clean apply', () => {
  it('renders every shot once, records it, and a second run changes nothing and costs $0.00', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 8 });

    const first = await apply(p, server);
    expectExit(first, 0);
    const lock = expectVerifiedOutputs(p);
    expect(Object.keys(lock.endpoints)).toEqual([server.url]);
    expect(Object.keys(shotsOf(lock)).sort()).toEqual(p.ids());
    expect(outputFiles(p)).toEqual(p.ids().map((id) => `${id}.mp4`));
    for (const shot of Object.values(shotsOf(lock))) {
      expect(shot.current).toBe(1);
      expect(shot.takes).toHaveLength(1);
      expect(shot.takes[0]).toMatchObject({ n: 1, take: 1, cost_cents: 126, duration: 3 });
      expect(shot.takes[0]!.error).toBeUndefined();
    }
    // Four distinct images, each uploaded once, whatever the number of shots using it.
    expect(Object.keys(lock.endpoints[server.url]!.uploads)).toHaveLength(4);
    const stats = server.stats();
    expect(stats).toMatchObject({ submissions: 8, distinctBodies: 8, duplicateSubmissions: 0, uploads: 4, chargesCents: 8 * 126, refundsCents: 0 });
    expect(stats.ignoredKeys).toEqual([]);
    expect(first.stdout).toContain('Done: 8 rendered, 0 failed, 0 skipped');
    expect(first.stdout).toMatch(/spent \$10\.08 this run, \$10\.08 in all/);
    expect(linesOf(first.stderr, /^submitted shot-\d\d as [0-9a-f]{32} \(\$1\.26\)$/)).toHaveLength(8);
    expect(linesOf(first.stderr, /^\[\d\/8\] done shot-\d\d$/)).toHaveLength(8);
    // Nothing of the run is left in the working state: the journal is compacted, the process lock released.
    expect(
      readFileSync(p.journal, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { t: string }).t),
    ).toEqual(['base']);
    expect(p.lockFiles()).toEqual([]);

    const lockBytes = readFileSync(p.lockFile);
    // Dated an hour back, so a rewrite would show in the mtime however fast the second run is.
    const lockTime = new Date(Date.now() - 3_600_000);
    utimesSync(p.lockFile, lockTime, lockTime);
    const lockMtime = statSync(p.lockFile).mtimeMs;
    const second = await apply(p, server);
    expectExit(second, 0);
    expect(second.stderr).toContain('Nothing to do: every shot is rendered and intact ($0.00).');
    expect(second.stdout).toMatch(/8 shots: 8 unchanged;/);
    expect(second.stdout).toMatch(/this apply\s+\$0\.00/);
    expect(second.stdout).toMatch(/spent before\s+\$10\.08/);
    expect(linesOf(second.stdout, /^\s+=\s+shot-\d\d\s+unchanged\s+3s\s+—\s+rendered, output intact$/)).toHaveLength(8);
    expect(server.stats()).toEqual(stats);
    // Unchanged bytes are not rewritten.
    expect(readFileSync(p.lockFile)).toEqual(lockBytes);
    expect(statSync(p.lockFile).mtimeMs).toBe(lockMtime);
  });
});

describe('render status after a run', () => {
  it('says per shot that it is completed with its output intact, then missing once the file is deleted', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 6 });
    expectExit(await apply(p, server), 0);
    const lock = readLock(p);

    const text = await render(['status', p.spec], { cwd: p.dir, server });
    expectExit(text, 0);
    for (const id of p.ids()) {
      const row = new RegExp(`^\\s+${id}\\s+unchanged\\s+#1 completed\\s+3s\\s+\\$1\\.26\\s+intact\\s+${currentOf(lock, id)!.prediction_id}\\s*$`, 'm');
      expect(text.stdout).toMatch(row);
    }
    expect(text.stdout).toContain(`Spent: $7.56 on ${server.url}`);
    expectExit(await render(['status', p.spec, '--detailed-exitcode'], { cwd: p.dir, server }), 0);

    const json = await render(['status', p.spec, '--json'], { cwd: p.dir, server });
    expectExit(json, 0);
    const report = JSON.parse(json.stdout) as { shots: Record<string, unknown>[] };
    expect(checkJsonSchema(committedSchema('status.schema.json'), report)).toEqual([]);
    expect(report).toMatchObject({ spent_cents: 756, spent_usd: 7.56, spent_by_endpoint: [{ endpoint: server.url, spent_cents: 756, spent_usd: 7.56 }] });
    expect(report.shots).toEqual(
      p.ids().map((id) =>
        expect.objectContaining({
          id,
          in_spec: true,
          status: 'completed',
          output: 'intact',
          output_path: `renders/e2e/${id}.mp4`,
          prediction_id: currentOf(lock, id)!.prediction_id,
          cost_cents: 126,
          takes: 1,
        }),
      ),
    );

    rmSync(p.output('shot-03'));
    const after = JSON.parse((await render(['status', p.spec, '--json'], { cwd: p.dir, server })).stdout) as {
      shots: { id: string; output: string; status: string }[];
    };
    expect(after.shots.map((s) => [s.id, s.status, s.output])).toEqual(p.ids().map((id) => [id, 'completed', id === 'shot-03' ? 'missing' : 'intact']));
    expect((await render(['status', p.spec], { cwd: p.dir, server })).stdout).toMatch(/^\s+shot-03\s+restore\s+#1 completed\s+3s\s+\$1\.26\s+missing\s/m);
    // A script asking --detailed-exitcode learns that something is missing: 4, not 0.
    expectExit(await render(['status', p.spec], { cwd: p.dir, server }), 0);
    expectExit(await render(['status', p.spec, '--detailed-exitcode'], { cwd: p.dir, server }), 4);

    // Same size, other bytes: only --verify (sha256) can tell.
    const file = p.output('shot-05');
    const bytes = readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(file, bytes);
    const quick = JSON.parse((await render(['status', p.spec, '--json'], { cwd: p.dir, server })).stdout) as { shots: { id: string; output: string }[] };
    expect(quick.shots.find((s) => s.id === 'shot-05')?.output).toBe('intact');
    const verified = JSON.parse((await render(['status', p.spec, '--json', '--verify'], { cwd: p.dir, server })).stdout) as {
      shots: { id: string; output: string }[];
    };
    expect(verified.shots.find((s) => s.id === 'shot-05')?.output).toBe('changed');
  });
});

describe('apply --json', () => {
  it('prints NDJSON on stdout: the plan first, one event per step, the summary last', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 6 });
    const r = await apply(p, server, ['--json']);
    expectExit(r, 0);
    const events = ndjson(r.stdout);
    expect(events[0]).toMatchObject({ type: 'plan', plan: { format: 1, endpoint: server.url, totals: { shots: 6, to_submit: 6, cost_cents: 756 } } });
    const plan = events[0]!.plan as { shots: { id: string; action: string }[] };
    expect(plan.shots.map((s) => [s.id, s.action])).toEqual(p.ids().map((id) => [id, 'create']));
    expect(events.at(-1)).toMatchObject({
      type: 'summary',
      summary: { done: 6, failed: [], skipped: [], spent_cents: 756, spent_usd: 7.56, total_spent_cents: 756, total_spent_usd: 7.56, interrupted: false },
    });
    expect(events.filter((e) => e.type === 'plan')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'summary')).toHaveLength(1);
    expect(events[1]).toMatchObject({ type: 'start', shots: 6, to_submit: 6, to_resume: 0, cost_cents: 756, cost_usd: 7.56, endpoint: server.url });
    // Every line is in the one JSON convention, and conforms to the committed schema.
    const schema = committedSchema('apply-event.schema.json');
    for (const e of events) expect(checkJsonSchema(schema, e), JSON.stringify(e)).toEqual([]);
    // Per shot, in order: submitted, completed, downloaded, done.
    for (const id of p.ids()) {
      const mine = events.filter((e) => e.id === id).map((e) => (e.type === 'status' ? `status:${String(e.status)}` : String(e.type)));
      expect(mine.filter((t) => !t.startsWith('status:processing') && t !== 'status:created')).toEqual(['submitted', 'status:completed', 'downloaded', 'done']);
    }
    expect(events.filter((e) => e.type === 'upload')).toHaveLength(4);
    // The API key is never printed.
    expect(r.stdout + r.stderr).not.toContain(server.apiKey);
  });
});
