import { LockShotSchema, type LockShot } from '../../src/lock/schema.js';

export const MODEL = 'kwaivgi/kling-v3.0-4k/image-to-video';
export const REAL = 'https://api.wavespeed.ai';
export const NOW = Date.parse('2026-05-01T12:00:00Z');
export const DAY = 24 * 3600 * 1000;

/** A lockfile entry as apply would record it: completed on the real endpoint a day ago, one output, take 1. */
export function lockShot(fields: Partial<Record<keyof LockShot, unknown>> = {}): LockShot {
  // Parsed, so defaults the schema adds (history, outputs) are filled in as when a lockfile is read.
  return LockShotSchema.parse({
    fingerprint: 'f'.repeat(64),
    endpoint: REAL,
    model: MODEL,
    take: 1,
    prediction_id: 'pred-1',
    status: 'completed',
    duration: 5,
    cost_cents: 210,
    request: {},
    submitted_at: new Date(NOW - DAY - 60_000).toISOString(),
    completed_at: new Date(NOW - DAY).toISOString(),
    outputs: [{ url: 'https://cdn.example.com/pred-1.mp4', path: 'renders/t/a.mp4', sha256: 'a'.repeat(64), bytes: 1000 }],
    ...fields,
  });
}
