import { existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApplyEvent, ApplySummary } from '../../src/apply/events.js';
import { ApplyProgress } from '../../src/report/apply-state.js';
import { manualClock } from '../helpers/manual-clock.js';
import {
  actions,
  apply,
  currentOf,
  ensureBuilt,
  expectExit,
  expectVerifiedOutputs,
  FAST,
  keptCents,
  linesOf,
  makeProject,
  mockServer,
  ndjson,
  planJson,
  readLock,
  render,
  sha256File,
  shotOf,
  spawnRender,
  takesOf,
  waitUntil,
  type Project,
} from './helpers.js';
import { expectMoneySafe, expectNoVideoLost, videoCensus } from './invariants.js';

/**
 * Issue 10 (takes), end to end through the CLI against the local server: each case ends asserting from the
 * server's stats that nothing was submitted twice and, from sha256s, that no video was lost.
 */

beforeAll(ensureBuilt, 180_000);

/** A file's identity on disk: the same inode, mtime and size means it was neither rewritten nor replaced. */
function identity(file: string): string {
  const st = lstatSync(file);
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

/** Put a `take:` line under a shot's id in the spec (or remove it with undefined). */
function setTake(p: Project, id: string, take: number | undefined): void {
  const text = readFileSync(p.spec, 'utf8').replace(new RegExp(`(  - id: ${id}\\n)    take: \\d+\\n`), '$1');
  writeFileSync(p.spec, take === undefined ? text : text.replace(`  - id: ${id}\n`, `  - id: ${id}\n    take: ${take}\n`));
}

interface TakesJson {
  takes: { shot: string; take: number; current: boolean; status: string; prediction_id: string | null; file: { path: string; state: string } | null }[];
}

describe('issue 10.1: a --mock apply beside real renders replaces nothing', () => {
  it('mock renders go to <output>/.mock/, the real MP4s stay byte for byte, and the next real plan is unchanged', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 3 });
    expectExit(await apply(p, server), 0);
    const real = Object.fromEntries(p.ids().map((id) => [id, identity(p.output(id))]));
    const sha = Object.fromEntries(p.ids().map((id) => [id, sha256File(p.output(id))]));
    const videos = videoCensus(p.outputDir);

    const { plan: mockPlan } = await planJson(p, server, ['--mock']);
    expect(mockPlan.shots.map((s) => s.action)).toEqual(['create', 'create', 'create']);
    const m = await render(['apply', p.spec, '--mock', '--yes', '--poll-interval', '50ms'], { cwd: p.dir });
    expectExit(m, 0);
    for (const id of p.ids()) {
      expect(identity(p.output(id)), `${id}: the real render is untouched`).toBe(real[id]);
      expect(sha256File(p.output(id))).toBe(sha[id]);
      expect(existsSync(path.join(p.outputDir, '.mock', `${id}.mp4`)), `${id}: the mock render is in .mock/`).toBe(true);
    }
    expect(existsSync(path.join(p.outputDir, '.takes'))).toBe(false);
    const lock = readLock(p);
    expect(Object.keys(lock.endpoints).sort()).toEqual([`http://127.0.0.1:${server.port}`, 'mock']);
    expect(currentOf(lock, 'shot-01', 'mock')!.outputs[0]!.path).toBe('renders/e2e/.mock/shot-01.mp4');

    // The real endpoint: unchanged, nothing to pay; its spend is not the mock's play money.
    const { plan } = await planJson(p, server);
    expect(Object.values(actions(plan))).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(plan.totals).toMatchObject({ cost_cents: 0, spent_cents: 3 * 126 });
    const again = await apply(p, server);
    expectExit(again, 0);
    expect(again.stderr).toContain('Nothing to do');
    expect(server.stats()).toMatchObject({ submissions: 3 });
    await expectMoneySafe(p, server);
    expectNoVideoLost(p, videos);
  });
});

