import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateSpec } from '../../src/plan/plan-spec.js';
import { createTemplateEngine, TemplateError } from '../../src/plan/templates.js';
import type { ExpandedShot } from '../../src/plan/types.js';
import { issueLines, render } from '../helpers/cli.js';
import { makeWorkspace, SPEC_HEAD } from '../helpers/workspace.js';

/** docs/SPEC.md "Rules", Templated fields, shot by shot of test/fixtures/specs/templating.yaml. */

const { shots } = validateSpec('test/fixtures/specs/templating.yaml');
const shot = (id: string): ExpandedShot => {
  const found = shots.find((s) => s.id === id);
  if (!found) throw new Error(`no shot ${id} in ${shots.map((s) => s.id).join(', ')}`);
  return found;
};

describe('templated fields', () => {
  it('render with no HTML escaping: &, <, > and quotes pass through', () => {
    expect(shot('no-escaping').request.prompt).toBe(`Tom & Jerry <"Runner"> 'One'`);
  });

  it('read vars, then the matrix values over them (id, image and prompt alike)', () => {
    const s = shot('vars-paris');
    expect(s.request.image).toBe('https://example.com/paris.png');
    expect(s.request.prompt).toBe('paris in warm light');
  });

  it("read `shot` as the shot's own fields, rendered, with defaults merged and a var named shot hidden", () => {
    expect(shot('shot-fields').request.prompt).toBe('7 s of shot-fields from https://example.com/frame.png, cfg 0.6, take 2');
  });

  it("{{element 'name'}} renders <<<element_N>>>, N its 1-based place in elements, adding it when missing", () => {
    const s = shot('element-helper');
    expect(s.request.prompt).toBe('<<<element_2>>> meets <<<element_1>>>, then <<<element_2>>> again');
    expect(s.request.element_list).toEqual([{ element_id: '307212335131306' }, { element_id: '307212335131305' }]);
  });

  it('use the *.hbs files of the templates folder as partials, by file name', () => {
    expect(shot('partial').request.prompt).toBe(`Tom & Jerry <"Runner"> 'One', nothing else`);
  });

  it('take a prompt from { template: path } (the path templated too), with partials, matrix values and shot', () => {
    expect(shot('from-file-tokyo-dawn').request.prompt).toBe(`Tom & Jerry <"Runner"> 'One' in tokyo at dawn, one 4-second shot`);
  });

  it('include negative_prompt and every multi_prompt[].prompt; the helper works inside multi_prompt', () => {
    const r = shot('multi-and-negative').request;
    expect(r.negative_prompt).toBe('no Tom & Jerry logo');
    expect(r.multi_prompt).toEqual([
      { prompt: '<<<element_1>>> runs', duration: 3 },
      { prompt: 'warm light close-up', duration: 4 },
    ]);
    expect(r.element_list).toEqual([{ element_id: '307212335131305' }]);
    expect(r.duration).toBe(7);
  });
});

