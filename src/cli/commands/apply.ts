import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { applySpec } from '../../apply/apply-spec.js';
import { looksLikeSavedPlan, planToJson, readSavedPlan, type SavedPlan } from '../../plan/saved-plan.js';
import { RenderError } from '../../errors.js';
import type { MockServer } from '../../mock/index.js';
import { createClient, type PollPolicy } from '../../provider/index.js';
import { hasWork, type Plan } from '../../plan/build.js';
import { createReporter, reporterMode } from '../../report/apply-reporter.js';
import { eventLine } from '../../report/json.js';
import { paintFor, type Paint } from '../../report/colour.js';
import { plural } from '../../report/format.js';
import { terminalWidth } from '../../report/output.js';
import { formatPlanTable } from '../../report/plan-table.js';
import { quoteNotes } from '../../report/quotes.js';
import { type CommandContext, defineCommand } from '../command.js';
import { confirmSpend } from '../confirm.js';
import { EXIT } from '../exit-codes.js';
import { baseUrlOf, checkSelection, COMMON, durationOption, endpointOf, intOption, maxCostOf, numberOption, selectOf } from '../options.js';
import { MOCK_ENDPOINT } from '../../endpoint.js';
import { findFfmpeg } from '../../util/ffmpeg.js';

/** On the embedded mock, polls are free and tasks take a fraction of a second: poll briskly. */
const MOCK_POLL: Partial<PollPolicy> = { initialMs: 200, factor: 1.25, maxMs: 1000, jitter: 0.1 };

const OPTIONS = {
  yes: { type: 'boolean', short: 'y', description: 'do not ask for confirmation' },
  concurrency: {
    type: 'string',
    value: 'N',
    description: "predictions submitted and not finished, 1 to 10000 (default: the spec's concurrency, else 4)",
  },
  only: COMMON.only,
  mock: COMMON.mock,
  json: { type: 'boolean', description: 'print NDJSON events on stdout (the plan first)' },
  'max-cost': COMMON['max-cost'],
  'poll-interval': COMMON['poll-interval'],
  'poll-growth': {
    type: 'string',
    value: 'FACTOR',
    description: 'waits grow by this per poll while render times are unknown or overdue, 1 to 4 (default 1.5; 1.25 on --mock)',
  },
  'request-timeout': { type: 'string', value: 'DURATION', description: 'deadline of one API request (default 60s)' },
  'settle-after': {
    type: 'string',
    value: 'DURATION',
    description: 'wait after a submit is given up before "not in the list" means never created (default 60s; 1s on --mock)',
  },
} as const;

export const applyCommand = defineCommand({
  usage: 'render apply SPEC|PLAN [--yes] [--concurrency N] [--only GLOB] [--mock] [--json] [--max-cost USD] [--poll-interval DURATION]',
  description: `
Plans (or takes a plan saved by \`render plan --out\`, refused if stale), shows it, asks before spending
(--yes skips; without a terminal it refuses), then renders with at most --concurrency predictions in
flight. Every prediction is recorded in <name>.lock.json beside the spec the moment it is known; outputs
go to the spec's output folder. Killed or failed, run it again: what was paid is polled and downloaded,
never paid again.

On a terminal: the plan, then the question (which server, and whether the money is real), then progress
bars once you typed "yes"; lines printed while they run stay above them.

Before anything is uploaded, the server is asked its price for each distinct request shape (free): a shot
it prices above its planned cost stops the apply, nothing submitted (a server without the quote route
does not: the price table's figures stand, and the run says so).

Polls learn: each render's time on the server (per model, kind of shot and duration, kept in the
lockfile for the next run) says when a prediction should finish; it is polled from then, every
--poll-interval (never more often) until it should be done, then less and less often. With nothing
learned yet, polls start at --poll-interval and grow by --poll-growth, no wait longer than a tenth
of the time waited so far (the first render to finish informs the others).

--concurrency counts queued and running tasks. Set it to your account tier's submits a minute or
its running-task limit, whichever is larger: Bronze 2, Silver 500, Gold 3000, Ultra 10000 (at the
running limit alone, each slot waits for render to see its task end before the next starts). A 429 on submit pauses every submit until its Retry-After; the account's submit rate is
learned from it. A refused submit created nothing and is sent again; one whose answer was lost never is.

With RENDER_STATE_URL (or the spec's state: { url_env }), the state is kept in that PostgreSQL database:
one apply per campaign across every machine (a second is refused, naming who holds it), each record
committed there before the step it records, the lockfile written beside the spec as its snapshot.

Ctrl-C once: no new submits, in-flight shots finish and are recorded. Twice: exit at once (they resume).
SIGTERM (a cancelled CI job) or SIGHUP: stop at once, write the lockfile, exit 143 or 129.
Exit codes: 0 all done, 1 some shots failed or were skipped, the run was interrupted or declined,
2 invalid spec, plan, usage or environment, 3 over budget (nothing submitted), 5 done but shots are
blocked (they failed on their input: change them in the spec).`,
  options: OPTIONS,
  positionals: [1, 1],
  run: runApplyCommand,
});

