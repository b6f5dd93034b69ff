import {
  appendFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { outputName } from '../../src/apply/outputs.js';
import { serializeLockfile } from '../../src/lock/file.js';
import {
  actions,
  apply,
  currentOf,
  expectExit,
  expectVerifiedOutputs,
  linesOf,
  makeProject,
  mockServer,
  planJson,
  readLock,
  render,
  sha256File,
  shotOf,
  shotsOf,
  takesOf,
} from './helpers.js';
import { expectMoneySafe, expectNoVideoLost, videoCensus } from './invariants.js';

/**
 * Issue 9.9: output files. A second output of a prediction never takes another shot's name; two campaigns never
 * share one folder; a file render did not write, or that was edited, is never overwritten nor followed; the
 * `.takes/` folder is never a way out of the output folder.
 */

/** A folder outside the project, removed when the test ends. */
function outside(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'render-outside-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A file's identity on disk: the same inode and mtime means it was not rewritten or replaced. */
function identity(file: string): string {
  const st = lstatSync(file);
  return `${st.ino}:${st.mtimeMs}:${st.size}`;
}

describe('output names', () => {
  it('the second output of shot `a` is a+2.mp4: a `+` no shot id may contain, so never shot `a-2`s name', async () => {
    expect([0, 1, 2].map((i) => outputName('a', i))).toEqual(['a.mp4', 'a+2.mp4', 'a+3.mp4']);
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    p.shots[0]!.id = 'a';
    p.shots[1]!.id = 'a-2';
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const other = identity(p.output('a-2'));

    // A prediction with two outputs (the mock serves one each; its second URL here is the first one again): what
    // apply does once the server reports them, as recorded in the lockfile before the download.
    const lock = readLock(p);
    const take = currentOf(lock, 'a')!;
    take.remote_outputs = [take.outputs[0]!.url, take.outputs[0]!.url];
    take.outputs = [];
    writeFileSync(p.lockFile, serializeLockfile(lock));
    rmSync(p.output('a'));
    expect(shotOf((await planJson(p, server)).plan, 'a')).toMatchObject({ action: 'restore', cost_cents: 0 });
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(linesOf(r.stderr, /^downloaded /)).toEqual(['downloaded renders/e2e/a.mp4 (4.3 KB)', 'downloaded renders/e2e/a+2.mp4 (4.3 KB)']);
    expect(currentOf(readLock(p), 'a')!.outputs.map((o) => o.path)).toEqual(['renders/e2e/a.mp4', 'renders/e2e/a+2.mp4']);
    expect(identity(p.output('a-2'))).toBe(other);
    expect(Object.values(actions((await planJson(p, server)).plan))).toEqual(['unchanged', 'unchanged']);

    // A new take moves both outputs of the earlier one aside, under names of their own; a-2.mp4 is not touched.
    p.shots[0]!.prompt = 'shot a, reshot';
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const first = takesOf(readLock(p), 'a')[0]!;
    const id = first.prediction_id!.slice(0, 12);
    expect(first.outputs.map((o) => o.path)).toEqual([`renders/e2e/.takes/a.take-1-${id}.mp4`, `renders/e2e/.takes/a+2.take-1-${id}.mp4`]);
    expect(identity(p.output('a-2'))).toBe(other);
    expect(readdirSync(p.outputDir).filter((f) => f.endsWith('.mp4'))).toEqual(['a-2.mp4', 'a.mp4']);
    await expectMoneySafe(p, server);
    expectNoVideoLost(p, new Map());

    // And no shot may be called a+2.
    p.shots[1]!.id = 'a+2';
    p.writeSpec();
    const bad = await render(['validate', p.spec], { cwd: p.dir });
    expectExit(bad, 2);
    expect(bad.stderr).toMatch(/shots\[1\]\.id: must be 1 to 100 characters of A-Z a-z 0-9 \. _ -/);
  });
});

describe('one output folder per campaign', () => {
  it('a second spec naming the same output: folder is refused (exit 2) before anything is submitted or downloaded, and leaves no trace', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const other = p.abs('other.yaml');
    writeFileSync(other, readFileSync(p.spec, 'utf8').replace('name: e2e\n', 'name: other\noutput: renders/e2e\n'));
    const before = readdirSync(p.dir).sort();
    const videos = videoCensus(p.outputDir);
    const files = Object.fromEntries(readdirSync(p.outputDir).map((f) => [f, identity(path.join(p.outputDir, f))]));

    // The plan says so first.
    const plan = await render(['plan', other], { cwd: p.dir, server });
    expectExit(plan, 0);
    expect(plan.stdout).toContain(
      'warning: the output folder renders/e2e belongs to the campaign "e2e": `render apply` will refuse it; give this spec its own `output:` folder (the default is renders/<name>/)',
    );
    const r = await render(['apply', other, '--yes', '--poll-interval', '50ms'], { cwd: p.dir, server });
    expectExit(r, 2);
    expect(r.stderr).toBe(
      'error: the output folder renders/e2e belongs to the campaign "e2e": two campaigns must not share one\n' +
        "hint: give other.yaml its own `output:` folder (the default is renders/<name>/); if the lockfile was made anew on purpose, move the folder's videos aside first\n",
    );
    expect(server.stats()).toMatchObject({ submissions: 2, uploads: 2 });
    expect(readdirSync(p.dir).sort()).toEqual(before); // no other.lock.json
    expect(Object.fromEntries(readdirSync(p.outputDir).map((f) => [f, identity(path.join(p.outputDir, f))]))).toEqual(files);
    expectNoVideoLost(p, videos);
  });
});

describe('render status --verify', () => {
  it('reports a file edited in place to the same size as changed (without --verify only sizes are compared)', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const file = p.output('shot-01');
    const bytes = readFileSync(file);
    const mid = bytes.length >> 1;
    bytes[mid] = bytes[mid]! ^ 0xff;
    writeFileSync(file, bytes);
    const outputOf = async (extra: string[]) => {
      const r = await render(['status', p.spec, '--json', ...extra], { cwd: p.dir, server });
      expectExit(r, 0);
      const status = JSON.parse(r.stdout) as { verified: boolean; shots: { id: string; output: string }[] };
      return [status.verified, Object.fromEntries(status.shots.map((s) => [s.id, s.output]))];
    };
    expect(await outputOf([])).toEqual([false, { 'shot-01': 'intact', 'shot-02': 'intact' }]);
    expect(await outputOf(['--verify'])).toEqual([true, { 'shot-01': 'changed', 'shot-02': 'intact' }]);
    const table = await render(['status', p.spec, '--verify'], { cwd: p.dir, server });
    expect(table.stdout).toMatch(/^Status of e2e \(spec\.yaml\) on http:\/\/127\.0\.0\.1:\d+, outputs checked by sha256$/m);
    expect(table.stdout).toMatch(/^\s+shot-01\s+\S+\s+#1 completed\s+3s\s+\$1\.26\s+changed\s/m);
  });
});

describe('files render did not write', () => {
  it('a symbolic link at an output name is moved aside and recorded, never followed: its target is untouched', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 1 });
    const victim = path.join(outside(), 'victim.txt');
    writeFileSync(victim, 'precious');
    mkdirSync(p.outputDir, { recursive: true });
    symlinkSync(victim, p.output('shot-01'));
    const r = await apply(p, server);
    expectExit(r, 0);
    expect(readFileSync(victim, 'utf8')).toBe('precious');
    const lock = expectVerifiedOutputs(p);
    expect(lock.kept).toEqual([
      {
        from: 'renders/e2e/shot-01.mp4',
        path: expect.stringMatching(/^renders\/e2e\/\.takes\/shot-01\.kept-\d{8}T\d{6}Z$/),
        sha256: '',
        bytes: 0,
        at: expect.any(String),
        reason: 'a symbolic link stood at an output name',
      },
    ]);
    const aside = p.abs(lock.kept[0]!.path);
    expect(lstatSync(aside).isSymbolicLink()).toBe(true);
    expect(readlinkSync(aside)).toBe(victim);
    expect(r.stderr).toContain(`kept renders/e2e/shot-01.mp4 as ${lock.kept[0]!.path} (a symbolic link stood at an output name): moved aside, not overwritten`);
    expect(r.stdout).toContain(`  kept    renders/e2e/shot-01.mp4 → ${lock.kept[0]!.path} (moved aside, not overwritten)`);
  });

  it('a .takes folder that is a symbolic link to elsewhere is refused before anything is paid: nothing is moved through it', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const elsewhere = outside();
    symlinkSync(elsewhere, path.join(p.outputDir, '.takes'));
    const old = identity(p.output('shot-01'));
    p.shots[0]!.prompt = 'shot one, reshot';
    p.writeSpec();
    const r = await apply(p, server);
    expectExit(r, 2);
    expect(r.stderr).toMatch(
      /^error: renders\/e2e\/\.takes is a symbolic link: render writes paid videos there and will not follow it; nothing was submitted$/m,
    );
    expect(server.stats().submissions).toBe(2);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(identity(p.output('shot-01'))).toBe(old);
    expect(takesOf(readLock(p), 'shot-01').map((t) => [t.n, t.status, t.outputs.length])).toEqual([[1, 'completed', 1]]);

    rmSync(path.join(p.outputDir, '.takes'));
    expect(shotOf((await planJson(p, server)).plan, 'shot-01')).toMatchObject({ action: 'replace', cost_cents: 126 });
    expectExit(await apply(p, server), 0);
    expect(server.stats().submissions).toBe(3);
    await expectMoneySafe(p, server);
    expectVerifiedOutputs(p);
    expectNoVideoLost(p, new Map());
  });

  it('restoring an earlier take: never through a .takes link, never a file that is not byte for byte the take; then it is downloaded again', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 1 });
    expectExit(await apply(p, server), 0);
    const first = p.shots[0]!.prompt;
    p.shots[0]!.prompt = 'shot one, reshot';
    p.writeSpec();
    expectExit(await apply(p, server), 0);
    const take1 = takesOf(readLock(p), 'shot-01')[0]!;
    const kept = p.abs(take1.outputs[0]!.path);
    expect(take1.outputs[0]!.path).toMatch(/^renders\/e2e\/\.takes\/shot-01\.take-1-[0-9a-f]{12}\.mp4$/);
    // .takes/ now lives elsewhere, behind a link, and take 1's name there holds other bytes of the same size.
    const elsewhere = outside();
    const takes = path.join(p.outputDir, '.takes');
    renameSync(takes, path.join(elsewhere, 'takes'));
    symlinkSync(path.join(elsewhere, 'takes'), takes);
    const planted = path.join(elsewhere, 'takes', path.basename(kept));
    const bytes = readFileSync(planted);
    bytes.fill(0x41, 64);
    writeFileSync(planted, bytes);
    rmSync(p.output('shot-01'));
    p.shots[0]!.prompt = first;
    p.writeSpec();
    expect(shotOf((await planJson(p, server)).plan, 'shot-01')).toMatchObject({ action: 'restore', cost_cents: 0 });

    const linked = await apply(p, server);
    expectExit(linked, 2);
    expect(linked.stderr).toContain(
      'error: renders/e2e/.takes is a symbolic link: render writes paid videos there and will not follow it; nothing was submitted',
    );
    expect(existsSync(planted), 'the file behind the link stays where it is').toBe(true);
    expect(existsSync(p.output('shot-01'))).toBe(false);

    // The same edited bytes in a real .takes/ folder: not restored as take 1 either.
    rmSync(takes);
    renameSync(path.join(elsewhere, 'takes'), takes);
    const edited = await apply(p, server);
    expectExit(edited, 1);
    expect(edited.stderr).toContain(`take #1's file ${take1.outputs[0]!.path} is not byte for byte the recorded output (edited?): not restored`);
    expect(readFileSync(kept)).toEqual(bytes);
    expect(existsSync(p.output('shot-01'))).toBe(false);

    // Moved away as the hint says: take 1 is downloaded again from the server, for nothing.
    renameSync(kept, path.join(elsewhere, 'edited.mp4'));
    expect(shotOf((await planJson(p, server)).plan, 'shot-01')).toMatchObject({ action: 'restore', cost_cents: 0 });
    expectExit(await apply(p, server), 0);
    expect(server.stats().submissions).toBe(2);
    const lock = expectVerifiedOutputs(p);
    expect(currentOf(lock, 'shot-01')!.n).toBe(1);
    await expectMoneySafe(p, server);
  });

  it('a changed output: folder takes its videos along (restored from the old folder, no new charge)', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    const videos = videoCensus(p.outputDir);
    writeFileSync(p.spec, readFileSync(p.spec, 'utf8').replace('name: e2e\n', 'name: e2e\noutput: final\n'));
    const { plan } = await planJson(p, server);
    for (const s of plan.shots) expect(s).toMatchObject({ action: 'restore', cost_cents: 0, reason: 'the output file was moved: put it back (no new charge)' });
    expectExit(await apply(p, server), 0);
    expect(server.stats().submissions).toBe(2);
    const lock = readLock(p);
    for (const id of p.ids()) expect(currentOf(lock, id)!.outputs.map((o) => o.path)).toEqual([`final/${id}.mp4`]);
    expect(videoCensus(p.abs('final'))).toEqual(videos);
    await expectMoneySafe(p, server);
  });

  it('a file edited after download is moved aside, recorded in kept, named in the output; the recorded take comes back', async () => {
    const server = await mockServer();
    const p = makeProject({ shots: 2 });
    expectExit(await apply(p, server), 0);
    appendFileSync(p.output('shot-02'), 'edited by hand');
    const edited = sha256File(p.output('shot-02'));
    const videos = videoCensus(p.outputDir);
    expect(shotOf((await planJson(p, server)).plan, 'shot-02')).toMatchObject({
      action: 'restore',
      cost_cents: 0,
      reason: 'output file missing or changed: download it again (no new charge)',
    });
    const r = await apply(p, server);
    expectExit(r, 0);
    const lock = expectVerifiedOutputs(p);
    expect(lock.kept).toHaveLength(1);
    const kept = lock.kept[0]!;
    expect(kept).toMatchObject({
      from: 'renders/e2e/shot-02.mp4',
      path: expect.stringMatching(new RegExp(`^renders/e2e/\\.takes/shot-02\\.kept-\\d{8}T\\d{6}Z-${edited.slice(0, 8)}\\.mp4$`)),
      sha256: edited,
      reason: 'edited after it was downloaded (not byte for byte the recorded output)',
    });
    expect(sha256File(p.abs(kept.path))).toBe(edited);
    expect(r.stderr).toContain(
      `kept renders/e2e/shot-02.mp4 as ${kept.path} (edited after it was downloaded (not byte for byte the recorded output)): moved aside, not overwritten`,
    );
    expect(server.stats().submissions).toBe(2);
    expectNoVideoLost(p, videos);
    expect(Object.keys(shotsOf(lock))).toEqual(['shot-01', 'shot-02']);
    expect(statSync(p.output('shot-02')).size).toBe(currentOf(lock, 'shot-02')!.outputs[0]!.bytes);
  });
});