describe('the template engine', () => {
  const engine = createTemplateEngine();
  const data = () => ({ elements: [] as string[], known: new Set(['mascot']) });
  const fail = (source: string, context: Record<string, unknown> = {}): string => {
    try {
      engine.render(source, context, data());
    } catch (err) {
      expect(err).toBeInstanceOf(TemplateError);
      return (err as Error).message;
    }
    throw new Error(`${source} rendered`);
  };

  it.each([
    ['a missing variable', '{{brand}} shoe', { light: 'warm' }, 'template variable "brand" is not defined (template line 1, column 3; defined: light, shot.*)'],
    [
      'a missing nested field',
      'a {{brand.nme}}',
      { brand: { name: 'Aster' } },
      'template variable "nme" is not defined (template line 1, column 5; defined: brand, shot.*)',
    ],
    ['a missing variable on line 2', 'ok\n  {{colour}}', {}, 'template variable "colour" is not defined (template line 2, column 5; defined: none, shot.*)'],
    ['an unknown element', "{{element 'fox'}}", {}, `{{element 'fox'}}: no element "fox" is defined in elements (defined: mascot)`],
    ['the element helper without a name', '{{element}}', {}, `{{element}} takes one element name, e.g. {{element 'mascot'}}`],
    ['a partial that does not exist', '{{> nope}}', {}, `partial "nope" not found (partials are the *.hbs files in the spec's templates folder)`],
    [
      'a block never closed',
      '{{#each xs}}x',
      { xs: [] },
      `Handlebars syntax error (template line 1, after "{{#each xs}}x"): Expecting 'OPEN_INVERSE_CHAIN', 'INVERSE', 'OPEN_ENDBLOCK', got 'EOF'`,
    ],
  ])('fails on %s, naming it', (_what, source, context, message) => {
    expect(fail(source, context)).toBe(message);
  });

  it.each([
    ['an unknown helper in a subexpression', `{{#if (same step "farm")}}x{{/if}}`, { step: 'farm' }],
    ['an unknown helper with arguments', '{{shout brand}}', { brand: 'a' }],
  ])('calls %s a helper, listing the helpers', (_what, source, context) => {
    expect(fail(source, context)).toMatch(
      /^unknown helper "(same|shout)" \(template line 1, column \d+\); the helpers are eq, ne, and, or, not, upper, lower, join, default, element, if, unless, each, with, lookup$/,
    );
  });

  it.each([
    ['eq: equal scalars by their text', `{{#if (eq step "farm")}}F{{else}}-{{/if}}{{#if (eq n "5")}}5{{/if}}`, { step: 'farm', n: 5 }, 'F5'],
    ['ne', `{{#if (ne step "farm")}}not farm{{/if}}`, { step: 'mill' }, 'not farm'],
    ['and, or, not', '{{#if (and a (or b c) (not d))}}yes{{/if}}', { a: 1, b: 0, c: 'x', d: false }, 'yes'],
    ['upper and lower', '{{upper brand}} {{lower city}}', { brand: 'Acme', city: 'PARIS' }, 'ACME paris'],
    ['join, with a separator or ", "', '{{join colors " / "}}; {{join colors}}', { colors: ['red', 'blue'] }, 'red / blue; red, blue'],
    [
      'default for a missing, null or empty value',
      `{{default light "soft light"}}, {{default mood "calm"}}, {{default tone "warm"}}`,
      { mood: null, tone: '' },
      'soft light, calm, warm',
    ],
  ])('has the built-in helper %s (docs/SPEC.md "Rules")', (_what, source, context, out) => {
    expect(engine.render(source, context, data())).toBe(out);
  });

  it.each([
    ['backslashes and lone braces', 'a \\ b \\\\ {c} }} {'],
    ['line breaks, tildes and HTML characters', '\r\n  ~ & <b> "q" \u2028 é'],
  ])('renders text with no mustache as written, character for character: %s', (_what, source) => {
    expect(engine.render(source, {}, data())).toBe(source);
  });

  it('refuses a NUL character outside any mustache, as Handlebars does', () => {
    expect(fail('a\0b')).toMatch(/^template error: Lexical error on line 1/);
  });

  it('renders the same source with new values each time (compiled once, reused)', () => {
    expect(engine.render('{{a}}-{{b}}', { a: 1, b: 'x' }, data())).toBe('1-x');
    expect(engine.render('{{a}}-{{b}}', { a: 2, b: 'y' }, data())).toBe('2-y');
  });
});

describe('a templates folder that cannot be read is an error at `templates:`, exit 2', () => {
  it('a *.hbs entry that is a folder (cannot be read as a partial)', async () => {
    const ws = makeWorkspace();
    mkdirSync(ws.path('partials/broken.hbs'), { recursive: true });
    ws.write('partials/fine.hbs', 'fine');
    const spec = ws.spec(`${SPEC_HEAD}templates: partials\nshots:\n  - { id: a, image: img/ok.png, prompt: x }\n`);
    const { code, stdout, stderr } = await render(['validate', spec]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(issueLines(ws.strip(stderr))).toEqual([`spec.yaml:4:12 templates: cannot read template partials/broken.hbs: EISDIR`]);
  });
});

describe('bounded work: the spec has one template budget, not only each render (docs/ARCHITECTURE.md "Bounded work")', () => {
  it('a loop bomb in a 2,000-combination matrix stops the expansion at the spec-wide budget, with one issue saying so', () => {
    const l = `[${Array.from({ length: 300 }, (_, i) => i).join(', ')}]`;
    const k = `[${Array.from({ length: 2000 }, (_, i) => i).join(', ')}]`;
    const bomb = '{{#each @root.l}}{{#each @root.l}}{{#each @root.l}}{{#each @root.l}}x{{/each}}{{/each}}{{/each}}{{/each}}';
    const ws = makeWorkspace();
    ws.write('img/ok.png', 'not read: the expansion stops first');
    const spec = ws.spec(`${SPEC_HEAD}vars: { l: ${l} }\nshots:\n  - id: "s-{{k}}"\n    matrix: { k: ${k} }\n    image: img/ok.png\n    prompt: "${bomb}"\n`);
    let issues: { message: string }[] = [];
    try {
      validateSpec(spec);
    } catch (err) {
      issues = (err as { issues: { message: string }[] }).issues;
    }
    const perRender = issues.filter((i) => i.message.includes('more than 100,000 loop iterations'));
    const specWide = issues.filter((i) => i.message.includes("the spec's templates together ran more than 10,000,000"));
    expect(specWide).toHaveLength(1);
    // Stopped after about a hundred renders, not two thousand.
    expect(perRender.length).toBeGreaterThan(0);
    expect(perRender.length).toBeLessThanOrEqual(100);
  });
});
