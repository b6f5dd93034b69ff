import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { displayPath } from '../util/paths.js';
import type { LoadedState } from '../lock/backend.js';
import type { Lockfile } from '../lock/schema.js';
import { lockfilePath } from '../lock/file.js';
import { readCurrentLock } from '../lock/store.js';
import { checkSpecParts } from '../spec/check.js';
import { loadSpec, specInvalid, type LoadedSpec } from '../spec/load.js';
import type { Spec } from '../spec/schema.js';
import { buildPlan, outputDirOf, type Plan } from './build.js';
import { CLAIM_FILE, readClaim } from '../lock/claim.js';
import { isRenderError, RenderError, type Issue } from '../errors.js';
import { expandSpec } from './expand.js';
import { inspectImages } from './images.js';
import type { ExpandedShot, ImageInfo } from './types.js';

/** A spec read, checked, expanded and its images inspected: everything `validate` proves. */
export interface ValidSpec {
  loaded: LoadedSpec;
  spec: Spec;
  shots: ExpandedShot[];
  images: Map<string, ImageInfo>;
}

/** Parse, check, expand and inspect images; throws one SPEC_INVALID error with every problem found. */
export function validateSpec(file: string): ValidSpec {
  const loaded = loadSpec(file);
  try {
    // One pass across the stages (docs/SPEC.md "Rules"): the shots the schema refused are set aside, the others are
    // expanded, templated, checked and their images inspected, and every problem is thrown together.
    const checked = checkSpecParts(loaded);
    if (!checked.spec) throw specInvalid(loaded.shown, checked.issues);
    const spec = checked.spec;
    const shots = expandSpec(loaded, spec, { skip: checked.skip, issues: checked.issues });
    const images = inspectImages(loaded, shots);
    if (checked.issues.length > 0) throw specInvalid(loaded.shown, checked.issues);
    return { loaded, spec, shots, images };
  } catch (err) {
    throw isRenderError(err, 'SPEC_INVALID') ? specInvalid(loaded.shown, inReadingOrder(err.issues)) : err;
  }
}

/** Issues by place in the file (line, then column); those without a place keep their order, after. */
function inReadingOrder(issues: readonly Issue[]): Issue[] {
  const at = (i: Issue) => (i.line === undefined ? Number.MAX_SAFE_INTEGER : i.line * 100_000 + (i.col ?? 0));
  return [...issues].sort((a, b) => at(a) - at(b));
}

export interface PlanSpecOptions {
  /** `mock` for the embedded server, else the base URL's origin. */
  endpoint: string;
  maxRunCents?: number;
  select?: (id: string) => boolean;
  now?: number;
  /** The state as a state database has it (docs/ARCHITECTURE.md "Team state"); default: the lockfile and journal. */
  state?: LoadedState;
}

export interface PlannedSpec extends ValidSpec {
  plan: Plan;
  lock: Lockfile;
  lockFile: string;
}

/** validate + read the lockfile + build the plan. No network. */
export function planSpec(file: string, options: PlanSpecOptions): PlannedSpec {
  return planValidSpec(validateSpec(file), options);
}

/** Read the lockfile (with any interrupted run's journal) and build the plan of a validated spec. */
export function planValidSpec(valid: ValidSpec, options: PlanSpecOptions): PlannedSpec {
  const lockFile = lockfilePath(valid.loaded.file, valid.spec.name);
  // An interrupted run's journal counts: what it recorded was paid for.
  const outputDir = outputDirOf(valid.loaded.file, valid.spec);
  let lock = options.state?.lock ?? readCurrentLock(valid.loaded.file, valid.spec.name);
  // An apply ending while this reads writes the lockfile, then the output folder's claim: a claim newer than the
  // lockfile just read may be that, so the lockfile is read again before it is called old (docs/ARCHITECTURE.md "State").
  if (!options.state && claimIsNewer(lock, outputDir)) lock = readCurrentLock(valid.loaded.file, valid.spec.name);
  checkAgainstOutputs(lock, outputDir, lockFile);
  const plan = buildPlan({
    specFile: valid.loaded.file,
    spec: valid.spec,
    shots: valid.shots,
    images: valid.images,
    lock,
    endpoint: options.endpoint,
    now: options.now ?? Date.now(),
    fileSize,
    maxRunCents: options.maxRunCents,
    select: options.select,
    downloadedElsewhere: options.state?.downloadedElsewhere,
  });
  plan.warnings.push(
    ...(options.state?.warnings ?? []),
    ...renamedLockfiles(valid.loaded.file, valid.spec.name),
    ...foreignOutputFolder(lock, plan.outputDir, valid.spec.name),
  );
  return { ...valid, plan, lock, lockFile };
}

