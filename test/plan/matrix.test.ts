import { describe, expect, it } from 'vitest';
import { expandMatrix, matrixSize } from '../../src/plan/matrix.js';
import { validateSpec } from '../../src/plan/plan-spec.js';

/** docs/SPEC.md "Rules", Matrix: the cartesian product of the listed values, in the order written. */

describe('expandMatrix', () => {
  it.each([
    ['no matrix: one combination, no values', undefined, [{}]],
    ['one key', { a: [1, 2, 3] }, [{ a: 1 }, { a: 2 }, { a: 3 }]],
    [
      'two keys: the first varies slowest',
      { a: ['x', 'y'], b: [1, 2] },
      [
        { a: 'x', b: 1 },
        { a: 'x', b: 2 },
        { a: 'y', b: 1 },
        { a: 'y', b: 2 },
      ],
    ],
    [
      'keys in the order written, not sorted',
      { z: [1, 2], a: [true, false] },
      [
        { z: 1, a: true },
        { z: 1, a: false },
        { z: 2, a: true },
        { z: 2, a: false },
      ],
    ],
    ['a single value per key: one combination', { a: ['only'], b: [7] }, [{ a: 'only', b: 7 }]],
  ] as const)('%s', (_case, matrix, expected) => {
    const m = matrix as Record<string, (string | number | boolean)[]> | undefined;
    expect(expandMatrix(m)).toEqual(expected);
    expect(matrixSize(m)).toBe(expected.length);
  });

  it('counts a large product without building it (the max_shots guard)', () => {
    const m = { a: Array.from({ length: 100 }, (_, i) => i), b: Array.from({ length: 100 }, (_, i) => i), c: [1, 2, 3] };
    expect(matrixSize(m)).toBe(30_000);
  });
});

describe('a matrix shot in a spec', () => {
  const { shots } = validateSpec('test/fixtures/specs/matrix.yaml');

  it('expands in place, in the order written (city, then time, then take_no)', () => {
    expect(shots.map((s) => s.id)).toEqual([
      'before',
      'paris-dawn-1',
      'paris-dawn-2',
      'paris-night-1',
      'paris-night-2',
      'tokyo-dawn-1',
      'tokyo-dawn-2',
      'tokyo-night-1',
      'tokyo-night-2',
      'after',
    ]);
  });

  it('gives each combination its values, in its fields and for error messages', () => {
    const s = shots.find((x) => x.id === 'tokyo-night-2')!;
    expect(s.matrix).toEqual({ city: 'tokyo', time: 'night', take_no: 2 });
    expect(s.request).toMatchObject({ image: 'https://example.com/tokyo-night.jpg', prompt: 'tokyo at night', sound: true });
    expect(s.source).toBe(1);
  });

  it('gives every expanded shot a unique id', () => {
    expect(new Set(shots.map((s) => s.id)).size).toBe(shots.length);
  });

  it('expands the example spec to its 13 shots, city-paris-dawn ... city-brooklyn-night in order', () => {
    const example = validateSpec('specs/spring-launch.yaml').shots.map((s) => s.id);
    expect(example).toHaveLength(13);
    expect(example.filter((id) => id.startsWith('city-'))).toEqual([
      'city-paris-dawn',
      'city-paris-night',
      'city-tokyo-dawn',
      'city-tokyo-night',
      'city-brooklyn-dawn',
      'city-brooklyn-night',
    ]);
  });
});
