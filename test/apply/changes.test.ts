import { copyFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  actions,
  apply,
  expectExit,
  expectVerifiedOutputs,
  keptCents,
  linesOf,
  makeProject,
  mockServer,
  outputFiles,
  planJson,
  readLock,
  render,
  sha256File,
  shotOf,
  shotsOf,
  takesOf,
  currentOf,
  FAST,
  startRender,
} from './helpers.js';

describe('editing the spec', () => {
  it('a changed prompt re-renders exactly that shot; the earlier take is kept in history and its file in .takes/', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 6 });
    expectExit(await apply(p, server), 0);
    const before = readLock(p);
    const old = currentOf(before, 'shot-03')!;

    p.shots[2]!.prompt = 'take 3, reshot: the sneaker on a wet street at night, neon reflections';
    p.writeSpec();
    const { plan } = await planJson(p, server);
    expect(actions(plan)).toEqual({
      'shot-01': 'unchanged',
      'shot-02': 'unchanged',
      'shot-03': 'replace',
      'shot-04': 'unchanged',
      'shot-05': 'unchanged',
      'shot-06': 'unchanged',
    });
    expect(shotOf(plan, 'shot-03')).toMatchObject({ reason: 'prompt changed', cost_cents: 126 });
    expect(plan.totals).toMatchObject({ to_submit: 1, cost_cents: 126, spent_cents: 756 });

    const r = await apply(p, server);
    expectExit(r, 0);
    expect(linesOf(r.stderr, /^submitted /)).toEqual([expect.stringMatching(/^submitted shot-03 as [0-9a-f]{32} \(\$1\.26\)$/)]);
    expect(server.stats()).toMatchObject({ submissions: 7, duplicateSubmissions: 0 });

    const after = expectVerifiedOutputs(p);
    const shot = currentOf(after, 'shot-03')!;
    expect(shot.n).toBe(2);
    expect(shot.prediction_id).not.toBe(old.prediction_id);
    expect(shot.request.prompt).toBe(p.shots[2]!.prompt);
    // The earlier take is kept, with its file moved aside rather than overwritten.
    const aside = `renders/e2e/.takes/shot-03.take-1-${old.prediction_id!.slice(0, 12)}.mp4`;
    expect(takesOf(after, 'shot-03')[0]).toEqual({ ...old, outputs: [{ ...old.outputs[0]!, path: aside }] });
    expect(sha256File(p.abs(aside))).toBe(old.outputs[0]!.sha256);
    expect(readdirSync(path.join(p.outputDir, '.takes'))).toEqual([path.basename(aside)]);
    // Everything else is byte for byte what it was.
    for (const id of p.ids().filter((i) => i !== 'shot-03')) expect(shotsOf(after)[id]).toEqual(shotsOf(before)[id]);
    // Money: both takes were paid for and count against the budget.
    const { plan: next } = await planJson(p, server);
    expect(Object.values(actions(next))).toEqual(Array(6).fill('unchanged'));
    expect(next.totals.spent_cents).toBe(7 * 126);

    const status = JSON.parse((await render(['status', p.spec, '--json'], { cwd: p.dir, server })).stdout) as { shots: { id: string; takes: number }[] };
    expect(status.shots.find((s) => s.id === 'shot-03')?.takes).toBe(2);
  });
});