describe('issue 10.2 and 10.7: going back to earlier inputs restores that take for $0', () => {
  it('a reverted prompt, and take: 2 back to take: 1, restore from .takes/; plan --json names the take; takes and status show it', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const first = currentOf(readLock(p), 'shot-01')!;
    const original = p.shots[0]!.prompt;
    p.shots[0]!.prompt = 'shot one, reshot: the sneaker on a wet street at night';
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const second = currentOf(readLock(p), 'shot-01')!;
    expect(second.n).toBe(2);
    const videos = videoCensus(p.outputDir);

    // Back to the first prompt: take #1 comes back from .takes/, $0.
    p.shots[0]!.prompt = original;
    p.writeSpec();
    const r = await render(['plan', p.spec, '--json'], { cwd: p.dir, server });
    expectExit(r, 0);
    const planned = (JSON.parse(r.stdout) as { shots: Record<string, unknown>[]; totals: Record<string, number> }).shots.find((s) => s.id === 'shot-01');
    expect(planned).toMatchObject({
      action: 'restore',
      cost_cents: 0,
      take_n: 1,
      restore_from: 'file',
      reason: `restore take #1 (rendered ${first.completed_at!.slice(0, 10)}, kept in .takes/): the same inputs, no new charge`,
    });
    const restored = await apply(p, server);
    expectExit(restored, 0);
    expect(linesOf(restored.stderr, /^restored /)).toEqual(['restored shot-01 from take #1 (no new charge)']);
    expect(linesOf(restored.stderr, /^submitted /)).toEqual([]);
    let lock = expectVerifiedOutputs(p);
    expect(currentOf(lock, 'shot-01')!.n).toBe(1);
    expect(currentOf(lock, 'shot-01')!.outputs[0]!.sha256).toBe(first.outputs[0]!.sha256);
    expect(takesOf(lock, 'shot-01')[1]!.outputs[0]!.path).toBe(`renders/e2e/.takes/shot-01.take-2-${second.prediction_id!.slice(0, 12)}.mp4`);
    expect(server.stats().submissions).toBe(3);

    // render takes: every take, newest first, the current one marked.
    const takes = JSON.parse((await render(['takes', p.spec, 'shot-01', '--json'], { cwd: p.dir, server })).stdout) as TakesJson;
    expect(takes.takes.map((t) => [t.shot, t.take, t.current, t.status, t.file?.state])).toEqual([
      ['shot-01', 2, false, 'completed', 'intact'],
      ['shot-01', 1, true, 'completed', 'intact'],
    ]);
    const table = (await render(['takes', p.spec, 'shot-01'], { cwd: p.dir, server })).stdout;
    expect(table).toMatch(/^Takes of e2e \(spec\.yaml\) on http:\/\/127\.0\.0\.1:\d+; \* = current$/m);
    expect(table).toMatch(new RegExp(`^\\s+shot-01\\s+#2\\s.*${second.prediction_id}.*\\.takes/shot-01\\.take-2-.*\\(intact\\)`, 'm'));
    expect(table).toMatch(new RegExp(`^\\s+\\*\\s+shot-01\\s+#1\\s.*${first.prediction_id}.*renders/e2e/shot-01\\.mp4 \\(intact\\)`, 'm'));
    // render status: the current take, and how many earlier ones.
    const status = (await render(['status', p.spec], { cwd: p.dir, server })).stdout;
    expect(status).toMatch(/^\s+shot-01\s+unchanged\s+#1 completed\s+3s\s+\$1\.26\s+intact\s+[0-9a-f]{32}\s+1 earlier take \(render takes\)$/m);
    expect(status).toMatch(/^\s+shot-02\s+unchanged\s+#1 completed\s+3s\s+\$1\.26\s+intact\s+[0-9a-f]{32}\s*$/m);

    // take: 2 renders the same inputs again (paid, on purpose); back to take: 1 restores take #1 for $0.
    setTake(p, 'shot-02', 2);
    expect(shotOf((await planJson(p, server)).plan, 'shot-02')).toMatchObject({ action: 'replace', cost_cents: 126, reason: 'take 1 → 2' });
    expectExit(await apply(p, server), 0);
    expect(currentOf(readLock(p), 'shot-02')!.n).toBe(2);
    setTake(p, 'shot-02', undefined);
    const back = (await planJson(p, server)).plan;
    expect(shotOf(back, 'shot-02')).toMatchObject({ action: 'restore', cost_cents: 0 });
    expect(
      (JSON.parse((await render(['plan', p.spec, '--json'], { cwd: p.dir, server })).stdout) as { shots: { id: string; take_n?: number }[] }).shots[1]!.take_n,
    ).toBe(1);
    expectExit(await apply(p, server), 0);
    lock = expectVerifiedOutputs(p);
    expect(currentOf(lock, 'shot-02')!.n).toBe(1);
    expect(Object.values(actions((await planJson(p, server)).plan))).toEqual(['unchanged', 'unchanged']);
    // shot-02's take 2 is the same request as its take 1, rendered again on purpose.
    expect(server.stats().submissions).toBe(4);
    await expectMoneySafe(p, server, { deliberateDuplicates: 1 });
    expectNoVideoLost(p, videos);
  });
});

describe('issue 10.3: a file render did not write is never overwritten', () => {
  it('an output edited by hand is moved aside to .takes/…kept-…, recorded in kept, named in the output (see also output-files.test.ts)', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    writeFileSync(p.output('shot-01'), Buffer.concat([readFileSync(p.output('shot-01')), Buffer.from('a colour grade, by hand')]));
    const edited = sha256File(p.output('shot-01'));
    const videos = videoCensus(p.outputDir);
    const r = await apply(p, server);
    expectExit(r, 0);
    const lock = expectVerifiedOutputs(p);
    expect(lock.kept.map((k) => [k.from, k.sha256, k.reason])).toEqual([
      ['renders/e2e/shot-01.mp4', edited, 'edited after it was downloaded (not byte for byte the recorded output)'],
    ]);
    expect(lock.kept[0]!.path).toMatch(new RegExp(`^renders/e2e/\\.takes/shot-01\\.kept-\\d{8}T\\d{6}Z-${edited.slice(0, 8)}\\.mp4$`));
    expect(r.stdout).toContain(`  kept    renders/e2e/shot-01.mp4 → ${lock.kept[0]!.path} (moved aside, not overwritten)`);
    expect(server.stats().submissions).toBe(2);
    expectNoVideoLost(p, videos);
  });

  it('a file at an output name that no lockfile entry owns is moved aside, never overwritten', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    // The user put a video of their own where shot-01's render goes, before render ever ran there.
    mkdirSync(p.outputDir, { recursive: true });
    writeFileSync(p.output('shot-01'), Buffer.concat([readFileSync(path.join(p.dir, 'assets', 'hero.png')), Buffer.from('not render’s')]));
    const theirs = sha256File(p.output('shot-01'));
    const videos = videoCensus(p.outputDir);
    const r = await apply(p, server);
    expectExit(r, 0);
    const lock = expectVerifiedOutputs(p);
    expect(lock.kept.map((k) => [k.from, k.sha256, k.reason])).toEqual([['renders/e2e/shot-01.mp4', theirs, 'no take of this campaign owns it']]);
    expect(sha256File(p.abs(lock.kept[0]!.path))).toBe(theirs);
    expect(r.stderr).toContain(`kept renders/e2e/shot-01.mp4 as ${lock.kept[0]!.path} (no take of this campaign owns it): moved aside, not overwritten`);
    await expectMoneySafe(p, server);
    expectNoVideoLost(p, videos);
  });

  it('a deleted lockfile (and .render/): the output folder is still claimed, so nothing is paid again blindly (exit 2)', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const videos = videoCensus(p.outputDir);
    rmSync(p.lockFile);
    rmSync(p.abs('.render'), { recursive: true });
    const r = await apply(p, server);
    expectExit(r, 2);
    expect(r.stderr).toMatch(
      /^error: the output folder renders\/e2e belongs to another lockfile of "e2e" \(lineage [0-9a-f]{8}, not [0-9a-f]{8}\): two campaigns must not share one$/m,
    );
    expect(server.stats().submissions).toBe(2);
    expect(existsSync(p.lockFile)).toBe(false);
    expectNoVideoLost(p, videos);
  });
});

