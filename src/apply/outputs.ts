import { existsSync, lstatSync, mkdirSync, renameSync, type Stats } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import type { LockShot, LockTake } from '../lock/schema.js';
import { sha256FileSync } from '../util/canonical-json.js';
import { displayPath } from '../util/paths.js';
import { iso, type RunContext } from './context.js';

/**
 * Output files (docs/ARCHITECTURE.md "Outputs"): a shot's video is `<id>.mp4` in its endpoint's place; more outputs
 * of one prediction are `<id>+2.mp4`, `<id>+3.mp4` (a `+` no shot id can contain, so names never collide). Earlier
 * takes live in `.takes/`. Nothing is ever overwritten or deleted: before a file takes an output name, whatever is
 * there is moved aside, and recorded: to its take's own name in `.takes/` when it is byte for byte that take's
 * output, else (edited by hand, or no take owns it) to a `kept` name, named in the run's output.
 */

/** The file name of output `index` (0-based) of a shot. */
export function outputName(shotId: string, index: number): string {
  return index === 0 ? `${shotId}.mp4` : `${shotId}+${index + 1}.mp4`;
}

/** Where a take's outputs go when it is not (or no longer) the current one. */
export function takeFileName(shotId: string, take: LockTake, index: number): string {
  const suffix = index === 0 ? '' : `+${index + 1}`;
  return `${shotId}${suffix}.take-${take.n}-${(take.prediction_id ?? 'none').slice(0, 12)}.mp4`;
}

export function relToSpec(ctx: RunContext, abs: string): string {
  return path.relative(ctx.specDir, abs).split(path.sep).join('/');
}

/** `.takes/` of the endpoint's place, made if missing; refused when it is a symbolic link (never followed). */
/**
 * Before anything is paid: the folders render makes inside the output folder (`.mock/`, `.takes/`) must be real
 * folders where they exist. A symbolic link there would carry paid videos out of the folder (or bring foreign ones
 * in), and found at the first download it would be found after the money moved. (The output folder itself may be a
 * link, to another disk say: it is the user's to place.)
 */
export function checkOutputPlaces(outputDir: string, placeDir: string): void {
  const inside = placeDir === outputDir ? [path.join(placeDir, '.takes')] : [placeDir, path.join(placeDir, '.takes')];
  for (const dir of inside) {
    let st: Stats;
    try {
      st = lstatSync(dir);
    } catch {
      continue; // made by render when needed
    }
    if (!st.isDirectory()) {
      throw new RenderError(
        'USAGE',
        `${displayPath(dir)} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}: render writes paid videos there and will not follow it; nothing was submitted`,
        {
          hint: 'move it away (render makes the folder itself), or set output: in the spec to a real folder',
        },
      );
    }
  }
}