/**
 * The output folder remembers the lockfile serial its last apply ended with: a lockfile older than that (restored
 * from git after `.render/` was lost too) is refused, as planning from it would pay again for what it forgot.
 */
function claimIsNewer(lock: Lockfile, outputDir: string): boolean {
  const claim = readClaim(outputDir);
  return claim !== undefined && claim.lineage === lock.lineage && (claim.serial ?? 0) > lock.serial;
}

function checkAgainstOutputs(lock: Lockfile, outputDir: string, lockFile: string): void {
  if (!claimIsNewer(lock, outputDir)) return;
  const claim = readClaim(outputDir)!;
  throw new RenderError(
    'LOCKFILE_INVALID',
    `${displayPath(lockFile)} is older (serial ${lock.serial}) than the outputs of the last apply in ${displayPath(outputDir)} (serial ${claim.serial}): it was restored from an older commit`,
    {
      hint: `restore the newer lockfile from git (or from .render/ if it is still there); if this one is what you mean to keep (a merge you checked), remove ${displayPath(path.join(outputDir, CLAIM_FILE))} and run again`,
    },
  );
}

/** An output folder another campaign (or another lockfile of this one) claimed: apply will refuse it, so say so now. */
function foreignOutputFolder(lock: Lockfile, outputDir: string, name: string): string[] {
  const claim = readClaim(outputDir);
  if (!claim || (claim.name === name && claim.lineage === lock.lineage)) return [];
  const who = claim.name === name ? `another lockfile of "${name}"` : `the campaign "${String(claim.name)}"`;
  return [
    `the output folder ${displayPath(outputDir)} belongs to ${who}: \`render apply\` will refuse it; give this spec its own \`output:\` folder (the default is renders/<name>/)`,
  ];
}

/**
 * A lockfile beside the spec that records this spec file under another `name:`: the spec was renamed, and what
 * the old name spent is not counted against this budget any more (docs/ARCHITECTURE.md "Money rules", rule 4).
 */
function renamedLockfiles(specFile: string, name: string): string[] {
  const dir = path.dirname(specFile);
  const base = path.basename(specFile);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.lock.json') && f !== `${name}.lock.json`);
  } catch {
    return [];
  }
  const warnings: string[] = [];
  for (const f of files) {
    // Keys are sorted, so `name` and `spec` stand at the end, at the top level's two-space indent, before `version`
    // and any wal after it (docs/SPEC.md "Files the tool writes"): a lockfile whose tail is a wal is read whole.
    let tail = readTail(path.join(dir, f), 2048);
    if (!tail.includes('\n  "version": ')) tail = readTail(path.join(dir, f), Number.MAX_SAFE_INTEGER);
    const old = /\n {2}"name": ("(?:[^"\\]|\\.)*"),/.exec(tail)?.[1];
    const spec = /\n {2}"spec": ("(?:[^"\\]|\\.)*"),/.exec(tail)?.[1];
    if (old && spec && JSON.parse(spec) === base) {
      warnings.push(
        `${displayPath(path.join(dir, f))} records this spec under its old name ${old}: what it spent is not counted against this budget. To keep the campaign's history and budget, put name: ${old} back, or rename the campaign: rename the file to ${name}.lock.json and set its "name" to ${JSON.stringify(name)}`,
      );
    }
  }
  return warnings;
}

function readTail(file: string, bytes: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

function fileSize(abs: string): number | undefined {
  try {
    const st = statSync(abs);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}
