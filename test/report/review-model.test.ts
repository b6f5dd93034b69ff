import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptOf, type ReportData, reviewCampaign } from '../../src/plan/review.js';
import { jsonForScript, readReportData, relativeHref, renderReviewPage } from '../../src/report/review-page.js';
import { reviewWorkspace } from './helpers.js';

const NOW = Date.parse('2026-05-02T09:30:00Z');

describe('the review model (render report)', () => {
  it('has a card per shot in spec order, each with the status the plan implies', () => {
    const { spec } = reviewWorkspace();
    const { model } = reviewCampaign(spec, { endpoint: 'mock', now: NOW });
    expect(model.cards.map((c) => [c.index, c.id, c.status])).toEqual([
      [1, 'a-done', 'done'],
      [2, 'b-failed', 'failed'],
      [3, 'c-blocked', 'blocked'],
      [4, 'd-pending', 'pending'],
      [5, 'e-outdated', 'outdated'],
      [6, 'f-multi', 'done'],
    ]);
  });

  it('gives failed and blocked shots their reason, with the task code', () => {
    const { spec } = reviewWorkspace();
    const { model } = reviewCampaign(spec, { endpoint: 'mock', now: NOW });
    const [, failed, blocked] = model.cards;
    expect(failed!.reason).toBe('failed: 5000 internal server error');
    expect(failed!.current).toMatchObject({ costCents: 0, priceCents: 210, refunded: true, error: '5000: internal server error' });
    expect(blocked!.reason).toContain('failed: 1200 content <moderation> & flagged; the same inputs would fail again');
  });

  it('shows the current take and every earlier one, newest first, with what differed, as the plan says it', () => {
    const { ws, spec } = reviewWorkspace();
    const { model } = reviewCampaign(spec, { endpoint: 'mock', now: NOW });
    const a = model.cards[0]!;
    expect(a.current).toMatchObject({ n: 2, predictionId: 'pred-a-done-2', file: 'intact', video: ws.path('renders/rev/.mock/a-done.mp4'), costCents: 210 });
    expect(a.earlier).toHaveLength(1);
    expect(a.earlier[0]).toMatchObject({
      n: 1,
      file: 'intact',
      video: ws.path('renders/rev/.mock/.takes/a-done.take-1-pred-a-done-1.mp4'),
      changeText: 'prompt changed',
    });
    expect(a.earlier[0]!.startImage).toBe(ws.path('img/ok.png'));
    const e = model.cards[4]!;
    expect(e.pending).toMatchObject({ changeText: 'duration 5 → 6' });
    expect(e.current?.video).toBe(ws.path('renders/rev/.mock/e-outdated.mp4'));
  });

  it('shows the prompt as sent, with elements named', () => {
    const { spec } = reviewWorkspace();
    const { model } = reviewCampaign(spec, { endpoint: 'mock', now: NOW });
    expect(model.cards[0]!.prompt.beats[0]!.segments).toEqual([
      { text: 'A <b>bold</b> & "quoted" ' },
      { text: 'mascot', element: true },
      { text: " walks in </script><script>window.__pwned = 1</script> 'here'" },
    ]);
    const multi = model.cards[5]!.prompt;
    expect(multi.beats.map((b) => b.duration)).toEqual([2, 3]);
    expect(multi.text).toBe('@mascot runs / close-up');
    expect(multi.negative).toBeUndefined();
  });

  it('names an element the spec no longer has by its place', () => {
    const p = promptOf({ prompt: 'x <<<element_2>>> y', element_list: [{ element_id: '1' }, { element_id: '999' }] }, new Map([['1', 'one']]));
    expect(p.beats[0]!.segments).toEqual([{ text: 'x ' }, { text: 'element_2', element: true }, { text: ' y' }]);
  });

  it('totals the campaign against the budget and counts shots per status', () => {
    const { spec } = reviewWorkspace();
    const { model } = reviewCampaign(spec, { endpoint: 'mock', now: NOW });
    expect(model.totals).toMatchObject({
      shots: 6,
      seconds: 5 * 5 + 6,
      renderedSeconds: 5 + 5 + 5,
      currentCents: 210 + 210 + 210,
      // every take but the refunded failures: a-done #1 and #2, e-outdated, f-multi
      spentCents: 4 * 210,
      budgetCents: 2000,
      // b retried, d created, e replaced: 5 + 5 + 6 seconds at 42 cents
      toDoCents: 16 * 42,
      toSubmit: 3,
      takes: 6,
      byStatus: { done: 2, outdated: 1, rendering: 0, unknown: 0, missing: 0, failed: 1, blocked: 1, pending: 1 },
    });
  });

  it('marks what changed since the previous report, and keeps the marks when nothing new happened', () => {
    const { spec } = reviewWorkspace();
    const first = reviewCampaign(spec, { endpoint: 'mock', now: NOW }).model;
    expect(first.cards.filter((c) => c.changed).map((c) => c.id)).toEqual(['a-done', 'b-failed', 'c-blocked', 'e-outdated', 'f-multi']);
    expect(first.previousAt).toBeUndefined();

    // The first page made again: still nothing to compare with.
    const same = reviewCampaign(spec, { endpoint: 'mock', now: NOW + 1000, previous: () => first.data }).model;
    expect(same.totals.changed).toBe(5);
    expect(same.previousAt).toBeUndefined();

    const older: ReportData = {
      ...first.data,
      generated_at: '2026-05-01T00:00:00.000Z',
      shots: { ...first.data.shots, 'a-done': '1:pred-a-done-1:completed:aaaa' },
    };
    const after = reviewCampaign(spec, { endpoint: 'mock', now: NOW + 2000, previous: () => older }).model;
    expect(after.cards.filter((c) => c.changed).map((c) => c.id)).toEqual(['a-done']);
    expect(after.previousAt).toBe('2026-05-01T00:00:00.000Z');

    // Made again with nothing new: it still compares with the report before, not with itself.
    const again = reviewCampaign(spec, { endpoint: 'mock', now: NOW + 3000, previous: () => after.data }).model;
    expect(again.cards.filter((c) => c.changed).map((c) => c.id)).toEqual(['a-done']);
    expect(again.previousAt).toBe('2026-05-01T00:00:00.000Z');
  });

  it('ignores a previous report of another endpoint', () => {
    const { spec } = reviewWorkspace();
    const first = reviewCampaign(spec, { endpoint: 'mock', now: NOW }).model;
    const other = reviewCampaign(spec, { endpoint: 'mock', now: NOW, previous: () => ({ ...first.data, endpoint: 'https://api.wavespeed.ai' }) }).model;
    expect(other.totals.changed).toBe(5);
  });
});

