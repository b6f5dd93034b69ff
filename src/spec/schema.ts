import { z } from 'zod';
import { DEFAULT_MODEL, MODEL_IDS } from '../models.js';
import { MAX_BUDGET_USD, USD_AMOUNT, USD_CAP, usdToCents } from '../money.js';

/**
 * The spec format, version 1 (docs/SPEC.md). Every object is strict: an unknown key is an error, because the
 * server would silently ignore it and still bill. Messages say what is expected; the value found is added
 * when issues are rendered (spec/check.ts), so they read `must be an integer from 3 to 15, got 16`.
 */

const intRange = (min: number, max: number) =>
  z
    .number({ error: `must be an integer from ${min} to ${max}` })
    .int({ error: `must be an integer from ${min} to ${max}` })
    .min(min, { error: `must be an integer from ${min} to ${max}` })
    .max(max, { error: `must be an integer from ${min} to ${max}` });

/** A message for a value of the wrong type only; other issues (unknown keys, a field's own checks) keep theirs. */
const wrongType = (message: string, badKey?: string) => (issue: { code: string }) =>
  issue.code === 'invalid_type' ? message : issue.code === 'invalid_key' ? badKey : undefined;

const text = (what: string) => z.string({ error: `must be ${what}` });
const nonEmpty = (what: string) => text(what).min(1, { error: `must be ${what}, not empty` });

const TemplateRefSchema = z.strictObject(
  {
    template: nonEmpty('the path of a Handlebars template file').describe('a Handlebars template file, relative to the spec'),
  },
  { error: wrongType('must be { template: path }') },
);

const PromptSchema = z.union([text('a string or { template: path }'), TemplateRefSchema], {
  error: 'must be a string or { template: path }',
});
const promptHelp = 'Handlebars: {{var}}, {{shot.duration}}, helpers eq ne and or not upper lower join default element';

const MultiPromptItemSchema = z.strictObject(
  {
    prompt: nonEmpty('a prompt string').describe(`this part's prompt, at most 512 characters after templating (${promptHelp})`),
    duration: intRange(1, 15).describe("this part's seconds; the parts add up to the shot's duration"),
  },
  { error: wrongType('must be a map { prompt, duration }') },
);

/** The fields a shot may set, and `defaults` may set under every shot. */
const shotFields = {
  image: nonEmpty('a local path or an https URL').describe(
    'the start frame: a local PNG or JPEG (relative to the spec; uploaded once, by content) or an https URL; at most 10 MB, each side at least 300 px, aspect 1:2.5 to 2.5:1',
  ),
  end_image: nonEmpty('a local path or an https URL').describe('the end frame, like image; not with multi_prompt'),
  prompt: PromptSchema.describe(`what happens in the shot, at most 2,500 characters after templating; a string or { template: path } (${promptHelp})`),
  negative_prompt: PromptSchema.describe('what to avoid, like prompt'),
  duration: intRange(3, 15).describe('seconds of video, 3 to 15 (default 5); the cost is seconds × the price per second'),
  cfg_scale: z
    .number({ error: 'must be a number from 0 to 1' })
    .min(0, { error: 'must be a number from 0 to 1' })
    .max(1, { error: 'must be a number from 0 to 1' })
    .describe('how closely the video follows the prompt, 0 to 1 (default 0.5)'),
  sound: z.boolean({ error: 'must be true or false' }).describe('render sound too (default false; same price)'),
  shot_type: z.enum(['customize', 'intelligent'], { error: 'must be "customize" or "intelligent"' }).describe('customize (default) or intelligent'),
  multi_prompt: z
    .array(MultiPromptItemSchema, { error: 'must be a list of { prompt, duration }' })
    .min(1, { error: 'must have 1 to 6 items' })
    .max(6, { error: 'must have 1 to 6 items' })
    .describe("a multi-shot video: 1 to 6 parts { prompt, duration } whose durations add up to the shot's; instead of prompt"),
  elements: z
    .array(nonEmpty('an element name'), { error: 'must be a list of element names' })
    .max(3, { error: 'may name at most 3 elements' })
    .describe("up to 3 names from the spec's elements, referenced in prompts as {{element 'name'}}"),
};

const DefaultsSchema = z
  .strictObject(shotFields, { error: wrongType('must be a map of shot fields, e.g. duration: 5') })
  .partial()
  .describe("shot fields merged under every shot; a shot's own value wins (prompt and multi_prompt are one slot)");

const scalar = z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string, number or boolean' });

const MatrixSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'matrix variable names are letters, digits and _' }),
    z.array(scalar, { error: 'must be a list of values' }).min(1, { error: 'must list at least one value' }),
    { error: wrongType('must be a map of variable: [values]', 'matrix variable names are letters, digits and _') },
  )
  .describe('one shot per combination of these values, in the order written; the id must use the variables, e.g. city-{{city}}');

const ShotSchema = z
  .strictObject(
    {
      id: nonEmpty('a shot id').describe('names the output file: A-Z a-z 0-9 . _ -, unique after matrix expansion (templated)'),
      matrix: MatrixSchema.optional(),
      ...DefaultsSchema.shape,
      /** Not sent to the API: bump it to render the same inputs again (a new take); part of the fingerprint. */
      take: z
        .number({ error: 'must be a positive integer' })
        .int({ error: 'must be a positive integer' })
        .min(1, { error: 'must be a positive integer' })
        .optional()
        .describe('bump it to render the same inputs again as a new take (default 1); never sent to the API'),
    },
    { error: wrongType('must be a shot: a map with id, image, prompt, ...') },
  )
  .describe('one shot (or, with matrix, one per combination)');