async function runApplyCommand({ io, options, positionals }: CommandContext<typeof OPTIONS>): Promise<number> {
  const target = positionals[0]!;
  const saved = readSavedPlanIfAny(target);
  if (saved && (options.only !== undefined || options['max-cost'] !== undefined)) {
    throw new RenderError('USAGE', '--only and --max-cost belong to `render plan` when applying a saved plan', { hint: 'make the plan again with them' });
  }
  const mockMode = Boolean(options.mock) || saved?.endpoint === MOCK_ENDPOINT;
  const endpoint = endpointOf(mockMode, io.env);
  const concurrency = intOption(options, 'concurrency', 1, 10_000);
  const firstPoll = durationOption(options, 'poll-interval');
  const growth = numberOption(options, 'poll-growth', 1, 4);
  const settleAfter = durationOption(options, 'settle-after');
  const requestTimeoutMs = durationOption(options, 'request-timeout');
  // The embedded server is loaded only for --mock. With ffmpeg its outputs are animatics of each shot's own images.
  const mock: MockServer | undefined = mockMode ? await (await import('../../mock/index.js')).startMockServer({ ffmpeg: findFfmpeg(io.env)?.path }) : undefined;
  // Both settings come from io.env, never process.env (createClient's fallback when one is absent): a run in a
  // test process, or a library caller's, sees only the environment it was given.
  const client = mock
    ? createClient({ baseUrl: mock.url, apiKey: mock.apiKey, requestTimeoutMs })
    : createClient({ apiKey: io.env.WAVESPEED_API_KEY ?? '', baseUrl: baseUrlOf(io.env), requestTimeoutMs });
  const paint = { stdout: paintFor(io.stdout, io.env), stderr: paintFor(io.stderr, io.env) };
  const reporter = createReporter(reporterMode(Boolean(options.json), io.stderr, io.env), {
    stdout: io.stdout,
    stderr: io.stderr,
    redact: client.redact,
    paint,
  });
  const stop = new AbortController();
  const hard = new AbortController();
  // Every request in flight listens on these (AbortSignal.any): hundreds at once is normal, not a leak.
  setMaxListeners(0, stop.signal, hard.signal);
  let interrupts = 0;
  let declined = false;
  const unhook = io.onInterrupt?.(() => {
    interrupts++;
    if (interrupts === 1) {
      stop.abort();
      reporter.note('stopping: no new submits; in-flight shots finish and are recorded (Ctrl-C again to exit now)');
    } else hard.abort();
  });
  try {
    const savedIds = saved ? new Set(saved.shots.map((s) => s.id)) : undefined;
    const outcome = await applySpec({
      spec: saved?.spec ?? target,
      savedPlan: saved,
      endpoint,
      client,
      emit: (e) => reporter.emit(e),
      concurrency,
      maxRunCents: maxCostOf(options['max-cost']),
      select: savedIds ? (id) => savedIds.has(id) : selectOf(options.only),
      poll: { ...(mockMode ? MOCK_POLL : {}), ...(firstPoll ? { initialMs: firstPoll } : {}), ...(growth ? { factor: growth } : {}) },
      settleAfterMs: settleAfter ?? (mockMode ? 1000 : 60_000),
      requestTimeoutMs,
      stopSignal: stop.signal,
      signal: hard.signal,
      env: io.env,
      show: ({ plan, shots }) => {
        checkSelection(
          options.only,
          plan.shots.length,
          shots.map((s) => s.id),
        );
        if (options.json) io.stdout.write(`${client.redact(eventLine({ type: 'plan', plan: planToJson(plan) }, new Date()))}\n`);
        else io.stdout.write(`${formatPlanTable(plan, { width: terminalWidth(io.stdout), paint: paint.stdout })}\n\n`);
      },
      // Shots priced above their plan are refused with an error; what else the quotes say is noted.
      quoted: (quotes) => {
        for (const line of quoteNotes(quotes, { above: false })) reporter.note(line);
      },
      confirm: async ({ plan }) => {
        const work = plan.shots.filter((s) => s.action !== 'unchanged' && s.action !== 'blocked').length + plan.fetch.length;
        if (!hasWork(plan)) {
          reporter.note(nothingToDo(plan, paint.stderr));
          return false;
        }
        // Checked here, not first: an invalid spec is reported as such (exit 2) with or without a key, and a
        // plan with nothing to do needs none.
        if (!mockMode && !io.env.WAVESPEED_API_KEY) {
          throw new RenderError('AUTH', 'WAVESPEED_API_KEY is not set', { hint: 'export WAVESPEED_API_KEY=... (or try the tool for free with --mock)' });
        }
        const yes = await confirmSpend(io, Boolean(options.yes), {
          costCents: plan.totals.costCents,
          shots: work,
          endpoint: plan.endpoint,
          paint: paint.stderr,
        });
        if (!yes) {
          reporter.note('Cancelled: nothing was submitted.');
          declined = true;
        }
        return yes;
      },
    });
    // Nothing to do is success, unless shots are blocked (a script must know the campaign is not complete); a user
    // who answered no to spending did not get what they ran.
    const blocked = outcome.planned.plan.shots.some((shot) => shot.action === 'blocked') ? EXIT.blocked : EXIT.ok;
    if (outcome.kind === 'declined') return declined ? EXIT.failed : blocked;
    const s = outcome.summary;
    return s.failed.length > 0 || s.skipped.length > 0 || s.interrupted ? EXIT.failed : blocked;
  } finally {
    unhook?.();
    reporter.close();
    await mock?.close();
  }
}

/** Said when no shot needs work: blocked shots are not "rendered and intact", and must not be reported so. */
function nothingToDo(plan: Plan, paint: Paint): string {
  const blocked = plan.shots.filter((s) => s.action === 'blocked');
  if (blocked.length === 0) return 'Nothing to do: every shot is rendered and intact ($0.00).';
  const away = blocked.filter((s) => s.onlyAt !== undefined).length;
  const failed = blocked.length - away;
  const parts = [
    failed > 0 ? `${paint.fail(`${plural(failed, 'shot')} blocked`)} (failed on their input: change them in the spec to render them again)` : '',
    away > 0 ? `${paint.fail(plural(away, 'shot'))} whose video only another machine has (copy it here, see the plan)` : '',
    `${plan.shots.length - blocked.length} rendered and intact`,
  ];
  return `Nothing to do ($0.00): ${parts.filter(Boolean).join(', ')}.`;
}

function readSavedPlanIfAny(target: string): SavedPlan | undefined {
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch {
    return undefined; // not readable here: loadSpec reports it properly
  }
  return looksLikeSavedPlan(text) ? readSavedPlan(target, text) : undefined;
}