describe('issue 10.4: a paid output whose remote copy is gone', () => {
  it('is planned regenerate, with its cost and the reason; the FAILED line says exactly that; approving it renders once, not in a loop', async () => {
    const first = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, first), 0);
    rmSync(p.output('shot-01'));
    const port = first.port;
    await first.close();
    const server = await mockServer({ port }); // the server forgot it (7 days later): same address, nothing kept
    const r = await apply(p, server);
    expectExit(r, 1);
    expect(linesOf(r.stderr, / FAILED /)).toEqual([
      expect.stringMatching(
        /^\[1\/1\] FAILED shot-01: the output is gone from the server \(the prediction is paid and recorded; `render plan` shows it as regenerate, with its cost\): .*404.* \(render it again only if you want it: `render apply` asks before paying\)$/,
      ),
    ]);
    const { plan } = await planJson(p, server);
    expect(shotOf(plan, 'shot-01')).toMatchObject({
      action: 'regenerate',
      cost_cents: 126,
      reason: 'output deleted on the server before it was downloaded: rendering it again costs a new prediction',
    });
    expect(plan.totals).toMatchObject({ to_submit: 1, cost_cents: 126, spent_cents: 2 * 126 });
    const table = (await render(['plan', p.spec], { cwd: p.dir, server })).stdout;
    expect(table).toMatch(/^\s+~\s+shot-01\s+regenerate\s+3s\s+\$1\.26\s+output deleted on the server before it was downloaded/m);
    // Not approved (no terminal, no --yes): nothing is paid.
    expectExit(await render(['apply', p.spec, '--poll-interval', '50ms'], { cwd: p.dir, server }), 2);
    expect(server.stats().submissions).toBe(0);
    // Approved: rendered once; then it is unchanged, not regenerated again.
    const yes = await apply(p, server, ['--only', 'shot-01']);
    // (the new server lost the uploaded image too: a 1402 is refunded and the retry uploads it afresh)
    if (yes.code !== 0) expectExit(await apply(p, server, ['--only', 'shot-01']), 0);
    expect(Object.values(actions((await planJson(p, server)).plan))).toEqual(['unchanged', 'unchanged']);
    expect(keptCents(server)).toBe(126);
    // (take #1 was made by the server before it forgot everything: only this one's own records can be checked)
    expect(server.stats().duplicateSubmissions).toBe(0);
    expectVerifiedOutputs(p);
  });
});

