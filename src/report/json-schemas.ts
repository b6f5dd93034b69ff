import { z } from 'zod';
import type { ApplyEvent } from '../apply/events.js';
import { ACTIONS } from '../plan/diff.js';
import { moneySchema as money } from '../plan/quote-json.js';
import { getSavedPlanSchema } from '../plan/saved-plan.js';
import { specJsonSchema } from '../spec/schema.js';

/**
 * The shape of every `--json` output and apply event (docs/SPEC.md "JSON output"), as zod schemas in the JSON
 * convention of report/json.ts. `render schema NAME` prints each as a JSON Schema, committed in schema/; the tests
 * check real outputs against the committed files, and that the files equal what `render schema` prints. The
 * descriptions come from here, so the documentation cannot drift from the shape.
 */

const int = z.number().int();

const at = z.string().describe('when the event was reported (ISO 8601)');
const shotId = z.string().describe('the shot id');
const predictionId = z.string().describe("the server's prediction id");

const TakeError = z
  .object({
    code: z.string().describe("render's error code"),
    task_code: int.optional().describe("the server's task code (1xxx: the input)"),
    message: z.string(),
  })
  .describe('why the take failed, as the lockfile records it');

const StatusShot = z.object({
  id: shotId,
  in_spec: z.boolean().describe('false for a lockfile entry of a shot no longer in the spec (its spend still counts)'),
  action: z.enum(ACTIONS).nullable().describe('what `render plan` would do now; unchanged means the shot matches the spec and its output is intact'),
  reason: z.string().nullable().describe("the plan's reason"),
  duration: int.nullable().describe('seconds of video'),
  status: z.string().describe("the current take's status, `unknown` (a submit whose outcome is unknown) or `not_rendered`"),
  take: int.nullable().describe('the current take, by its number'),
  takes: int.describe('how many takes the shot has on this endpoint'),
  prediction_id: predictionId.nullable(),
  ...money('cost', 'what the current take cost (0 when refunded or forgotten)'),
  ...money('refunded', 'what was refunded for the current take (a failed task)'),
  output: z.enum(['intact', 'missing', 'changed', 'none']).describe("the current take's output file"),
  output_path: z.string().nullable().describe('the output file, relative to the spec'),
  fingerprint: z.string().nullable(),
  error: TakeError.nullable(),
  unknown: z
    .array(z.object({ take: int, since: z.string(), ...money('cost', 'counted as spent until adopted or forgotten') }))
    .describe('submits whose outcome is unknown: `render adopt` or `render forget` each'),
  prompt: z.string().nullable().describe('the prompt as sent (multi-prompt parts joined)'),
});

const StatusSchema = z
  .object({
    spec: z.string().describe('the spec file, absolute'),
    name: z.string(),
    endpoint: z.string().describe('`mock`, or the API origin'),
    verified: z.boolean().describe('outputs checked by sha256 (--verify), not only by size'),
    ...money('spent', 'what counts against the budget (every real endpoint together, or the mock play money)'),
    ...money('budget', 'budget.max_usd'),
    takes_to_fetch: z
      .array(z.object({ id: shotId, take: int }))
      .describe('paid takes no shot is on, never downloaded: the next apply fetches them into .takes/ for $0'),
    spent_by_endpoint: z.array(z.object({ endpoint: z.string(), ...money('spent', 'spent on this endpoint') })),
    shots: z.array(StatusShot).describe('the shots of the spec in order, then lockfile entries no longer in it'),
  })
  .describe('`render status --json`');

const TakesSchema = z
  .object({
    spec: z.string(),
    name: z.string(),
    takes: z.array(
      z.object({
        shot: shotId,
        take: int.describe('the take number'),
        endpoint: z.string(),
        current: z.boolean().describe('the take the shot is on now'),
        status: z.string(),
        prediction_id: predictionId.nullable(),
        ...money('cost', 'what the take cost (0 when refunded or forgotten)'),
        refunded: z.boolean(),
        ...money('refunded', 'what was refunded (a failed task)'),
        fingerprint: z.string(),
        submitted_at: z.string(),
        completed_at: z.string().nullable(),
        file: z
          .object({ path: z.string(), state: z.enum(['intact', 'missing', 'changed']) })
          .nullable()
          .describe('its video, and whether it is intact'),
        request: z.record(z.string(), z.unknown()).describe('the request by content'),
        error: TakeError.nullable(),
        settled_by: z.string().nullable().describe('how an unknown outcome was settled: list, adopt or forget'),
      }),
    ),
  })
  .describe('`render takes --json`: newest first');

const ValidSchema = z.object({
  valid: z.literal(true),
  spec: z.string(),
  name: z.string(),
  seconds: int.describe('seconds of video in all'),
  ...money('cost', 'what rendering every shot from scratch costs'),
  shots: z.array(z.object({ id: shotId, duration: int, request: z.record(z.string(), z.unknown()).describe('the request body') })),
});

