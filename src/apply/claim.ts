import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { RenderError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { displayPath } from '../util/paths.js';

/** The file in an output folder that names the campaign it belongs to. */
export const CLAIM_FILE = '.render-campaign.json';

interface Claim {
  name: string;
  lineage: string;
}

/**
 * An output folder holds one campaign's videos (docs/ARCHITECTURE.md "Outputs"). The first apply claims it; an
 * apply of another spec (another name, or another lockfile lineage) naming the same folder is refused before
 * anything is downloaded there, so two campaigns never take each other's file names.
 */
export function claimOutputFolder(outputDir: string, claim: Claim, specFile: string): void {
  const file = path.join(outputDir, CLAIM_FILE);
  let existing: Partial<Claim> | undefined;
  try {
    if (lstatSync(file).isFile()) existing = JSON.parse(readFileSync(file, 'utf8')) as Partial<Claim>;
    else throw new Error('not a file');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new RenderError('USAGE', `${displayPath(file)} cannot be read: the output folder's owner is unknown`, {
        hint: `it names the campaign that owns ${displayPath(outputDir)}; restore it, or move the folder's videos elsewhere`,
      });
    }
  }
  if (existing && (existing.name !== claim.name || existing.lineage !== claim.lineage)) {
    const who = existing.name === claim.name ? `another lockfile of "${claim.name}" (lineage ${String(existing.lineage).slice(0, 8)}, not ${claim.lineage.slice(0, 8)})` : `the campaign "${String(existing.name)}"`;
    throw new RenderError('USAGE', `the output folder ${displayPath(outputDir)} belongs to ${who}: two campaigns must not share one`, {
      hint: `give ${displayPath(specFile)} its own \`output:\` folder (the default is renders/<name>/)`,
    });
  }
  if (!existing) writeFileAtomic(file, `${JSON.stringify({ name: claim.name, lineage: claim.lineage }, null, 2)}\n`);
}
