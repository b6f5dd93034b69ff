import { describe, expect, it } from 'vitest';
import { I2V, T2V, client, i2vBody, startServer, submit } from './helpers.js';

const mp = (...durations: number[]) => durations.map((d, i) => ({ prompt: `shot ${i + 1}`, duration: d }));
const withoutPrompt = (extra: Record<string, unknown>) => {
  const { prompt: _drop, ...rest } = i2vBody(extra);
  return rest;
};

describe('mock server: submit validation (400, nothing charged)', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['image missing', i2vBody({ image: undefined }), 'image is required for kwaivgi/kling-v3.0-4k/image-to-video'],
    ['image not a URL', i2vBody({ image: './still.png' }), 'image must be an http(s) URL of an image, got "./still.png"'],
    ['duration too short', i2vBody({ duration: 2 }), 'duration must be an integer from 3 to 15, got 2'],
    ['duration too long', i2vBody({ duration: 16 }), 'duration must be an integer from 3 to 15, got 16'],
    ['duration not an integer', i2vBody({ duration: 5.5 }), 'duration must be an integer from 3 to 15, got 5.5'],
    ['duration a string', i2vBody({ duration: '5' }), 'duration must be an integer from 3 to 15, got "5"'],
    ['cfg_scale above 1', i2vBody({ cfg_scale: 1.5 }), 'cfg_scale must be a number from 0 to 1, got 1.5'],
    ['cfg_scale negative', i2vBody({ cfg_scale: -0.1 }), 'cfg_scale must be a number from 0 to 1, got -0.1'],
    ['neither prompt', withoutPrompt({}), 'Exactly one of prompt or multi_prompt is required'],
    ['both prompts', i2vBody({ multi_prompt: mp(5) }), 'Exactly one of prompt or multi_prompt is required'],
    ['empty prompt', i2vBody({ prompt: '  ' }), 'prompt must be a non-empty string of at most 2500 characters, got "  "'],
    ['multi_prompt empty', withoutPrompt({ multi_prompt: [] }), 'multi_prompt must be a list of 1 to 6 items, got []'],
    ['multi_prompt 7 items', withoutPrompt({ duration: 7, multi_prompt: mp(1, 1, 1, 1, 1, 1, 1) }), 'multi_prompt must be a list of 1 to 6 items'],
    [
      'multi_prompt sum ≠ duration',
      withoutPrompt({ duration: 8, multi_prompt: mp(3, 4) }),
      'multi_prompt durations sum to 7, but duration is 8: they must be equal',
    ],
    ['multi_prompt item duration 0', withoutPrompt({ duration: 5, multi_prompt: mp(5, 0) }), 'multi_prompt[1].duration must be an integer from 1 to 15, got 0'],
    ['end_image with multi_prompt', withoutPrompt({ multi_prompt: mp(5), end_image: 'https://x/e.png' }), 'end_image cannot be used with multi_prompt'],
    [
      'element_list of 4',
      i2vBody({ element_list: ['1', '2', '3', '4'].map((element_id) => ({ element_id })) }),
      'element_list must be a list of at most 3 items',
    ],
    ['element_id not numeric', i2vBody({ element_list: [{ element_id: 'abc' }] }), 'element_list[0].element_id must be a numeric id, got "abc"'],
    ['shot_type unknown', i2vBody({ shot_type: 'auto' }), 'shot_type must be "customize" or "intelligent", got "auto"'],
    ['sound not boolean', i2vBody({ sound: 'yes' }), 'sound must be a boolean, got "yes"'],
  ])('%s', async (_label, body, message) => {
    const server = await startServer();
    const c = client(server);
    const res = await c.json(c.post(`/api/v3/${I2V}`, body));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
    expect(res.body.message).toContain(message);
    expect(server.stats()).toMatchObject({ submissions: 0, chargesCents: 0 });
  });

  it('rejects a body that is not a JSON object', async () => {
    const server = await startServer();
    const res = await fetch(`${server.url}/api/v3/${I2V}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
      body: '{"prompt":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 400, message: 'Invalid JSON in request body' });
  });

  it.each<[string, Record<string, unknown>, string, number]>([
    [
      'every known field',
      i2vBody({
        end_image: 'https://x/e.png',
        negative_prompt: 'blur',
        cfg_scale: 0,
        sound: true,
        shot_type: 'intelligent',
        element_list: [{ element_id: '123456789012345' }],
      }),
      I2V,
      210,
    ],
    ['multi_prompt summing to duration', withoutPrompt({ duration: 9, multi_prompt: mp(3, 3, 3) }), I2V, 378],
    ['duration defaulting to 5', i2vBody({ duration: undefined }), I2V, 210],
    ['text-to-video without image', { prompt: 'waves', duration: 3 }, T2V, 126],
  ])('accepts %s (charged %i cents)', async (_label, body, model, cents) => {
    const server = await startServer();
    await submit(server, body, model);
    expect(server.stats()).toMatchObject({ ignoredKeys: [], chargesCents: cents });
  });

  it('ignores unknown keys, still bills the run, and records the keys', async () => {
    const server = await startServer();
    await submit(server, i2vBody({ durration: 10, aspect_ratio: '16:9' }));
    await submit(server, { prompt: 'waves', image: 'https://x/a.png' }, T2V); // t2v takes no image
    expect(server.stats()).toMatchObject({ submissions: 2, chargesCents: 420, ignoredKeys: ['aspect_ratio', 'durration', 'image'] });
  });
});