const InvalidSchema = z.object({
  valid: z.literal(false),
  spec: z.string(),
  error: z.object({
    code: z.string().describe('SPEC_INVALID, FILE_NOT_FOUND, ...'),
    message: z.string(),
    hint: z.string().nullable().describe('what to do next'),
    issues: z
      .array(
        z.object({
          file: z.string(),
          line: int.nullable(),
          col: int.nullable(),
          path: z.string().nullable().describe('the field, e.g. shots[2].duration'),
          message: z.string(),
        }),
      )
      .describe('every problem, each once'),
  }),
});

const ValidateSchema = z.union([ValidSchema, InvalidSchema]).describe('`render validate --json`');

const event = <T extends string, S extends z.ZodRawShape>(type: T, shape: S, what: string) => z.object({ type: z.literal(type), ...shape, at }).describe(what);

const ApplyEventSchema = z
  .discriminatedUnion('type', [
    event('plan', { plan: getSavedPlanSchema() }, 'the plan, first (the format of `render plan --json`)'),
    event(
      'start',
      {
        shots: int,
        to_submit: int,
        to_resume: int,
        to_restore: int.describe('earlier takes that become current again, for $0'),
        to_fetch: int.describe('paid takes never downloaded, fetched into .takes/ for $0'),
        ...money('cost', 'what this run submits'),
        concurrency: int,
        endpoint: z.string(),
      },
      'the run starts',
    ),
    event('upload', { path: z.string(), sha256: z.string(), url: z.string() }, 'a local image was uploaded'),
    event('submitted', { id: shotId, prediction_id: predictionId, ...money('cost', 'charged') }, 'a submit was accepted'),
    event('status', { id: shotId, prediction_id: predictionId, status: z.string() }, 'a prediction changed status'),
    event(
      'unknown',
      { id: shotId, take: int, ...money('cost', 'counted as spent'), message: z.string() },
      'a submit was given up without an answer: counted as spent, looked for in the list, never sent again',
    ),
    event('settled', { id: shotId, take: int, prediction_id: predictionId, message: z.string() }, 'an unknown outcome settled by evidence'),
    event('restored', { id: shotId, take: int, path: z.string() }, 'an earlier take became current again, for $0'),
    event('fetched', { id: shotId, take: int, path: z.string() }, 'a paid take that was never downloaded was downloaded into .takes/, for $0'),
    event('kept', { from: z.string(), path: z.string(), reason: z.string() }, 'a file at an output name was moved aside, not overwritten'),
    event('downloaded', { id: shotId, path: z.string(), bytes: int, sha256: z.string() }, 'an output was downloaded and verified'),
    event('done', { id: shotId }, 'a shot is rendered and recorded'),
    event(
      'failed',
      {
        id: shotId,
        code: z.string(),
        message: z.string(),
        hint: z.string().optional(),
        refunded_cents: int.optional().describe('a task that failed after it was charged: refunded, in integer cents'),
        refunded_usd: z.number().optional().describe('the same in US dollars'),
        task_code: int.optional().describe("the server's task code of a failed task (1xxx: the input; the shot is then blocked)"),
      },
      'a shot failed',
    ),
    event('skipped', { id: shotId, reason: z.string() }, 'a shot was not started (stopped, budget, a stop on the account)'),
    event(
      'summary',
      {
        summary: z.object({
          done: int,
          fetched: int.describe('paid takes no shot is on, downloaded into .takes/'),
          failed: z.array(z.object({ id: shotId, code: z.string(), message: z.string(), task_code: int.optional() })),
          skipped: z.array(z.object({ id: shotId, reason: z.string() })),
          unknown: z.array(z.object({ id: shotId, take: int, ...money('cost', 'counted as spent') })),
          kept: z.array(z.object({ from: z.string(), path: z.string() })),
          ...money('spent', 'spent in this run: charges minus refunds'),
          ...money('charged', 'charges made in this run'),
          ...money('refunded', 'refunds seen in this run'),
          ...money('total_spent', 'everything the lockfile says the campaign spent, after the run'),
          elapsed_ms: int,
          interrupted: z.boolean(),
          io: z.object({ lockfile_bytes: int, lockfile_writes: int, journal_bytes: int, journal_records: int }).optional(),
        }),
      },
      'the run ended',
    ),
  ])
  .describe('one line of `render apply --json` (NDJSON)');

const verdict = z.enum(['ok', 'info', 'warn', 'problem', 'skipped']).describe('problem: an apply would trip on it');
const check = <T extends string, S extends z.ZodRawShape>(name: T, shape: S) =>
  z.object({ check: z.literal(name), verdict, detail: z.string().describe('what was found, in words'), ...shape });

