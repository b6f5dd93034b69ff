import { closeSync, mkdirSync, openSync, ftruncateSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { render } from '../helpers/cli.js';
import { makePng } from '../helpers/images.js';
import { makeWorkspace } from '../helpers/workspace.js';

/** The spec argument itself: a file that is not there, a folder, a file too big to be a spec. All exit 2. */
describe('the spec file', () => {
  const ws = makeWorkspace();

  it('that does not exist: exit 2, says so and where specs usually are', async () => {
    const { code, stdout, stderr } = await render(['validate', ws.path('specs/nope.yaml')]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(ws.strip(stderr)).toMatchInlineSnapshot(`
      "error: spec file not found: specs/nope.yaml
      hint: check the path; specs usually live in specs/*.yaml
      "
    `);
  });

  it('that is a folder: exit 2, says it is a folder', async () => {
    mkdirSync(ws.path('specs'), { recursive: true });
    const { code, stdout, stderr } = await render(['plan', ws.path('specs')]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(ws.strip(stderr)).toMatchInlineSnapshot(`
      "error: specs is a folder, not a spec file
      hint: pass the path of a .yaml spec, e.g. specs/spring-launch.yaml
      "
    `);
  });

  it('that is bigger than 16 MiB: refused before it is parsed', async () => {
    const file = ws.write('huge.yaml', '');
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, 16 * 1024 * 1024 + 1);
    closeSync(fd);
    const { code, stderr } = await render(['validate', file]);
    expect(code).toBe(2);
    expect(ws.strip(stderr)).toBe('error: huge.yaml is 16777217 bytes, more than a spec may be (16 MiB)\n');
  });

  it('nested deeper than the YAML parser can recurse on any stack: refused, located, never a stack overflow', async () => {
    // The corpus's 2,000- and 3,000-level files overflow the parser on a main thread's stack (~1 MB) but not on a
    // worker thread's (4 MB), where the depth check after parsing refuses them; 100,000 levels overflow either.
    // Where the parser gives up (the column, and how many errors follow) depends on the stack left at the call.
    const spec = ws.spec(`version: 1\nname: t\nbudget: { max_usd: 5 }\nvars:\n  deep: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, 'deep.yaml');
    const { code, stdout, stderr } = await render(['validate', spec]);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(ws.strip(stderr)).toMatch(
      /^error: deep\.yaml: 1 error\n {2}deep\.yaml:5:\d+: the YAML is nested too deeply to read \(refused as a resource exhaustion attack\)/,
    );
  });

  it('paths in it resolve against its own folder, not the working directory', async () => {
    ws.write('campaign/frames/a.png', makePng(400, 400));
    const spec = ws.spec('version: 1\nname: t\nbudget: { max_usd: 5 }\nshots:\n  - { id: a, image: frames/a.png, prompt: x }\n', 'campaign/spec.yaml');
    const { code, stdout } = await render(['validate', spec]);
    expect(code).toBe(0);
    expect(ws.strip(stdout)).toBe('campaign/spec.yaml: valid: 1 shot, 5 s of video, $2.10 to render from scratch\n');
  });
});

/** How an invalid spec is reported (the cases themselves are the corpus: test/fixtures/corpus/, README there). */
describe('an invalid spec', () => {
  const DURATION_16 = 'test/fixtures/corpus/schema/duration-16/spec.yaml';
  const MANY = 'test/fixtures/corpus/schema/many-rule-errors/spec.yaml';

  it('prints the error as SPEC.md shows it', async () => {
    const { stderr } = await render(['validate', DURATION_16]);
    expect(stderr).toMatchInlineSnapshot(`
      "error: test/fixtures/corpus/schema/duration-16/spec.yaml: 1 error
        test/fixtures/corpus/schema/duration-16/spec.yaml:14:15 shots[2].duration: must be an integer from 3 to 15, got 16
      hint: fix the spec and run \`render validate\` again
      "
    `);
  });

  it('plan refuses an invalid spec the same way, before reading any lockfile', async () => {
    const validate = await render(['validate', MANY]);
    const plan = await render(['plan', MANY, '--json']);
    expect(validate.code).toBe(2);
    expect(plan).toEqual({ code: 2, stdout: '', stderr: validate.stderr });
  });
});
