import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Files a killed run can leave behind: partial downloads in the output folder (`.<id>.mp4.<pid>.<hex>.part`
 * from the client, `<id>.mp4.download` before verification) and temp lockfiles beside the spec
 * (`<name>.lock.json.<pid>.<t>.tmp`). None is ever the only copy of anything paid for: the lockfile and
 * journal say what to download again. Swept at the start of an apply, under the process lock, so no live
 * run is writing them. Returns the number of files removed.
 */
export function sweepLeftovers(outputDir: string, specDir: string, name: string): number {
  let removed = 0;
  const sweep = (dir: string, match: (f: string) => boolean) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return; // no folder yet: nothing left behind
    }
    for (const f of entries) {
      if (!match(f)) continue;
      rmSync(path.join(dir, f), { force: true });
      removed++;
    }
  };
  const partial = (f: string) => /^\..+\.part$/.test(f) || f.endsWith('.mp4.download');
  for (const dir of [outputDir, path.join(outputDir, '.takes'), path.join(outputDir, '.mock'), path.join(outputDir, '.mock', '.takes')]) sweep(dir, partial);
  const lock = `${name}.lock.json.`;
  sweep(specDir, (f) => f.startsWith(lock) && f.endsWith('.tmp'));
  sweep(path.join(specDir, '.render'), (f) => f.startsWith(`${name}.last.lock.json.`) && f.endsWith('.tmp'));
  return removed;
}