describe('takes of one shot over time', () => {
  it('each earlier take keeps its own file, also after an output was deleted by hand before a change', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const a = currentOf(readLock(p), 'shot-01')!;
    // Take A's file is deleted by hand, then the prompt changes: take B takes the file name.
    rmSync(p.output('shot-01'));
    p.shots[0]!.prompt = 'second version of the first shot';
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const b = currentOf(readLock(p), 'shot-01')!;
    expect(takesOf(readLock(p), 'shot-01').map((t) => t.prediction_id)).toEqual([a.prediction_id, b.prediction_id]);
    // The prompt changes again: B's file (not A's, long gone) is the one moved aside, under B's name.
    p.shots[0]!.prompt = 'third version of the first shot';
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const lock = expectVerifiedOutputs(p);
    const takes = takesOf(lock, 'shot-01');
    expect(takes.map((t) => t.prediction_id)).toEqual([a.prediction_id, b.prediction_id, currentOf(lock, 'shot-01')!.prediction_id]);
    const bAside = `renders/e2e/.takes/shot-01.take-2-${b.prediction_id!.slice(0, 12)}.mp4`;
    expect(takes[1]!.outputs.map((o) => o.path)).toEqual([bAside]);
    expect(existsSync(p.abs(bAside))).toBe(true);
    expect(sha256File(p.abs(bAside))).toBe(b.outputs[0]!.sha256);
    expect(readdirSync(path.join(p.outputDir, '.takes'))).toEqual([path.basename(bAside)]);
  });
});

describe('a deleted output file', () => {
  it('is downloaded again on the next apply, with no new submission', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 4 });
    expectExit(await apply(p, server), 0);
    const before = readLock(p);
    rmSync(p.output('shot-02'));

    const { plan } = await planJson(p, server);
    expect(shotOf(plan, 'shot-02')).toMatchObject({
      action: 'restore',
      cost_cents: 0,
      reason: 'output file missing or changed: download it again (no new charge)',
    });
    expect(plan.totals).toMatchObject({ to_submit: 0, cost_cents: 0 });

    const r = await apply(p, server);
    expectExit(r, 0);
    expect(linesOf(r.stderr, /^submitted /)).toEqual([]);
    expect(linesOf(r.stderr, /^downloaded /)).toEqual(['downloaded renders/e2e/shot-02.mp4 (4.3 KB)']);
    expect(server.stats()).toMatchObject({ submissions: 4, duplicateSubmissions: 0 });
    const after = expectVerifiedOutputs(p);
    expect(shotsOf(after)['shot-02']).toEqual(shotsOf(before)['shot-02']);
  });

  it('when the server that made it no longer has it, the download fails once, is marked gone, and the next plan regenerates it at its cost', async () => {
    const first = await mockServer();
    const p = makeProject({ shots: 3 });
    expectExit(await apply(p, first), 0);
    const before = readLock(p);
    rmSync(p.output('shot-01'));
    // The server forgets everything (outputs deleted after 7 days; here a restart), at the same address.
    const port = first.port;
    await first.close();
    const second = await mockServer({ port });
    expect(second.url).toBe(first.url);

    const { plan } = await planJson(p, second);
    expect(shotOf(plan, 'shot-01').action).toBe('restore');
    const r = await apply(p, second);
    expectExit(r, 1);
    expect(linesOf(r.stderr, / FAILED /)).toEqual([
      expect.stringMatching(
        /^\[1\/1\] FAILED shot-01: the output is gone from the server \(the prediction is paid and recorded; `render plan` shows it as regenerate, with its cost\): .*404/,
      ),
    ]);
    expect(second.stats().submissions).toBe(0);
    const marked = currentOf(readLock(p), 'shot-01')!;
    expect(marked).toMatchObject({ status: 'completed', prediction_id: currentOf(before, 'shot-01')!.prediction_id, error: { code: 'OUTPUT_GONE' } });
    expect(existsSync(p.output('shot-01'))).toBe(false);
    expect(outputFiles(p)).toEqual(['shot-02.mp4', 'shot-03.mp4']);

    const { plan: next } = await planJson(p, second);
    expect(actions(next)).toEqual({ 'shot-01': 'regenerate', 'shot-02': 'unchanged', 'shot-03': 'unchanged' });
    expect(shotOf(next, 'shot-01')).toMatchObject({
      cost_cents: 126,
      reason: 'output deleted on the server before it was downloaded: rendering it again costs a new prediction',
    });
    // Rendering it again is a decision, not a loop: a rerun without approving the plan changes nothing.
    expect(shotOf((await planJson(p, second)).plan, 'shot-01').action).toBe('regenerate');

    // The new server lost the uploaded images too: the recorded upload URL fails the task (1402, refunded), is
    // dropped from the lockfile, and the retry uploads the image afresh.
    const replaced = await apply(p, second);
    expectExit(replaced, 1);
    expect(linesOf(replaced.stderr, / FAILED /)).toEqual([
      expect.stringMatching(
        /^\[1\/1\] FAILED shot-01: prediction [0-9a-f]{32} failed \(task code 1402\): 1402: media URL not fetchable .*\(the server could not fetch an uploaded image \(task code 1402\); run apply again: it uploads the image afresh/,
      ),
    ]);
    const { plan: third } = await planJson(p, second);
    expect(actions(third)).toEqual({ 'shot-01': 'retry', 'shot-02': 'unchanged', 'shot-03': 'unchanged' });
    expect(shotOf(third, 'shot-01').reason).toMatch(/^failed: 1402 media URL not fetchable/);

    const last = await apply(p, second);
    expectExit(last, 0);
    expect(linesOf(last.stderr, /^uploaded /)).toEqual(['uploaded assets/hero.png']);
    expect(second.stats()).toMatchObject({ submissions: 2, duplicateSubmissions: 0, uploads: 1 });
    expect(keptCents(second)).toBe(126);
    const lock = expectVerifiedOutputs(p);
    const history = takesOf(lock, 'shot-01').slice(0, -1);
    expect(history.map((t) => [t.prediction_id, t.status, t.error?.code])).toEqual([
      [currentOf(before, 'shot-01')!.prediction_id, 'completed', 'OUTPUT_GONE'],
      [expect.stringMatching(/^[0-9a-f]{32}$/), 'failed', 'TASK_FAILED'],
    ]);
    // Paid for: the first take (on the old server) and the last; the refunded 1402 take is not counted.
    expect((await planJson(p, second)).plan.totals.spent_cents).toBe(4 * 126);
  });

  it('a server at another address is another endpoint: the plan says every shot was rendered only elsewhere', async () => {
    const first = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, first), 0);
    const other = await mockServer();
    const { plan } = await planJson(p, other);
    for (const s of plan.shots) expect(s).toMatchObject({ action: 'create', reason: `rendered only on ${first.url}, never on ${other.url}` });
  });
});

