import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { issueLines, render } from '../helpers/cli.js';

/**
 * docs/SPEC.md "Rules", one invalid spec per rule: `render validate` exits 2, prints nothing on stdout, and names on
 * stderr the file, line, column and field of every problem (`file:line:col field: message`), all at once.
 * Each fixture's first line says what is wrong with it. Specs whose problem is a local file (images, folders)
 * are in test/plan/images.test.ts and test/spec/spec-file.test.ts: they need generated files.
 */

const DIR = 'test/fixtures/specs/invalid';
const UNKNOWN = 'unknown keys are refused because the server would ignore them and still bill';
const ID_RULE = 'must be 1 to 100 characters of A-Z a-z 0-9 . _ - starting with a letter or digit (it names the output file)';
const SHOT_KEYS = 'id, matrix, image, end_image, prompt, negative_prompt, duration, cfg_scale, sound, shot_type, multi_prompt, elements, take';

/** [the rule, the fixture, the issues it must produce: `line:col field: message`, in order] */
const CASES: [rule: string, file: string, issues: string[]][] = [
  // YAML itself
  ['a YAML syntax error names its place', 'yaml-syntax.yaml', ['9:1: YAML syntax error: Missing closing "quote']],
  ['a mis-indented key is a YAML error', 'yaml-bad-indent.yaml', ['8:1: YAML syntax error: Sequence item without - indicator']],
  ['a key may appear once in a map', 'duplicate-key.yaml', ['9:5: duplicate key "prompt" (each key may appear once in a map)']],
  ['an alias bomb (billion laughs) is refused', 'alias-bomb.yaml', ['3:8: too many YAML aliases (refused as a resource exhaustion attack)']],
  ['an empty file is not a spec', 'empty.yaml', ['1:1: the spec is empty']],
  ['a file of comments only is not a spec', 'only-comments.yaml', ['1:1: the spec is empty']],
  ['a spec is a map', 'not-a-map.yaml', ['2:1: a spec must be a map of fields: version, name, budget, shots, ..., got a list of 2']],

  // the top level
  ['version must be 1', 'version-2.yaml', ['2:10 version: must be 1 (the only spec format version), got 2']],
  ['name is [a-z0-9-]', 'name-bad.yaml', ['3:7 name: must be a name of a-z, 0-9 and - (up to 64), starting with a letter or digit, got "Spring_Launch"']],
  ['budget is required', 'budget-missing.yaml', ['2:1 budget: is required (must be a map with max_usd, e.g. budget: { max_usd: 60 })']],
  ['budget.max_usd is not negative', 'budget-negative.yaml', ['4:20 budget.max_usd: must not be negative, got -5']],
  ['shots is required', 'shots-missing.yaml', ['2:1 shots: is required (must be a list of shots)']],
  [
    'model is one the price table knows',
    'model-unknown.yaml',
    [
      '5:8 model: must be one of: kwaivgi/kling-v3.0-4k/image-to-video, kwaivgi/kling-v3.0-4k/text-to-video, kwaivgi/kling-video-o3-4k/image-to-video, got "kwaivgi/kling-v2.1/image-to-video"',
    ],
  ],

  // unknown keys anywhere, with did-you-mean
  [
    'an unknown key at the top level',
    'unknown-key-top.yaml',
    [
      `5:9 colour: unknown key "colour" (known keys: $schema, version, name, model, output, templates, budget, max_shots, concurrency, defaults, vars, elements, shots); ${UNKNOWN}`,
    ],
  ],
  [
    'a misspelt top-level key suggests the right one',
    'unknown-key-top-typo.yaml',
    [
      '2:1 budget: is required (must be a map with max_usd, e.g. budget: { max_usd: 60 })',
      `4:8 budgt: unknown key "budgt" (did you mean "budget"?); ${UNKNOWN}`,
    ],
  ],
  ['an unknown key in a shot', 'unknown-key-shot.yaml', [`9:16 shots[0].durration: unknown key "durration" (did you mean "duration"?); ${UNKNOWN}`]],
  ['an unknown key in defaults', 'unknown-key-defaults.yaml', [`7:13 defaults.cfg_scal: unknown key "cfg_scal" (did you mean "cfg_scale"?); ${UNKNOWN}`]],
  ['an unknown key in budget', 'unknown-key-budget.yaml', [`6:18 budget.max_usd_total: unknown key "max_usd_total" (known keys: max_usd); ${UNKNOWN}`]],
  [
    'an unknown key in a multi_prompt item',
    'unknown-key-multi-prompt.yaml',
    [
      '11:9 shots[0].multi_prompt[1].duration: is required (must be an integer from 1 to 15)',
      `11:41 shots[0].multi_prompt[1].duraton: unknown key "duraton" (did you mean "duration"?); ${UNKNOWN}`,
    ],
  ],

  // field types and ranges
  [
    'every field has its type',
    'wrong-types.yaml',
    [
      '6:9 shots[0].id: must be a shot id, got 7',
      '8:13 shots[0].prompt: must be a string or { template: path }, got a list of 2',
      '9:15 shots[0].duration: must be an integer from 3 to 15, got "five"',
      '10:16 shots[0].cfg_scale: must be a number from 0 to 1, got "high"',
      '11:12 shots[0].sound: must be true or false, got "yes"',
      '12:16 shots[0].shot_type: must be "customize" or "intelligent", got "auto"',
      '13:15 shots[0].elements: must be a list of element names, got "mascot"',
    ],
  ],
  ['duration is an integer from 3 to 15 (SPEC.md example)', 'duration-16.yaml', ['14:15 shots[2].duration: must be an integer from 3 to 15, got 16']],
  [
    'duration is an integer, in defaults too',
    'duration-fraction.yaml',
    ['6:13 defaults.duration: must be an integer from 3 to 15, got 2', '11:15 shots[0].duration: must be an integer from 3 to 15, got 2.5'],
  ],
  [
    'cfg_scale is from 0 to 1',
    'cfg-scale-range.yaml',
    ['9:16 shots[0].cfg_scale: must be a number from 0 to 1, got 1.5', '13:16 shots[1].cfg_scale: must be a number from 0 to 1, got -0.1'],
  ],

  // prompt and multi_prompt
  ['not both prompt and multi_prompt', 'prompt-and-multi-prompt.yaml', ['10:7 shots[0].multi_prompt: needs exactly one of prompt and multi_prompt, got both']],
  ['not neither prompt nor multi_prompt', 'prompt-neither.yaml', ['6:5 shots[0]: needs exactly one of prompt and multi_prompt, got neither']],
  [
    "multi_prompt durations add up to the shot's",
    'multi-prompt-sum.yaml',
    ["10:7 shots[0].multi_prompt: durations must add up to the shot's duration 10, got 4 + 3 = 7"],
  ],
  ['multi_prompt has at most 6 items', 'multi-prompt-7-items.yaml', ['9:7 shots[0].multi_prompt: must have 1 to 6 items, got a list of 7']],
  ['no end_image with multi_prompt', 'end-image-with-multi-prompt.yaml', ['8:16 shots[0].end_image: is not allowed with multi_prompt (the API refuses it)']],

  // elements
  ['at most 3 elements', 'four-elements.yaml', ['14:15 shots[0].elements: may name at most 3 elements, got a list of 4']],
  [
    'at most 3 elements, counting those {{element}} adds',
    'four-elements-helper.yaml',
    ['14:15 shots[0].elements: may use at most 3 elements (including those added by {{element}}), got 4: fox, hare, owl, cat'],
  ],
  [
    'an element in `elements` is defined',
    'element-undefined.yaml',
    ['11:16 shots[0].elements[0]: element "mascott" is not defined in elements (defined: mascot)'],
  ],
  [
    "an element in {{element 'x'}} is defined",
    'element-helper-undefined.yaml',
    [`10:13 shots[0].prompt: {{element 'fox'}}: no element "fox" is defined in elements (defined: mascot)`],
  ],
  [
    'an element id is a quoted string, not a bare number',
    'element-id-number.yaml',
    ['6:17 elements.mascot.id: must be a quoted string of digits, e.g. "307212335131305" (a bare number can lose digits), got 307212335131305'],
  ],

  // shot ids
  ['ids are [A-Za-z0-9][A-Za-z0-9._-]*', 'id-charset.yaml', [`6:9 shots[0].id: ${ID_RULE}, got "hero shot"`, `9:9 shots[1].id: ${ID_RULE}, got "city/paris"`]],
  ['ids are at most 100 characters', 'id-too-long.yaml', [`6:9 shots[0].id: ${ID_RULE}, got "${'x'.repeat(101)}"`]],
  [
    'ids cannot leave the output folder, as written or expanded',
    'id-path-traversal.yaml',
    [`6:9 shots[0].id: ${ID_RULE}, got "../x"`, `9:9 shots[1].id: ${ID_RULE}, got "../../etc/cron.d" (with place=../../etc/cron.d)`],
  ],
  ['expanded ids are unique across the spec', 'id-duplicate.yaml', ['11:9 shots[1].id: duplicate shot id "city-tokyo", also produced by shots[0]']],
  [
    'ids differing only in case collide',
    'id-duplicate-case.yaml',
    [
      '9:9 shots[1].id: duplicate shot id "opener", also produced by shots[0] (differs only in letter case from "Opener": output files would collide on case-insensitive disks)',
    ],
  ],

  // matrix
  [
    "a matrix shot's id varies",
    'matrix-id-not-varying.yaml',
    [`6:9 shots[0].id: a matrix shot's id must vary with the matrix (e.g. "city-{{city}}"), got "city" for all 3 combinations`],
  ],
  ['max_shots caps the expanded count', 'max-shots.yaml', ['5:12 max_shots: the spec expands to 12 shots, more than max_shots 10']],

  // templates
  [
    'an undefined variable is an error that names it',
    'template-var-undefined.yaml',
    ['10:13 shots[0].prompt: template variable "brnd" is not defined (template line 1, column 3; defined: brand, shot.*)'],
  ],
  [
    'an undefined variable in a template file names the file',
    'template-var-undefined-file.yaml',
    [
      '10:25 shots[0].prompt.template: template variable "colour" is not defined (template line 1, column 26; defined: brand, shot.*) in ../../templates/uses-colour.hbs',
    ],
  ],
  ['a prompt template file exists', 'template-file-missing.yaml', ['8:25 shots[0].prompt.template: template file not found: test/fixtures/templates/nope.hbs']],
  [
    'the templates folder exists',
    'templates-folder-missing.yaml',
    ['5:12 templates: folder not found: test/fixtures/no-such-folder (templates: names a folder of *.hbs partials, relative to the spec)'],
  ],
  [
    'the templates folder is a folder',
    'templates-folder-is-file.yaml',
    ['5:12 templates: test/fixtures/templates/shot.hbs is a file, not a folder of *.hbs partials'],
  ],
  [
    'a partial is a *.hbs in the templates folder',
    'partial-missing.yaml',
    [`9:13 shots[0].prompt: partial "lighting" not found (partials are the *.hbs files in the spec's templates folder)`],
  ],
  [
    'a Handlebars syntax error says where',
    'handlebars-parse-error.yaml',
    [
      `10:13 shots[0].prompt: Handlebars syntax error (template line 1, after "...if night}}neon light"): Expecting 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF'`,
    ],
  ],

  // images by URL
  ['an image URL is https', 'image-http.yaml', ['7:12 shots[0].image: must be a local file or an https URL, got "http://example.com/frame.png"']],

  // all errors at once
  [
    'all field errors come at once, in file order',
    'many-errors-schema.yaml',
    [
      '4:20 budget.max_usd: must not be negative, got -1',
      '9:15 shots[0].duration: must be an integer from 3 to 15, got 16',
      '13:16 shots[1].cfg_scale: must be a number from 0 to 1, got 2',
      `14:13 shots[1].colour: unknown key "colour" (known keys: ${SHOT_KEYS}); ${UNKNOWN}`,
      '17:19 shots[2].multi_prompt: must have 1 to 6 items, got a list of 0',
    ],
  ],
  [
    'all rule errors of all shots come at once',
    'many-errors.yaml',
    [
      '10:13 shots[0].prompt: template variable "produt" is not defined (template line 1, column 13; defined: brand, shot.*)',
      "15:7 shots[1].multi_prompt: durations must add up to the shot's duration 8, got 4 + 3 = 7",
      `17:9 shots[2].id: ${ID_RULE}, got "../escape"`,
      '23:16 shots[3].elements[0]: element "mascot" is not defined in elements (the spec defines none)',
      '27:16 shots[4].end_image: must be a local file or an https URL, got "http://example.com/end.png"',
    ],
  ],
];

