import { describe, expect, it } from 'vitest';
import { isRenderError } from '../../src/errors.js';
import { startMockServer, type MockServerOptions } from '../../src/mock/index.js';
import { i2vBody, listPage, result, startServer, submit } from './helpers.js';

const body = i2vBody({ end_image: 'https://cdn.example.com/frames/last.jpg', prompt: 'a slow zoom' });

describe('mock server: the submitted body on list and result items', () => {
  it('shows no input by default, as the docs show list and result items (docs mode)', async () => {
    const server = await startServer();
    const { id } = await submit(server, body);
    const [item] = (await listPage(server)).items;
    const polled = await result(server, id);
    for (const shown of [item, polled]) {
      expect(shown).toMatchObject({ id });
      expect(shown).not.toHaveProperty('input');
      expect(shown).not.toHaveProperty('inputs');
    }
  });

  it('with listInputs, list and result items carry `input`: the body as submitted', async () => {
    const server = await startServer({ listInputs: true });
    const { id } = await submit(server, body);
    expect((await listPage(server)).items[0]?.input).toEqual(body);
    expect((await result(server, id)).input).toEqual(body);
  });

  it("with inputKey 'inputs', the body goes under `inputs` instead (the official CLI types both)", async () => {
    const server = await startServer({ listInputs: true, inputKey: 'inputs' });
    const { id } = await submit(server, body);
    const [item] = (await listPage(server)).items;
    expect(item?.inputs).toEqual(body);
    expect(item).not.toHaveProperty('input');
    expect((await result(server, id)).inputs).toEqual(body);
  });

  it('with storeMediaUrls, image and end_image show as stored copies on its own origin, other fields as sent', async () => {
    const server = await startServer({ listInputs: true, storeMediaUrls: true });
    const first = await submit(server, body);
    const second = await submit(server, body);
    const shown = (await listPage(server)).items;
    const byId = new Map(shown.map((p) => [p.id, p.input ?? {}]));
    const a = byId.get(first.id) ?? {};
    const b = byId.get(second.id) ?? {};
    expect(a.image).toMatch(new RegExp(`^${server.url}/files/stored/[0-9a-f]{32}\\.png$`));
    expect(a.end_image).toMatch(new RegExp(`^${server.url}/files/stored/[0-9a-f]{32}\\.jpg$`));
    expect(a.image).not.toBe(a.end_image);
    // The same source stored for another prediction is another copy: nothing maps a stored URL back to its source.
    expect(b.image).not.toBe(a.image);
    const { image: _i, end_image: _e, ...rest } = a;
    const { image: _si, end_image: _se, ...sent } = body;
    expect(rest).toEqual(sent);
    expect((await result(server, first.id)).input).toEqual(a);
    // Stored copies are not served, and the submit answer itself carries no input.
    expect((await fetch(String(a.image))).status).toBe(404);
    expect(first).not.toHaveProperty('input');
  });

  it.each<[MockServerOptions, string]>([
    [{ inputKey: 'inputs' }, 'mock server: inputKey and storeMediaUrls need listInputs'],
    [{ storeMediaUrls: true }, 'mock server: inputKey and storeMediaUrls need listInputs'],
    [{ listInputs: true, inputKey: 'body' as 'input' }, 'mock server: inputKey must be "input" or "inputs", got "body"'],
  ])('refuses %j (USAGE)', async (options, message) => {
    const start = startMockServer(options);
    await expect(start).rejects.toSatisfy((err) => isRenderError(err, 'USAGE'));
    await expect(start).rejects.toThrow(message);
  });
});