/** The summary event of `apply --json`, and every event before it. */
function jsonRun(stdout: string): { events: ApplyEvent[]; summary: ApplySummary } {
  const lines = ndjson(stdout).filter((e) => e.type !== 'plan') as unknown as ApplyEvent[];
  const last = lines.at(-1);
  if (last?.type !== 'summary') throw new Error(`no summary last in:\n${stdout}`);
  return { events: lines, summary: last.summary };
}

/** What the progress display (bars on a terminal) would show as spent, folded from the same events. */
function progressSpent(events: ApplyEvent[]): number {
  const progress = new ApplyProgress();
  for (const e of events) progress.update(e);
  return progress.spentCents;
}

describe('issue 10.5: "spent this run" is true', () => {
  it('a first run with refunded failures says spent = charges − refunds, in text and in --json; the progress display agrees', async () => {
    const usd = (c: number) => `$${(c / 100).toFixed(2)}`;
    for (const json of [false, true]) {
      // Seeded: of six tasks, some fail with 5000 (refunded at once).
      const server = await mockServer({ seed: 3, faults: { taskFailRate: 0.5 } });
      const p = makeProject({ shots: 6 });
      const r = await render(['apply', p.spec, ...FAST, ...(json ? ['--json'] : [])], { cwd: p.dir, server });
      expectExit(r, 1);
      const { chargesCents: charged, refundsCents: refunded } = server.stats();
      expect(refunded).toBeGreaterThan(0);
      expect(refunded).toBeLessThan(charged);
      if (json) {
        const { events, summary } = jsonRun(r.stdout);
        expect(summary).toMatchObject({ chargedCents: charged, refundedCents: refunded, spentCents: charged - refunded, totalSpentCents: charged - refunded });
        expect(progressSpent(events), 'spent as the progress display counts it').toBe(summary.spentCents);
      } else {
        expect(r.stdout).toMatch(
          new RegExp(
            `^Done: \\d rendered, \\d failed, 0 skipped in [\\d.]+ s; spent \\${usd(charged - refunded)} this run \\(charges \\${usd(charged)}, refunds \\${usd(refunded)}\\), \\${usd(charged - refunded)} in all$`,
            'm',
          ),
        );
      }
      await expectMoneySafe(p, server);
    }
  });

  it("a rerun whose earlier lost submits turn out failed: their refunds are this run's, shown as -$2.52, never $-2.52", async () => {
    const clock = manualClock();
    const server = await mockServer({
      clock,
      completeAfterMs: 200,
      listInputs: true,
      faults: { routes: ['submit'], slowRate: 1, slowMs: 1500, taskFailRate: 1 },
    });
    const p = makeProject({ shots: 2, concurrency: 2 });
    const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    await waitUntil(() => server.stats().submissions === 2, 'two charged submits');
    expect((await run.kill()).signal).toBe('SIGKILL');
    server.setFaults({});
    clock.flow();
    const r = await render(['apply', p.spec, ...FAST], { cwd: p.dir, server });
    expectExit(r, 1);
    expect(r.stdout).toMatch(
      /^Done: 0 rendered, 2 failed, 0 skipped in [\d.]+ s; spent -\$2\.52 this run \(charges \$0\.00, refunds \$2\.52\), \$0\.00 in all$/m,
    );
    expect(server.stats()).toMatchObject({ submissions: 2, chargesCents: 252, refundsCents: 252 });
    await expectMoneySafe(p, server);
  });

  it('a rerun that only settles earlier lost submits says $0.00 this run, in text and in --json', async () => {
    for (const json of [false, true]) {
      const clock = manualClock();
      const server = await mockServer({ clock, completeAfterMs: 200, listInputs: true, faults: { routes: ['submit'], slowRate: 1, slowMs: 1500 } });
      const p = makeProject({ shots: 2, concurrency: 2 });
      const run = spawnRender(['apply', p.spec, ...FAST], { cwd: p.dir, server });
      await waitUntil(() => server.stats().submissions === 2, 'two charged submits');
      expect((await run.kill()).signal).toBe('SIGKILL');
      server.setFaults({});
      clock.flow();
      const r = await render(['apply', p.spec, ...FAST, ...(json ? ['--json'] : [])], { cwd: p.dir, server });
      expectExit(r, 0);
      if (json) {
        const { events, summary } = jsonRun(r.stdout);
        expect(events.filter((e) => e.type === 'settled')).toHaveLength(2);
        expect(summary).toMatchObject({ spentCents: 0, chargedCents: 0, refundedCents: 0, totalSpentCents: 252 });
        expect(progressSpent(events)).toBe(0);
      } else {
        expect(linesOf(r.stderr, /: the lost submit exists as /)).toHaveLength(2);
        expect(r.stdout).toMatch(/^Done: 2 rendered, 0 failed, 0 skipped in [\d.]+ s; spent \$0\.00 this run, \$2\.52 in all$/m);
      }
      expect(server.stats().submissions).toBe(2);
      await expectMoneySafe(p, server);
      expectVerifiedOutputs(p);
      clock.freeze();
    }
  });
});

