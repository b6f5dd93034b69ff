import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sweepLeftovers } from '../../src/apply/sweep.js';
import { tmpDir } from './fakes.js';

describe('leftovers of a killed run', () => {
  it('partial downloads and temp lockfiles are removed; outputs, lockfiles and other files are kept', () => {
    const dir = tmpDir();
    const out = path.join(dir, 'renders', 't');
    mkdirSync(out, { recursive: true });
    const files = {
      partial: path.join(out, '.a.mp4.download.123.abcd.part'),
      unverified: path.join(out, 'a.mp4.download'),
      output: path.join(out, 'a.mp4'),
      tmpLock: path.join(dir, 't.lock.json.123.lx2.tmp'),
      lock: path.join(dir, 't.lock.json'),
      otherTmp: path.join(dir, 'other.lock.json.1.x.tmp'),
      spec: path.join(dir, 't.yaml'),
    };
    for (const f of Object.values(files)) writeFileSync(f, 'x');
    expect(sweepLeftovers(out, dir, 't')).toBe(3);
    expect(Object.fromEntries(Object.entries(files).map(([k, f]) => [k, existsSync(f)]))).toEqual({
      partial: false,
      unverified: false,
      output: true,
      tmpLock: false,
      lock: true,
      otherTmp: true,
      spec: true,
    });
  });

  it('a missing output folder is not an error', () => {
    const dir = tmpDir();
    expect(sweepLeftovers(path.join(dir, 'nope'), dir, 't')).toBe(0);
  });
});
