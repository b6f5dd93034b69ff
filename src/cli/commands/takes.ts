import { listTakes } from '../../plan/takes.js';
import { formatTakes, takesToJson } from '../../report/takes.js';
import { defineCommand } from '../command.js';
import { EXIT } from '../exit-codes.js';
import { readStateFor, warnState } from '../state.js';

export const takesCommand = defineCommand({
  usage: 'render takes SPEC [SHOT...] [--json]',
  description: `
Every prediction a shot ever had is a take, kept in the lockfile and (its video) in the output folder's
.takes/ folder. For each: its number, endpoint, status, prediction id, cost (refunds shown as such), when,
its file and whether it is intact, and the prompt's first words. * marks the current take. Going back to
an earlier prompt, var or take number restores that take for $0 (\`render plan\` shows it as restore).`,
  options: {
    json: { type: 'boolean', description: 'print JSON on stdout' },
  },
  positionals: [1, Infinity],
  async run({ io, options, positionals }) {
    const [spec, ...shots] = positionals;
    const state = await readStateFor(spec!, io, 'takes');
    warnState(io, state);
    const report = listTakes(spec!, shots, state);
    io.stdout.write(options.json ? `${JSON.stringify(takesToJson(report), null, 2)}\n` : `${formatTakes(report)}\n`);
    return EXIT.ok;
  },
});
