import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { displayPath } from '../util/paths.js';

/** The file in an output folder that names the campaign it belongs to. */
export const CLAIM_FILE = '.render-campaign.json';

export interface Claim {
  name: string;
  lineage: string;
  /** The lockfile serial the last apply into this folder ended with. */
  serial?: number;
}

/** The claim of an output folder, if it has one (read-only). */
export function readClaim(outputDir: string): Claim | undefined {
  const file = path.join(outputDir, CLAIM_FILE);
  try {
    if (!lstatSync(file).isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOTFILE' });
    return JSON.parse(readFileSync(file, 'utf8')) as Claim;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RenderError('USAGE', `${displayPath(file)} cannot be read: the output folder's owner is unknown`, {
      hint: `it names the campaign that owns ${displayPath(outputDir)}; restore it, or move the folder's videos elsewhere`,
    });
  }
}

/**
 * An output folder holds one campaign's videos (docs/ARCHITECTURE.md "Outputs"). The first apply claims it; an
 * apply of another spec (another name, or another lockfile lineage) naming the same folder is refused before
 * anything is downloaded there, so two campaigns never take each other's file names.
 */
export function claimOutputFolder(outputDir: string, claim: Claim, specFile: string): void {
  const existing = checkClaim(outputDir, claim, specFile);
  writeClaim(outputDir, { ...claim, serial: Math.max(claim.serial ?? 0, existing?.serial ?? 0) });
}

/**
 * Refuse, writing nothing, when the output folder is claimed by another campaign or another lockfile lineage.
 * Checked before an apply writes anything (its journal, its copy of the lockfile, the claim): a refused apply
 * must leave no trace, or it would take the folder over for the wrong lockfile and the next run would pass.
 * Returns the existing claim.
 */
export function checkClaim(outputDir: string, claim: Claim, specFile: string): Claim | undefined {
  const existing = readClaim(outputDir);
  if (existing && (existing.name !== claim.name || existing.lineage !== claim.lineage)) {
    const who =
      existing.name === claim.name
        ? `another lockfile of "${claim.name}" (lineage ${String(existing.lineage).slice(0, 8)}, not ${claim.lineage.slice(0, 8)})`
        : `the campaign "${String(existing.name)}"`;
    throw new RenderError('USAGE', `the output folder ${displayPath(outputDir)} belongs to ${who}: two campaigns must not share one`, {
      hint: `give ${displayPath(specFile)} its own \`output:\` folder (the default is renders/<name>/); if the lockfile was made anew on purpose, move the folder's videos aside first`,
    });
  }
  return existing;
}

/** Record the serial the lockfile ended a run with: a lockfile restored from before it is noticed by plan. */
export function writeClaim(outputDir: string, claim: Claim): void {
  writeFileAtomic(path.join(outputDir, CLAIM_FILE), `${JSON.stringify(claim, null, 2)}\n`);
}
