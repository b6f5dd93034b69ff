/** mulberry32: a tiny seeded PRNG, so a fault schedule replays exactly from its seed. Returns floats in [0, 1). */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one element uniformly with a draw from `rng` (one draw, whatever the list). */
export function pickWith<T>(rng: () => number, items: readonly [T, ...T[]]): T {
  const draw = rng();
  return items[Math.min(items.length - 1, Math.floor(draw * items.length))] ?? items[0];
}