export function takesDir(ctx: RunContext): string {
  const dir = path.join(ctx.placeDir, '.takes');
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch {
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  if (!st.isDirectory()) {
    throw new RenderError(
      'DOWNLOAD_FAILED',
      `${relToSpec(ctx, dir)} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}: render keeps earlier takes there and will not follow it`,
      {
        hint: 'move it away (render makes the folder itself); nothing in it was touched',
      },
    );
  }
  return dir;
}

/**
 * Make `dest` free for a new file without losing what is there. A file that is byte for byte the recorded output
 * of a take (on any endpoint that shares the folder) moves to that take's name in `.takes/`; anything else (an
 * edited file, a file no lockfile entry owns, a symbolic link, a folder) moves to a `kept` name, recorded.
 */
export async function clearPlace(ctx: RunContext, dest: string): Promise<void> {
  const rel = relToSpec(ctx, dest);
  let st: Stats;
  try {
    st = lstatSync(dest);
  } catch {
    await recordEarlierMoves(ctx, rel); // nothing there
    return;
  }
  const hash = st.isFile() ? sha256FileSync(dest) : undefined;
  const owner = hash === undefined ? undefined : ownerOf(ctx, rel, hash);
  const dir = takesDir(ctx);
  if (owner) {
    const aside = path.join(dir, takeFileName(owner.shot, owner.take, owner.index));
    renameSync(dest, aside);
    await ctx.store.record({
      t: 'moved',
      at: iso(ctx.now()),
      endpoint: owner.endpoint,
      shot: owner.shot,
      n: owner.take.n,
      from: rel,
      to: relToSpec(ctx, aside),
    });
    return;
  }
  const what = st.isSymbolicLink() ? 'a symbolic link' : st.isDirectory() ? 'a folder' : st.isFile() ? undefined : 'not a regular file';
  const reason = what
    ? `${what} stood at an output name`
    : ownedPath(ctx, rel)
      ? 'edited after it was downloaded (not byte for byte the recorded output)'
      : 'no take of this campaign owns it';
  const stamp = iso(ctx.now())
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const aside = path.join(dir, `${path.basename(dest, '.mp4')}.kept-${stamp}${hash ? `-${hash.slice(0, 8)}` : ''}${st.isFile() ? '.mp4' : ''}`);
  renameSync(dest, aside);
  await ctx.store.record({
    t: 'kept',
    at: iso(ctx.now()),
    from: rel,
    path: relToSpec(ctx, aside),
    sha256: hash ?? '',
    bytes: st.isFile() ? st.size : 0,
    reason,
  });
  ctx.emit({ type: 'kept', from: rel, path: relToSpec(ctx, aside), reason });
}

/**
 * A take that still claims `rel` although its file is already at its own name in `.takes/`: a run killed between
 * moving the file and recording the move. The move is recorded now (the aside name carries the take's number and
 * prediction id, so a file there is that take's).
 */
async function recordEarlierMoves(ctx: RunContext, rel: string): Promise<void> {
  for (const { endpoint, shot, take } of takesNaming(ctx, rel)) {
    for (const [index, out] of take.outputs.entries()) {
      if (out.path !== rel) continue;
      const aside = path.join(ctx.placeDir, '.takes', takeFileName(shot, take, index));
      if (!existsSync(aside)) continue;
      await ctx.store.record({ t: 'moved', at: iso(ctx.now()), endpoint, shot, n: take.n, from: rel, to: relToSpec(ctx, aside) });
    }
  }
}

/**
 * The takes that may have an output at `rel`: those of the shot its file name is made from (`<id>.mp4`,
 * `<id>+2.mp4`, `.takes/<id>[+k].take-…`), on every endpoint. Names never collide across shots, so the others need
 * not be looked at: O(takes of one shot), not O(every take), per file placed (a 10,000-shot run places 10,000).
 */
function takesNaming(ctx: RunContext, rel: string): { endpoint: string; shot: string; entry: LockShot; take: LockTake }[] {
  const base = path.posix.basename(rel);
  const ids = new Set<string>();
  if (base.endsWith('.mp4')) ids.add(base.slice(0, -4));
  const plus = base.indexOf('+');
  if (plus > 0) ids.add(base.slice(0, plus));
  for (let i = base.indexOf('.take-'); i > 0; i = base.indexOf('.take-', i + 1)) ids.add(base.slice(0, i));
  const found: { endpoint: string; shot: string; entry: LockShot; take: LockTake }[] = [];
  for (const [endpoint, state] of Object.entries(ctx.store.lock.endpoints)) {
    for (const shot of ids) {
      const entry = Object.hasOwn(state.shots, shot) ? state.shots[shot] : undefined;
      if (!entry) continue;
      for (const take of entry.takes) found.push({ endpoint, shot, entry, take });
    }
  }
  return found;
}

interface Owner {
  endpoint: string;
  shot: string;
  take: LockTake;
  index: number;
}

/**
 * The take whose recorded output at `rel` has exactly these bytes. Several takes may claim one name over time (a file
 * deleted by hand, then a later take downloaded there): the current take owns it, else the latest to complete.
 */
function ownerOf(ctx: RunContext, rel: string, sha256: string): Owner | undefined {
  let best: (Owner & { rank: number }) | undefined;
  for (const { endpoint, shot, entry, take } of takesNaming(ctx, rel)) {
    const index = take.outputs.findIndex((o) => o.path === rel && o.sha256 === sha256);
    if (index < 0) continue;
    const rank = entry.current === take.n ? Number.POSITIVE_INFINITY : Date.parse(take.completed_at ?? take.submitted_at);
    if (!best || rank >= best.rank) best = { endpoint, shot, take, index, rank };
  }
  return best;
}

function ownedPath(ctx: RunContext, rel: string): boolean {
  return takesNaming(ctx, rel).some(({ take }) => take.outputs.some((o) => o.path === rel));
}

/** Move a take's files (intact, elsewhere) back under the shot's output names, clearing each name first. */
export async function moveTakeInPlace(ctx: RunContext, shotId: string, take: LockTake): Promise<string> {
  const first = path.join(ctx.placeDir, outputName(shotId, 0));
  for (const [index, out] of take.outputs.entries()) {
    const dest = path.join(ctx.placeDir, outputName(shotId, index));
    const rel = relToSpec(ctx, dest);
    if (out.path === rel) continue;
    const src = restorable(ctx, take, out.path, out.sha256);
    await clearPlace(ctx, dest);
    renameSync(src, dest);
    await ctx.store.record({ t: 'moved', at: iso(ctx.now()), endpoint: ctx.endpoint, shot: shotId, n: take.n, from: out.path, to: rel });
  }
  await clearExtraOutputs(ctx, shotId, take.outputs.length);
  return first;
}

/**
 * Output names past the current take's count (`<id>+2.mp4`... of an earlier take that had more outputs) are
 * cleared too: the earlier take's file goes to `.takes/` with the rest of it, never left beside a take it is
 * not part of.
 */
export async function clearExtraOutputs(ctx: RunContext, shotId: string, count: number): Promise<void> {
  for (let i = Math.max(1, count); ; i++) {
    const dest = path.join(ctx.placeDir, outputName(shotId, i));
    try {
      lstatSync(dest);
    } catch {
      return;
    }
    await clearPlace(ctx, dest);
  }
}

/**
 * The file of an earlier take, checked before it is moved back under an output name: reached without a symbolic
 * link (a `.takes/` made a link to elsewhere is never a way in), a regular file, and byte for byte the recorded
 * output (the plan only compared sizes). Anything else is refused and left where it is: a file never comes in
 * from outside through a link, and an edited one is never restored as if it were the take.
 */
function restorable(ctx: RunContext, take: LockTake, rel: string, sha256: string): string {
  const src = path.resolve(ctx.specDir, rel);
  const refuse = (why: string) =>
    new RenderError('DOWNLOAD_FAILED', `take #${take.n}'s file ${rel} ${why}: not restored`, {
      hint: 'move it away and run `render apply` again: the take is downloaded again while the server keeps it',
    });
  if (throughLink(ctx.specDir, src)) throw refuse('is reached through a symbolic link');
  if (!lstatSync(src).isFile()) throw refuse('is not a regular file');
  if (sha256FileSync(src) !== sha256) throw refuse('is not byte for byte the recorded output (edited?)');
  return src;
}

/** Whether a folder on the way from `base` to `file` is a symbolic link. */
function throughLink(base: string, file: string): boolean {
  let at = base;
  for (const part of path.relative(base, path.dirname(file)).split(path.sep)) {
    if (part === '') continue;
    at = path.join(at, part);
    if (part !== '..' && lstatSync(at).isSymbolicLink()) return true;
  }
  return false;
}
