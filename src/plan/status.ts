import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LockShot } from '../lock/schema.js';
import { readCurrentLock } from '../lock/store.js';
import { spentByEndpoint } from '../lock/takes.js';
import { validateSpec } from './plan-spec.js';

type OutputState = 'intact' | 'missing' | 'changed' | 'none';

interface ShotStatus {
  id: string;
  inSpec: boolean;
  entry?: LockShot;
  output: OutputState;
  outputPath?: string;
}

export interface StatusReport {
  specFile: string;
  name: string;
  shots: ShotStatus[];
  /** Cents spent by endpoint (failed takes are refunded and not counted). */
  spentByEndpoint: Record<string, number>;
}

/** What the lockfile (with any interrupted run's journal) and the output folder say about each shot. */
export function shotStatus(specFile: string, options: { verify?: boolean } = {}): StatusReport {
  const { loaded, spec, shots } = validateSpec(specFile);
  const lock = readCurrentLock(loaded.file, spec.name);
  const ids = new Set(shots.map((s) => s.id));
  const all = [
    ...shots.map((s) => s.id),
    ...Object.keys(lock.shots)
      .filter((id) => !ids.has(id))
      .sort(),
  ];
  return {
    specFile: loaded.file,
    name: spec.name,
    spentByEndpoint: spentByEndpoint(lock),
    shots: all.map((id) => {
      const entry = lock.shots[id];
      const first = entry?.outputs[0];
      return {
        id,
        inSpec: ids.has(id),
        entry,
        output: entry ? outputState(entry, loaded.dir, options.verify ?? false) : 'none',
        outputPath: first?.path,
      };
    }),
  };
}

function outputState(entry: LockShot, dir: string, verify: boolean): OutputState {
  if (entry.outputs.length === 0) return 'none';
  for (const out of entry.outputs) {
    const abs = path.resolve(dir, out.path);
    let size: number;
    try {
      size = statSync(abs).size;
    } catch {
      return 'missing';
    }
    if (size !== out.bytes) return 'changed';
    if (verify && createHash('sha256').update(readFileSync(abs)).digest('hex') !== out.sha256) return 'changed';
  }
  return 'intact';
}
