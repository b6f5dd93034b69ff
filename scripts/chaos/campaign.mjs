// The chaos campaign: a generated spec of N shots in a throw-away folder, every request body distinct.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A few small valid images from assets/ (PNG and JPEG, landscape, square and portrait). */
const IMAGES = ['hero.png', 'studio.jpg', 'product-closeup.jpg', 'lifestyle-portrait.jpg'];

const SUBJECTS = ['a sneaker on a pedestal', 'a city street at dawn', 'a rooftop garden', 'a studio product table', 'a neon alley'];
const MOVES = ['slow dolly in', 'orbit left', 'crane up', 'handheld push', 'rack focus'];

/** Kling V3.0 4K image-to-video: $0.42 a second (docs/ARCHITECTURE.md "API facts we rely on"). */
const CENTS_PER_SECOND = 42;

/**
 * Writes `<dir>/chaos.yaml` with `shots` shots (durations 3-5 s, drawn from `rng`) and its images, and a budget
 * comfortably above the total (x1.25 by default, whole dollars) but finite.
 */
export function makeCampaign(dir, { shots, rng, concurrency, budgetFactor = 1.25 }) {
  mkdirSync(path.join(dir, 'assets'), { recursive: true });
  for (const name of IMAGES) copyFileSync(path.join(ROOT, 'assets', name), path.join(dir, 'assets', name));
  const list = [];
  let totalCents = 0;
  for (let i = 1; i <= shots; i++) {
    const id = `shot-${String(i).padStart(3, '0')}`;
    const duration = 3 + Math.min(2, Math.floor(rng() * 3));
    totalCents += duration * CENTS_PER_SECOND;
    const subject = SUBJECTS[i % SUBJECTS.length];
    const move = MOVES[Math.floor(i / SUBJECTS.length) % MOVES.length];
    list.push({ id, image: `./assets/${IMAGES[i % IMAGES.length]}`, duration, prompt: `Chaos shot ${i} of ${shots}: ${subject}, ${move}.` });
  }
  const budgetUsd = Math.ceil((totalCents * budgetFactor) / 100);
  const yaml = [
    'version: 1',
    'name: chaos',
    'output: ./renders',
    `budget: { max_usd: ${budgetUsd} }`,
    `concurrency: ${concurrency}`,
    'shots:',
    ...list.flatMap((s) => [`  - id: ${s.id}`, `    image: ${s.image}`, `    duration: ${s.duration}`, `    prompt: ${JSON.stringify(s.prompt)}`]),
    '',
  ].join('\n');
  const specFile = path.join(dir, 'chaos.yaml');
  writeFileSync(specFile, yaml);
  return { specFile, name: 'chaos', ids: list.map((s) => s.id), totalCents, budgetCents: budgetUsd * 100 };
}