describe('render validate on an invalid spec: exit 2, file:line:col field: message, every problem at once', () => {
  it.each(CASES)('%s (%s)', async (_rule, file, issues) => {
    const { code, stdout, stderr } = await render(['validate', `${DIR}/${file}`]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^error: ${DIR}/${file.replace('.', '\\.')}: ${issues.length} errors?\n`));
    expect(issueLines(stderr)).toEqual(issues.map((issue) => `${DIR}/${file}:${issue}`));
    expect(stderr).toMatch(/\nhint: fix the spec and run `render validate` again\n$/);
  });

  it('covers at least 25 invalid specs, and every fixture in the folder has its row', () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    expect(CASES.map(([, file]) => file).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  it('prints the error as SPEC.md shows it', async () => {
    const { stderr } = await render(['validate', `${DIR}/duration-16.yaml`]);
    expect(stderr).toMatchInlineSnapshot(`
      "error: test/fixtures/specs/invalid/duration-16.yaml: 1 error
        test/fixtures/specs/invalid/duration-16.yaml:14:15 shots[2].duration: must be an integer from 3 to 15, got 16
      hint: fix the spec and run \`render validate\` again
      "
    `);
  });

  it('plan refuses an invalid spec the same way, before reading any lockfile', async () => {
    const validate = await render(['validate', `${DIR}/many-errors.yaml`]);
    const plan = await render(['plan', `${DIR}/many-errors.yaml`, '--json']);
    expect(plan).toEqual({ code: 2, stdout: '', stderr: validate.stderr });
  });
});
