import { describe, expect, it } from 'vitest';
import { findEvidence, sameInput, type OpenIntent } from '../../src/apply/settle.js';
import type { LockTake } from '../../src/lock/schema.js';
import type { Prediction, WaveSpeedClient } from '../../src/provider/index.js';

/**
 * docs/ARCHITECTURE.md "Money rules", rule 2: a submit whose outcome is unknown is settled only by positive
 * evidence: a listed prediction of the same model, created inside the intent's window (in the server's clock),
 * claimed by no take, with the intent's input where the list shows inputs; and only when exactly one candidate
 * fits exactly one open intent. Absence from a list is never evidence.
 */

const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const BODY = { prompt: 'a fox on a rooftop', duration: 5, image: 'https://cdn.example/up/abc.png', cfg_scale: 0.5 };

function intent(shot: string, sentAt: number, body: Record<string, unknown> = BODY): OpenIntent {
  const take = {
    n: 1,
    fingerprint: shot,
    model: MODEL,
    take: 1,
    status: 'unknown',
    duration: 5,
    cost_cents: 210,
    request: body,
    submitted_at: new Date(sentAt).toISOString(),
    outputs: [],
  } as LockTake;
  return { shot, take, body, sentAt, givenUpAt: sentAt + 60_000 };
}

const listed = (id: string, createdAt: number, extra: Partial<Prediction> = {}): Prediction => ({
  id,
  model: MODEL,
  status: 'completed',
  outputs: [],
  createdAt: new Date(createdAt).toISOString(),
  ...extra,
});

/** A client whose list serves `items` (filtered by the window, as a server would) and whose clock is `offset` ahead (null: no Date header seen). */
function client(items: Prediction[], offset: number | null = 0): WaveSpeedClient & { queries: unknown[] } {
  const queries: unknown[] = [];
  return {
    queries,
    serverClockOffsetMs: () => offset ?? undefined,
    listPredictions: async (q: { created_after?: string; created_before?: string }) => {
      queries.push(q);
      const from = q.created_after ? Date.parse(q.created_after) : -Infinity;
      const to = q.created_before ? Date.parse(q.created_before) : Infinity;
      return { page: 1, items: items.filter((p) => Date.parse(p.createdAt!) >= from && Date.parse(p.createdAt!) <= to) };
    },
  } as unknown as WaveSpeedClient & { queries: unknown[] };
}

const settle = (c: WaveSpeedClient, intents: OpenIntent[], claimed: string[] = []) => findEvidence(c, { model: MODEL, intents, claimed: new Set(claimed) });

describe('settling a lost submit: positive evidence only', () => {
  it('a list without inputs: the one unclaimed prediction in the window settles the one open intent', async () => {
    const e = await settle(client([listed('p-mine', T0 + 2_000), listed('p-other', T0 + 1_000)]), [intent('a', T0)], ['p-other']);
    expect(e.matches.map((m) => [m.intent.shot, m.prediction.id])).toEqual([['a', 'p-mine']]);
    expect(e.inputsShown).toBe(false);
  });

  it('absence is not evidence: an empty list settles nothing (the intent stays unknown, never "not created")', async () => {
    const e = await settle(client([]), [intent('a', T0)]);
    expect(e.matches).toEqual([]);
    expect(e.note).toMatch(/no single prediction/);
  });

  it('two open intents in one window and one unclaimed prediction: neither is settled', async () => {
    const e = await settle(client([listed('p1', T0 + 3_000)]), [intent('a', T0), intent('b', T0 + 1_000)]);
    expect(e.matches).toEqual([]);
  });

  it("one open intent and two unclaimed predictions in its window: not settled (either could be someone else's)", async () => {
    const e = await settle(client([listed('p1', T0 + 3_000), listed('p2', T0 + 4_000)]), [intent('a', T0)]);
    expect(e.matches).toEqual([]);
  });

  it('a server clock 10 minutes ahead: the window is shifted by the offset its Date headers showed', async () => {
    const ahead = 10 * 60_000;
    const c = client([listed('p-mine', T0 + ahead + 2_000)], ahead);
    const e = await settle(c, [intent('a', T0)]);
    expect(e.matches.map((m) => m.prediction.id)).toEqual(['p-mine']);
    expect(Date.parse((c.queries[0] as { created_after: string }).created_after)).toBeGreaterThan(T0);
  });

  it('a prediction created well outside the window is not evidence', async () => {
    const e = await settle(client([listed('p-late', T0 + 5 * 60_000)]), [intent('a', T0)]);
    expect(e.matches).toEqual([]);
  });

  it('inputs shown: the prediction with this input settles the intent, even among others in the window', async () => {
    const other = { ...BODY, prompt: 'something else' };
    const c = client([listed('p-other', T0 + 1_000, { input: other }), listed('p-mine', T0 + 2_000, { input: BODY })]);
    const e = await settle(c, [intent('a', T0)]);
    expect(e.matches.map((m) => m.prediction.id)).toEqual(['p-mine']);
    expect(e.inputsShown).toBe(true);
  });

  it('inputs shown with the image as the server stored it: still the same input', async () => {
    const stored = { ...BODY, image: 'https://storage.wavespeed.example/stored/9f8e.png' };
    const e = await settle(client([listed('p-mine', T0 + 2_000, { input: stored })]), [intent('a', T0)]);
    expect(e.matches.map((m) => m.prediction.id)).toEqual(['p-mine']);
  });

  it('inputs shown, and none is this input: not settled, and not "never created" either', async () => {
    const e = await settle(client([listed('p-x', T0 + 2_000, { input: { ...BODY, duration: 6 } })]), [intent('a', T0)]);
    expect(e.matches).toEqual([]);
  });

  it('a claimed prediction is never adopted again', async () => {
    const e = await settle(client([listed('p1', T0 + 2_000)]), [intent('a', T0)], ['p1']);
    expect(e.matches).toEqual([]);
  });

  it('no Date header seen: the window widens (more ambiguity), it is never guessed narrow', async () => {
    const e = await settle(client([listed('p-mine', T0 + 8 * 60_000)], null), [intent('a', T0)]);
    expect(e.matches.map((m) => m.prediction.id)).toEqual(['p-mine']);
  });
});

describe('comparing a listed input with the body sent', () => {
  it.each([
    ['the same body', BODY, true],
    ['fields the server leaves out are not held against it', { prompt: BODY.prompt, duration: 5 }, true],
    ['the prompt must be shown', { duration: 5, image: BODY.image }, false],
    ['another duration', { ...BODY, duration: 6 }, false],
    ['the image as a stored URL', { ...BODY, image: 'https://other.example/x.png' }, true],
    ['the image not a URL at all', { ...BODY, image: 'data' }, false],
  ])('%s', (_name, listedInput, same) => {
    expect(sameInput(listedInput as Record<string, unknown>, BODY)).toBe(same);
  });
});