const ElementSchema = z.strictObject(
  {
    // Kling element ids are 15-digit integers: a YAML number that long can lose digits, so ids must be strings.
    id: z
      .string({ error: 'must be a quoted string of digits, e.g. "307212335131305" (a bare number can lose digits)' })
      .regex(/^\d{1,32}$/, { error: 'must be a string of digits' })
      .describe('the Kling element id, as a quoted string of digits'),
    description: text('a string').optional().describe('what the element is, for people'),
  },
  { error: wrongType('must be a map { id: "digits", description }') },
);

const varValue: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(varValue), z.record(z.string(), varValue)]));

export const SpecSchema = z.strictObject(
  {
    $schema: z.string().optional().describe('ignored: lets editors find this schema'),
    version: z.literal(1, { error: 'must be 1 (the only spec format version)' }).describe('the spec format version: 1'),
    name: z
      .string({ error: 'must be a name of a-z, 0-9 and -' })
      .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'must be a name of a-z, 0-9 and - (up to 64), starting with a letter or digit' })
      .describe('a-z, 0-9 and -: names the lockfile (<name>.lock.json) and the default output folder'),
    model: z
      .enum(MODEL_IDS, { error: `must be one of: ${MODEL_IDS.join(', ')}` })
      .default(DEFAULT_MODEL)
      .describe(`the WaveSpeed model every shot is rendered on (default ${DEFAULT_MODEL})`),
    output: nonEmpty('a folder path').optional().describe('where the videos go, relative to the spec (default renders/<name>)'),
    templates: nonEmpty('a folder path').optional().describe('a folder whose *.hbs files are partials, by file name: {{> name}}'),
    budget: z
      .strictObject(
        {
          max_usd: z
            .number({ error: 'must be an amount in US dollars, e.g. 60 or 59.50' })
            .min(0, { error: 'must not be negative' })
            .max(MAX_BUDGET_USD, { error: `must be ${USD_CAP}` })
            // Whole cents, as --max-cost: a sub-cent budget would be silently rounded (docs/SPEC.md "Rules").
            .refine((usd) => usd < 0 || usd > MAX_BUDGET_USD || usdToCents(usd) !== null, { error: `must be ${USD_AMOUNT}` })
            .describe('the most this campaign may spend in all, in US dollars: what the lockfile says was spent plus what a plan adds'),
        },
        { error: 'must be a map with max_usd, e.g. budget: { max_usd: 60 }' },
      )
      .describe('required: the most the campaign may spend'),
    max_shots: z
      .number({ error: 'must be a positive integer' })
      .int({ error: 'must be a positive integer' })
      .min(1, { error: 'must be a positive integer' })
      .optional()
      .describe('a cap on the number of shots after matrix expansion'),
    // The highest tier runs 10,000 tasks at once (docs/ARCHITECTURE.md "Pacing submits").
    concurrency: intRange(1, 10_000)
      .optional()
      .describe("predictions in flight at once (default 4), up to your tier's running-task limit; --concurrency overrides"),
    /**
     * Where the campaign's state lives (docs/SPEC.md "Additions"): by default the lockfile and `.render/`; with
     * `url_env`, the PostgreSQL database whose URL is in that environment variable. The spec names the variable,
     * never the URL: a password never lands in git.
     */
    state: z
      .strictObject(
        {
          url_env: z
            .string({ error: 'must be the name of an environment variable, e.g. RENDER_STATE_URL' })
            .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, { error: 'must be the name of an environment variable (letters, digits, _), not a URL' })
            .describe('the environment variable that holds the PostgreSQL URL'),
        },
        { error: wrongType('must be a map { url_env: NAME }: the environment variable that holds the state URL') },
      )
      .optional()
      .describe('where the state lives: by default the lockfile and .render/; { url_env: NAME } for a PostgreSQL database'),
    defaults: DefaultsSchema.optional(),
    vars: z
      .record(z.string(), varValue, { error: 'must be a map of name: value' })
      .optional()
      .describe('template variables for every templated field: {{name}}'),
    elements: z
      .record(z.string().regex(/^[A-Za-z0-9_-]+$/), ElementSchema, {
        error: wrongType('must be a map of name: { id, description }', 'element names are letters, digits, _ and -'),
      })
      .optional()
      .describe('Kling Elements made beforehand, by name: { id: "digits", description }; used as {{element \'name\'}}'),
    shots: z.array(ShotSchema, { error: 'must be a list of shots' }).min(1, { error: 'must list at least one shot' }).describe('the shots, in order'),
  },
  { error: wrongType('a spec must be a map of fields: version, name, budget, shots, ...') },
);

export type Spec = z.infer<typeof SpecSchema>;
export type SpecInput = z.input<typeof SpecSchema>;
export type ShotSpec = z.infer<typeof ShotSchema>;
export type ShotDefaults = z.infer<typeof DefaultsSchema>;
export type PromptValue = z.infer<typeof PromptSchema>;

/**
 * Fields every shot gets when neither the shot nor `defaults` sets them: the API's own defaults, sent explicitly
 * (docs/ARCHITECTURE.md "API facts we rely on").
 */
export const BUILTIN_DEFAULTS = { duration: 5, cfg_scale: 0.5, sound: false, shot_type: 'customize' } as const;

/** The JSON Schema editors use to complete and check specs (`render schema`). */
export function specJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(SpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://render.dev/schema/render-spec.schema.json',
    title: 'render campaign spec (version 1)',
  };
}