/** A project whose prompts come from templates: `look.hbs` used as a partial, `street.hbs` as a whole prompt. */
function templatedProject(): Project {
  const p = makeProject({ shots: 0 });
  mkdirSync(p.abs('templates'));
  writeFileSync(p.abs('templates/look.hbs'), 'warm golden-hour light');
  writeFileSync(p.abs('templates/street.hbs'), 'a city street at night, neon reflections on wet asphalt,\nthe sneaker in the foreground');
  writeFileSync(
    p.spec,
    [
      'version: 1',
      'name: e2e',
      'budget: { max_usd: 100 }',
      'templates: templates',
      'defaults: { duration: 3 }',
      'shots:',
      '  - id: hero',
      '    image: assets/hero.png',
      '    prompt: "the sneaker turns slowly on a pedestal, slow dolly in, {{> look}}"',
      '  - id: street',
      '    image: assets/studio.jpg',
      '    prompt: { template: templates/street.hbs }',
      '',
    ].join('\n'),
  );
  p.shots = [
    { id: 'hero', image: 'assets/hero.png', prompt: '' },
    { id: 'street', image: 'assets/studio.jpg', prompt: '' },
  ];
  return p;
}

describe('issue 10.6: invisible edits cost nothing; real ones are shown word by word', () => {
  it('a trailing newline or CRLF in a template plans unchanged; a changed word is a replace with a word diff, --diff and plan --json changes', async () => {
    const server = await mockServer();
    const p = templatedProject();
    expectExit(await apply(p, server), 0);
    const videos = videoCensus(p.outputDir);

    // Invisible: a final newline in the partial (used at the end of a prompt), CRLF line endings, trailing spaces.
    writeFileSync(p.abs('templates/look.hbs'), 'warm golden-hour light  \r\n');
    writeFileSync(p.abs('templates/street.hbs'), 'a city street at night, neon reflections on wet asphalt,\t\r\nthe sneaker in the foreground\r\n\r\n\r\n');
    const { plan } = await planJson(p, server);
    expect(actions(plan)).toEqual({ hero: 'unchanged', street: 'unchanged' });
    expect(plan.totals.cost_cents).toBe(0);

    // A real change: one word.
    writeFileSync(p.abs('templates/street.hbs'), 'a city street at dawn, neon reflections on wet asphalt,\nthe sneaker in the foreground\n');
    const table = await render(['plan', p.spec], { cwd: p.dir, server });
    expectExit(table, 0);
    expect(table.stdout).toMatch(/^\s+~\s+street\s+replace\s+3s\s+\$1\.26\s+prompt: a city street at \[-night-\]\{\+dawn\+\}, neon reflections …$/m);
    const diff = await render(['plan', p.spec, '--diff'], { cwd: p.dir, server });
    expect(diff.stdout).toContain(
      '\nstreet (replace):\n  prompt: a city street at [-night-]{+dawn+}, neon reflections on wet asphalt, the sneaker in the foreground\n',
    );
    const json = JSON.parse((await render(['plan', p.spec, '--json'], { cwd: p.dir, server })).stdout) as { shots: Record<string, unknown>[] };
    expect(json.shots.find((s) => s.id === 'street')).toMatchObject({
      action: 'replace',
      reason: 'prompt changed',
      take_n: 1,
      changes: [
        {
          field: 'prompt',
          before: 'a city street at night, neon reflections on wet asphalt,\nthe sneaker in the foreground',
          after: 'a city street at dawn, neon reflections on wet asphalt,\nthe sneaker in the foreground',
        },
      ],
    });
    expect(json.shots.find((s) => s.id === 'hero')).not.toHaveProperty('changes');
    expect(server.stats().submissions).toBe(2);
    await expectMoneySafe(p, server);
    expectNoVideoLost(p, videos);
  });

  // A partial's final newline is not part of it, and the fingerprint does not see spacing (docs/SPEC.md "Prompts").
  it('a trailing newline in a partial used mid-prompt plans unchanged', async () => {
    const server = await mockServer();
    const p = templatedProject();
    writeFileSync(p.spec, readFileSync(p.spec, 'utf8').replace('slow dolly in, {{> look}}"', '{{> look}}, slow dolly in"'));
    expectExit(await apply(p, server), 0);
    writeFileSync(p.abs('templates/look.hbs'), 'warm golden-hour light\n');
    const { plan } = await planJson(p, server);
    expect(actions(plan)).toEqual({ hero: 'unchanged', street: 'unchanged' });
  });
});