describe('an image changed while the apply runs', () => {
  it('is refused at its upload (nothing paid for bytes the plan did not hash); the next apply plans and renders the new image', async () => {
    // One shot at a time, each taking 2 s on the server: shot-02's upload comes well after shot-01's submit.
    const server = await mockServer({ completeAfterMs: 2000 });
    const p = makeProject({ shots: 2, concurrency: 1 });
    const run = startRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await run.waitForStderr(/^submitted shot-01/);
    const image = p.abs(p.shots[1]!.image);
    copyFileSync(p.abs('assets/tokyo-night.jpg'), image); // re-exported under the same name, mid-run
    const first = await run.done;
    expectExit(first, 1);
    expect(first.stderr).toMatch(/FAILED shot-02: .*studio\.jpg changed after this run planned it; nothing was uploaded or submitted for it/);
    expect(server.stats().submissions).toBe(1);

    const { plan } = await planJson(p, server);
    expect(actions(plan)).toEqual({ 'shot-01': 'unchanged', 'shot-02': 'create' });
    expectExit(await apply(p, server), 0);
    const stats = server.stats();
    expect(stats.submissions).toBe(2);
    expect(stats.duplicateSubmissions).toBe(0);
    // What was rendered, and recorded, is the image as it is now.
    expect(currentOf(readLock(p), 'shot-02')!.request.image).toBe(`sha256:${sha256File(image)}`);
    expectVerifiedOutputs(p);
  });
});
