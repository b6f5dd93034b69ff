import { RenderError } from '../../errors.js';
import { moveState } from '../../lock/open-backend.js';
import { STATE_URL_ENV } from '../../lock/state-url.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { stateTargetOf } from '../state.js';

export const stateCommand = defineCommand({
  usage: 'render state push|pull SPEC',
  description: `
Moves a campaign's state between the files beside the spec and the PostgreSQL database named by
${STATE_URL_ENV} (or by the variable the spec's \`state: { url_env: NAME }\` names).

  push  imports the lockfile, and any journal of an interrupted apply in .render/, into a database that has
        no state for this campaign yet; from then on apply, plan and status use the database.
  pull  writes the database's state beside the spec as <name>.lock.json (a snapshot: commit it so git shows
        what changed, and plan works offline). A lockfile there that is not one of the database's snapshots
        is moved into .render/, never deleted. Refused while an apply runs in this folder (it writes the
        lockfile itself); an apply on another machine is fine (its last snapshot is written).

The URL's password is never printed. Exit codes: 0 done, 1 the database could not be reached, 2 usage.`,
  options: {},
  positionals: [2, 2],
  async run({ io, positionals }) {
    const [direction, spec] = positionals as [string, string];
    if (direction !== 'push' && direction !== 'pull') {
      throw new RenderError('USAGE', `state: unknown action "${direction}"`, { hint: 'usage: render state push|pull SPEC' });
    }
    const target = stateTargetOf(spec, io.env);
    if (!target) {
      throw new RenderError('USAGE', `state ${direction}: no state database: set ${STATE_URL_ENV}, or name a variable in the spec's state: { url_env: NAME }`, {
        hint: `e.g. export ${STATE_URL_ENV}=postgres://render@localhost:5432/render (README "Working as a team")`,
      });
    }
    for (const line of await moveState(direction, target.location, target.file, target.name)) io.stdout.write(`${line}\n`);
    return EXIT.ok;
  },
});