describe('issue 10.8: renaming name: beside the old lockfile', () => {
  it('plan (and apply, before it asks) warns, naming the old lockfile: its spend is no longer counted against this budget; the rename it advises works', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    writeFileSync(p.spec, readFileSync(p.spec, 'utf8').replace('name: e2e\n', 'name: e2e-final\n'));
    const warning =
      'warning: e2e.lock.json records this spec under its old name "e2e": what it spent is not counted against this budget. To keep the campaign\'s history and budget, put name: "e2e" back, or rename the campaign: rename the file to e2e-final.lock.json and set its "name" to "e2e-final"';
    const plan = await render(['plan', p.spec], { cwd: p.dir, server });
    expectExit(plan, 0);
    expect(plan.stdout).toContain(`\n\n${warning}`);
    const json = JSON.parse((await render(['plan', p.spec, '--json'], { cwd: p.dir, server })).stdout) as {
      warnings: string[];
      totals: { spent_cents: number };
    };
    expect(json.warnings).toEqual([warning.slice('warning: '.length)]);
    expect(json.totals.spent_cents).toBe(0);
    // apply shows it with the plan, before it asks (here: no terminal, no --yes: nothing is paid).
    const asked = await render(['apply', p.spec], { cwd: p.dir, server });
    expectExit(asked, 2);
    expect(asked.stdout).toContain(warning);
    // Renamed only halfway, the lockfile is refused (its "name" still says e2e), never guessed at.
    renameSync(p.lockFile, p.abs('e2e-final.lock.json'));
    const half = await render(['plan', p.spec, '--json'], { cwd: p.dir, server });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/^error: e2e-final\.lock\.json belongs to spec "e2e", not "e2e-final"/);
    // Renamed as the warning says: the history and the budget come back, and the videos move to the new output
    // folder for $0.
    const renamed = readFileSync(p.abs('e2e-final.lock.json'), 'utf8').replace('\n  "name": "e2e",', '\n  "name": "e2e-final",');
    writeFileSync(p.abs('e2e-final.lock.json'), renamed);
    const { code, plan: after } = await planJson(p, server);
    expect(code).toBe(0);
    expect(after.totals.spent_cents).toBe(2 * 126);
    expect(after.totals.cost_cents).toBe(0);
    expect(after.warnings).toEqual([]);
    expectExit(await apply(p, server), 0);
    expect(server.stats().submissions).toBe(2);
  });
});