describe('the review page', () => {
  function page() {
    const { ws, spec } = reviewWorkspace();
    const { model } = reviewCampaign(spec, { endpoint: 'mock', now: NOW });
    const outFile = path.join(model.placeDir, 'index.html');
    const poster = ws.path('renders/rev/.mock/.posters/bbbb.jpg');
    const html = renderReviewPage(model, { outFile, posters: new Map([[ws.path('renders/rev/.mock/a-done.mp4'), poster]]) });
    return { ws, model, html };
  }

  it('escapes every text from the spec, the lockfile and the server: no markup or script gets in', () => {
    const { html } = page();
    expect(html).toContain(
      'A &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; <span class="el" title="Kling element">mascot</span> walks in &lt;/script&gt;&lt;script&gt;window.__pwned &#x3D; 1&lt;/script&gt; &#x27;here&#x27;',
    );
    expect(html).toContain('1200 content &lt;moderation&gt; &amp; flagged');
    expect(html).not.toContain('<b>bold');
    expect(html).not.toContain('<script>window');
    // Two script elements: the data block (never run) and the page's own script.
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html.match(/<\/script>/g)).toHaveLength(2);
  });

  it('lets only its own script run, by hash, and loads nothing from the network', () => {
    const { html } = page();
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/
      .exec(html)![1]!
      .replace(/&#x27;/g, "'")
      .replace(/&#x3D;/g, '=');
    expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/=]+'; style-src 'sha256-/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('embeds its data as JSON that cannot close the script element, and reads it back', () => {
    const { html, model } = page();
    expect(readReportData(html)).toEqual(model.data);
    expect(jsonForScript({ a: '</script><!-- & \u2028\u2029' })).toBe('{"a":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028\\u2029"}');
    expect(JSON.parse(jsonForScript({ a: '</script>&' }))).toEqual({ a: '</script>&' });
  });

  it('refuses to read data from a page it did not write', () => {
    expect(readReportData('<html><body>hello</body></html>')).toBeUndefined();
    expect(readReportData('<script type="application/json" id="render-report-data">{"format":"other"}</script>')).toBeUndefined();
    expect(readReportData('<script type="application/json" id="render-report-data">{not json</script>')).toBeUndefined();
  });

  it('links videos and posters relative to the page, and falls back to a note where there is no video', () => {
    const { html } = page();
    expect(html).toContain('src="a-done.mp4" poster=".posters/bbbb.jpg" data-duration="5"');
    expect(html).toContain('src=".takes/a-done.take-1-pred-a-done-1.mp4"');
    expect(html).toContain('<video class="main" controls muted loop preload="metadata"');
    expect(html).toMatch(/<div class="novideo"><img src="..\/..\/..\/img\/ok.png" alt=""><span>not rendered yet<\/span><\/div>/);
  });

  it('gives each card what the filter needs', () => {
    const { html } = page();
    const cards = [...html.matchAll(/<article class="card[^"]*" id="shot-([^"]+)"[^>]*data-status="(\w+)" data-failed="(\d)" data-changed="(\d)"/g)].map((m) =>
      m.slice(1),
    );
    expect(cards).toEqual([
      ['a-done', 'done', '0', '1'],
      ['b-failed', 'failed', '1', '1'],
      ['c-blocked', 'blocked', '1', '1'],
      ['d-pending', 'pending', '0', '0'],
      ['e-outdated', 'outdated', '0', '1'],
      ['f-multi', 'done', '0', '1'],
    ]);
    expect(html).toContain('Failed <b>2</b>');
    expect(html).toContain('Changed since last report <b>5</b>');
  });

  it('shows the totals against the budget', () => {
    const { html } = page();
    expect(html).toContain('<dt>Spent / budget</dt><dd>$8.40 <small>of $20.00</small>');
    expect(html).toContain('<dt>Next apply</dt><dd>$6.72 <small>(3 shots)</small>');
  });

  it('says once that posters are start images when there is no ffmpeg', () => {
    const { ws, spec } = reviewWorkspace();
    const { model } = reviewCampaign(spec, { endpoint: 'mock', now: NOW });
    const html = renderReviewPage(model, { outFile: path.join(model.placeDir, 'index.html'), posters: new Map(), noFfmpeg: 'ffmpeg was not found' });
    expect(html.match(/ffmpeg was not found/g)).toHaveLength(1);
    expect(html).toContain('src="a-done.mp4" poster="../../../img/ok.png"');
    expect(ws.dir).toBeTruthy();
  });

  it('percent-encodes link segments, so no path can become a scheme or a query', () => {
    expect(relativeHref('/a/b', '/a/b/javascript:alert(1).mp4')).toBe('javascript%3Aalert(1).mp4');
    expect(relativeHref('/a/b', '/a/c d/#x?.mp4')).toBe('../c%20d/%23x%3F.mp4');
  });
});