const DoctorSchema = z
  .object({
    server: z.object({
      url: z.string().describe('the base URL asked'),
      endpoint: z.string().describe('`mock`, or the API origin'),
      kind: z.enum(['wavespeed', 'compatible', 'mock']).describe('wavespeed: real money'),
    }),
    spec: z.object({ name: z.string(), file: z.string() }).nullable().describe('the spec whose plan was checked, if one was given'),
    ok: z.boolean().describe('no problem found'),
    problems: int,
    warnings: int,
    checks: z
      .array(
        z.discriminatedUnion('check', [
          check('api_key', {}),
          check('balance', { ...money('balance', 'the account balance', true), ...money('plan_cost', "what the spec's plan would spend", true) }),
          check('price', {
            model: z.string(),
            duration: int.describe('seconds'),
            sound: z.boolean(),
            shots: int.describe('shots of the plan with this request shape'),
            ...money('table', "render's price table, one shot"),
            ...money('quoted', "the server's price, one shot", true),
            ...money('discounted', "the server's discounted price, when it gives one", true),
          }),
          check('list_inputs', {
            shows_inputs: z.boolean().nullable().describe("whether the server's list of predictions carries their inputs"),
            looked_at: int,
          }),
          check('server_clock', { offset_ms: z.number().nullable().describe("the server's clock minus ours") }),
          check('round_trip', { fastest_ms: z.number().nullable(), slowest_ms: z.number().nullable(), requests: int }),
        ]),
      )
      .describe('one entry per check, in the order run'),
  })
  .describe('`render doctor --json`');

const LedgerSchema = z
  .object({
    spec: z.string(),
    name: z.string(),
    endpoint: z.string(),
    window: z.object({ start: z.string(), end: z.string() }).nullable().describe("the campaign's time window on the bill"),
    bill_from: z.string().nullable().describe('the oldest billing item read'),
    complete: z.boolean().describe('false when the bill had more items than render reads in one go'),
    takes: z
      .array(
        z.object({
          shot: shotId,
          take: int,
          prediction_id: predictionId.nullable(),
          status: z.string(),
          submitted_at: z.string(),
          ...money('planned', 'what the plan said the take costs'),
          ...money('counted', 'what the lockfile counts as spent'),
          ...money('charged', 'what the bill charged'),
          ...money('refunded', 'what the bill refunded'),
          ...money('difference', 'billed minus counted; null when it cannot be told', true),
          note: z.string(),
        }),
      )
      .describe('one row per take on this endpoint'),
    totals: z.object({
      ...money('planned', 'planned'),
      ...money('counted', 'counted as spent'),
      ...money('charged', 'charged'),
      ...money('refunded', 'refunded'),
      ...money('net', 'charged minus refunded'),
      ...money('difference', 'billed minus counted'),
    }),
    unowned: z
      .array(
        z.object({
          prediction_id: predictionId,
          model: z.string().nullable(),
          charged_at: z.string().nullable(),
          ...money('charged', 'charged'),
          ...money('refunded', 'refunded'),
          fits: z.array(z.object({ shot: shotId, take: int })).describe('unknown submits of this campaign it may be: `render adopt` it'),
        }),
      )
      .describe("charges in the campaign's time window that no take owns"),
    elsewhere: z.array(z.object({ endpoint: z.string(), takes: int })).describe("takes on other servers, billed to those servers' accounts"),
    ignored_items: int.describe('billing items without a prediction (top-ups, orders)'),
  })
  .describe('`render ledger --json`');

// Every apply event has its schema: a type added to apply/events.ts without one here fails to compile, naming it.
type EventsWithoutSchema = Exclude<ApplyEvent['type'], z.infer<typeof ApplyEventSchema>['type']>;
const everyEventHasSchema: [EventsWithoutSchema] extends [never] ? true : EventsWithoutSchema = true;
void everyEventHasSchema;

/** Every schema `render schema NAME` prints; the file in schema/ is `<file>`. */
export const JSON_SCHEMAS = {
  spec: { file: 'render-spec.schema.json', what: 'the spec format', schema: () => specJsonSchema() },
  plan: {
    file: 'plan.schema.json',
    what: '`render plan --json` and saved plans (--out)',
    schema: () => toSchema(getSavedPlanSchema().describe('`render plan --json`'), 'plan'),
  },
  'apply-event': { file: 'apply-event.schema.json', what: 'each line of `render apply --json`', schema: () => toSchema(ApplyEventSchema, 'apply-event') },
  status: { file: 'status.schema.json', what: '`render status --json`', schema: () => toSchema(StatusSchema, 'status') },
  takes: { file: 'takes.schema.json', what: '`render takes --json`', schema: () => toSchema(TakesSchema, 'takes') },
  validate: { file: 'validate.schema.json', what: '`render validate --json`', schema: () => toSchema(ValidateSchema, 'validate') },
  doctor: { file: 'doctor.schema.json', what: '`render doctor --json`', schema: () => toSchema(DoctorSchema, 'doctor') },
  ledger: { file: 'ledger.schema.json', what: '`render ledger --json`', schema: () => toSchema(LedgerSchema, 'ledger') },
} as const;

export type JsonSchemaName = keyof typeof JSON_SCHEMAS;

function toSchema(schema: z.ZodType, name: JsonSchemaName): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>),
    $id: `https://render.dev/schema/${JSON_SCHEMAS[name].file}`,
  };
}