describe('issue 10.9: a version 1 lockfile keeps working', () => {
  it('plan says unchanged; an apply with work writes version 2 (takes per endpoint, fingerprints recomputed) without submitting anything', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    // shot-01's prompt is a YAML block: it ends with a newline, which the previous render sent and recorded as is.
    writeFileSync(
      p.spec,
      readFileSync(p.spec, 'utf8').replace(`    prompt: ${JSON.stringify(p.shots[0]!.prompt)}\n`, `    prompt: |\n      ${p.shots[0]!.prompt}\n`),
    );
    expectExit(await apply(p, server), 0);
    const v2 = readLock(p);
    const endpoint = `http://127.0.0.1:${server.port}`;
    const state = v2.endpoints[endpoint]!;
    // The lockfile the previous render wrote: one take per shot (plus history), its own fingerprints, the endpoint
    // as it was typed, uploads with their endpoint.
    const v1 = {
      version: 1,
      name: 'e2e',
      shots: Object.fromEntries(
        Object.entries(state.shots).map(([id, shot]) => {
          const t = shot.takes[0]!;
          const request = id === 'shot-01' ? { ...t.request, prompt: `${String(t.request.prompt)}\n` } : t.request;
          return [
            id,
            {
              fingerprint: `v1-${'0'.repeat(61)}`,
              endpoint: `http://localhost:${server.port}/`,
              model: t.model,
              take: t.take,
              prediction_id: t.prediction_id,
              status: t.status,
              duration: t.duration,
              cost_cents: t.cost_cents,
              request,
              urls: t.urls,
              submitted_at: t.submitted_at,
              completed_at: t.completed_at,
              outputs: t.outputs,
              history: [],
            },
          ];
        }),
      ),
      uploads: Object.fromEntries(Object.entries(state.uploads).map(([sha, u]) => [sha, { ...u, endpoint: `http://localhost:${server.port}/` }])),
    };
    const v1Text = `${JSON.stringify(v1, null, 2)}\n`;
    writeFileSync(p.lockFile, v1Text);
    // The previous render kept no journal base and claimed no folder.
    rmSync(p.abs('.render'), { recursive: true, force: true });
    rmSync(path.join(p.outputDir, '.render-campaign.json'));
    const videos = videoCensus(p.outputDir);

    const { code, plan } = await planJson(p, server);
    expect(code).toBe(0);
    expect(actions(plan)).toEqual({ 'shot-01': 'unchanged', 'shot-02': 'unchanged' });
    expect(plan.totals).toMatchObject({ spent_cents: 252, cost_cents: 0 });
    const status = JSON.parse((await render(['status', p.spec, '--json'], { cwd: p.dir, server })).stdout) as { shots: { status: string; output: string }[] };
    expect(status.shots.map((s) => [s.status, s.output])).toEqual([
      ['completed', 'intact'],
      ['completed', 'intact'],
    ]);
    // Nothing to do: the apply stops before it opens the state, and the file stays as the previous render left it.
    const idle = await apply(p, server);
    expectExit(idle, 0);
    expect(idle.stderr).toContain('Nothing to do');
    expect(readFileSync(p.lockFile, 'utf8')).toBe(v1Text);

    // An apply with work to do (a deleted output, downloaded again for $0) writes version 2.
    rmSync(p.output('shot-02'));
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(linesOf(r.stderr, /^submitted /)).toEqual([]);
    const migrated = expectVerifiedOutputs(p);
    expect(migrated.version).toBe(2);
    expect(Object.keys(migrated.endpoints)).toEqual([endpoint]);
    for (const id of p.ids()) {
      const take = currentOf(migrated, id)!;
      expect(take).toMatchObject({ n: 1, prediction_id: state.shots[id]!.takes[0]!.prediction_id, fingerprint: state.shots[id]!.takes[0]!.fingerprint });
    }
    expect(currentOf(migrated, 'shot-01')!.request.prompt).toBe(p.shots[0]!.prompt);
    expect(Object.values(actions((await planJson(p, server)).plan))).toEqual(['unchanged', 'unchanged']);
    expect(server.stats().submissions).toBe(2);
    await expectMoneySafe(p, server);
    expectNoVideoLost(p, new Map([...videos].map(([sha, n]) => [sha, n - 1])));
  });
});
