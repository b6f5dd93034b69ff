#!/usr/bin/env node
// Draws the example campaign's source images (assets/*.png, assets/*.jpg) from raw pixels, offline.
//
// Why procedural: the example specs need real PNG and JPEG files that pass every image rule of docs/SPEC.md
// (format by content, each side >= 300 px, aspect 1:2.5..2.5:1) without shipping stock photos or needing
// the network. Deterministic: no Math.random (a seeded PRNG instead), so a rerun with the same sharp/libvips
// writes the same bytes and `git status` stays clean. Run with `npm run make-assets`.

import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import sharp from 'sharp';

const OUT_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

// ---------------------------------------------------------------- colour, randomness

const hex = (h) => (typeof h === 'string' ? [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) : h);
const mix = (a, b, t) => a.map((v, i) => v + (b[i] - v) * t);
const clamp01 = (t) => Math.min(1, Math.max(0, t));
const smooth = (t) => {
  t = clamp01(t);
  return t * t * (3 - 2 * t);
};

/** mulberry32: tiny seeded PRNG, so "random" windows and stars are the same on every run. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Colour at t in 0..1 along [[t, '#rrggbb' or [r, g, b]], ...] stops. */
function ramp(stops, t) {
  if (t <= stops[0][0]) return hex(stops[0][1]);
  for (let i = 1; i < stops.length; i++) {
    const [t1, c1] = stops[i];
    const [t0, c0] = stops[i - 1];
    if (t <= t1) return mix(hex(c0), hex(c1), smooth((t - t0) / (t1 - t0)));
  }
  return hex(stops.at(-1)[1]);
}

// ---------------------------------------------------------------- canvas

class Canvas {
  constructor(width, height) {
    this.w = width;
    this.h = height;
    this.px = new Float32Array(width * height * 3);
  }

  blend(x, y, rgb, alpha) {
    if (x < 0 || y < 0 || x >= this.w || y >= this.h || alpha <= 0) return;
    const i = (y * this.w + x) * 3;
    const a = Math.min(1, alpha);
    for (let k = 0; k < 3; k++) this.px[i + k] += (rgb[k] - this.px[i + k]) * a;
  }

  /** Fills every pixel with fn(x, y) -> rgb. */
  paint(fn) {
    for (let y = 0; y < this.h; y++) {
      for (let x = 0; x < this.w; x++) {
        const c = fn(x, y);
        const i = (y * this.w + x) * 3;
        this.px[i] = c[0];
        this.px[i + 1] = c[1];
        this.px[i + 2] = c[2];
      }
    }
  }

  /** Vertical gradient over the rows y0..y1 (fractions of the height). */
  vgradient(stops, y0 = 0, y1 = 1) {
    const top = Math.round(y0 * this.h);
    const bottom = Math.round(y1 * this.h);
    for (let y = top; y < bottom; y++) {
      const c = ramp(stops, (y - top) / Math.max(1, bottom - top - 1));
      for (let x = 0; x < this.w; x++) this.blend(x, y, c, 1);
    }
  }

  /** Soft light: blends rgb with a smooth falloff up to radius r. */
  glow(cx, cy, r, rgb, strength = 1) {
    this.region(
      cx - r,
      cy - r,
      cx + r,
      cy + r,
      (x, y) => {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy) / r;
        return strength * (1 - smooth(d)) ** 2;
      },
      rgb,
    );
  }

  /** Draws rgb where cover(x, y) (0..1) is positive, inside a bounding box. */
  region(x0, y0, x1, y1, cover, rgb, alpha = 1) {
    const xa = Math.max(0, Math.floor(x0)),
      xb = Math.min(this.w - 1, Math.ceil(x1));
    const ya = Math.max(0, Math.floor(y0)),
      yb = Math.min(this.h - 1, Math.ceil(y1));
    for (let y = ya; y <= yb; y++) {
      for (let x = xa; x <= xb; x++) {
        const c = cover(x, y);
        if (c > 0) this.blend(x, y, typeof rgb === 'function' ? rgb(x, y) : rgb, c * alpha);
      }
    }
  }

  /** Anti-aliased shape from a signed distance function (negative inside). */
  sdf(bbox, dist, rgb, alpha = 1) {
    this.region(...bbox, (x, y) => clamp01(0.5 - dist(x + 0.5, y + 0.5)), rgb, alpha);
  }

  ellipse(cx, cy, rx, ry, rgb, alpha = 1) {
    const k = Math.min(rx, ry);
    this.sdf([cx - rx - 1, cy - ry - 1, cx + rx + 1, cy + ry + 1], (x, y) => (Math.hypot((x - cx) / rx, (y - cy) / ry) - 1) * k, rgb, alpha);
  }

  circle(cx, cy, r, rgb, alpha = 1) {
    this.ellipse(cx, cy, r, r, rgb, alpha);
  }

  /** A thick line with round caps. */
  capsule(ax, ay, bx, by, r, rgb, alpha = 1) {
    const dx = bx - ax,
      dy = by - ay,
      len2 = dx * dx + dy * dy || 1;
    this.sdf(
      [Math.min(ax, bx) - r - 1, Math.min(ay, by) - r - 1, Math.max(ax, bx) + r + 1, Math.max(ay, by) + r + 1],
      (x, y) => {
        const t = clamp01(((x - ax) * dx + (y - ay) * dy) / len2);
        return Math.hypot(x - ax - t * dx, y - ay - t * dy) - r;
      },
      rgb,
      alpha,
    );
  }

  rect(x0, y0, x1, y1, rgb, alpha = 1) {
    this.region(x0, y0, x1, y1, (x, y) => clamp01(Math.min(x + 1, x1) - Math.max(x, x0)) * clamp01(Math.min(y + 1, y1) - Math.max(y, y0)), rgb, alpha);
  }

  /** Filled polygon, 4x4 supersampled (even-odd rule). rgb may be a function of (x, y). */
  polygon(points, rgb, alpha = 1) {
    const xs = points.map((p) => p[0]),
      ys = points.map((p) => p[1]);
    const inside = (px, py) => {
      let hit = false;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [xi, yi] = points[i],
          [xj, yj] = points[j];
        if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) hit = !hit;
      }
      return hit;
    };
    this.region(
      Math.min(...xs),
      Math.min(...ys),
      Math.max(...xs),
      Math.max(...ys),
      (x, y) => {
        let n = 0;
        for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) n += inside(x + (sx + 0.5) / 4, y + (sy + 0.5) / 4);
        return n / 16;
      },
      rgb,
      alpha,
    );
  }

  /** Darkens the corners a little, like a lens. */
  vignette(amount = 0.35) {
    const cx = this.w / 2,
      cy = this.h / 2,
      rmax = Math.hypot(cx, cy);
    this.region(0, 0, this.w, this.h, (x, y) => amount * smooth((Math.hypot(x - cx, y - cy) / rmax - 0.45) / 0.6), [0, 0, 0]);
  }

  /** Fine film grain (seeded) so that JPEG gradients do not band. */
  grain(seed, amount = 3) {
    const r = rng(seed);
    for (let i = 0; i < this.px.length; i += 3) {
      const n = (r() - 0.5) * 2 * amount;
      this.px[i] += n;
      this.px[i + 1] += n;
      this.px[i + 2] += n;
    }
  }

  toBuffer() {
    const out = Buffer.alloc(this.px.length);
    for (let i = 0; i < this.px.length; i++) out[i] = Math.max(0, Math.min(255, Math.round(this.px[i])));
    return out;
  }
}

// ---------------------------------------------------------------- props

/**
 * The campaign's sneaker, side view, heel left and toe right, in units of its length with the sole's
 * bottom at y = 0. Placed with its heel at (x, y), `len` px long; mirror turns it to face left.
 */
function sneaker(c, x, y, len, { upper, sole, accent, lace, mirror = false }) {
  const P = (pts) => pts.map(([u, v]) => [x + (mirror ? 1 - u : u) * len, y + v * len]);
  const shade = (base) => (_px, py) => mix(base, [255, 255, 255], 0.22 * smooth((y - len * 0.1 - py) / (len * 0.35)));
  c.ellipse(x + len / 2, y + len * 0.005, len * 0.56, len * 0.045, [0, 0, 0], 0.35); // contact shadow
  c.polygon(
    P([
      [0.02, -0.1],
      [0.0, -0.28],
      [0.03, -0.4],
      [0.1, -0.44],
      [0.2, -0.42],
      [0.3, -0.36],
      [0.38, -0.4],
      [0.44, -0.47],
      [0.5, -0.46],
      [0.54, -0.38],
      [0.66, -0.3],
      [0.8, -0.22],
      [0.92, -0.17],
      [0.99, -0.13],
      [1.0, -0.1],
    ]),
    shade(upper),
  );
  c.polygon(
    P([
      [0.3, -0.36],
      [0.38, -0.4],
      [0.44, -0.47],
      [0.47, -0.45],
      [0.4, -0.37],
    ]),
    mix(upper, [0, 0, 0], 0.35),
  ); // collar
  c.polygon(
    P([
      [0.16, -0.13],
      [0.6, -0.27],
      [0.7, -0.24],
      [0.26, -0.11],
    ]),
    accent,
  ); // side stripe
  c.polygon(
    P([
      [0.0, -0.29],
      [0.07, -0.29],
      [0.08, -0.41],
      [0.03, -0.4],
    ]),
    accent,
  ); // heel tab
  for (let i = 0; i < 4; i++) {
    // laces across the vamp
    const [[ax, ay], [bx, by]] = P([
      [0.5 + i * 0.045, -0.4 + i * 0.028],
      [0.56 + i * 0.045, -0.35 + i * 0.028],
    ]);
    c.capsule(ax, ay, bx, by, Math.max(1, len * 0.008), lace);
  }
  c.polygon(
    P([
      [0.0, -0.11],
      [0.97, -0.11],
      [1.02, -0.085],
      [1.015, -0.03],
      [0.96, 0],
      [0.04, 0],
      [-0.005, -0.035],
    ]),
    sole,
  );
  c.polygon(
    P([
      [0.0, -0.035],
      [1.015, -0.035],
      [0.96, 0],
      [0.04, 0],
    ]),
    mix(sole, [0, 0, 0], 0.25),
  ); // outsole edge
}

/** A cylindrical pedestal whose top face is centred at (cx, top). */
function pedestal(c, cx, top, rx, height, base, light) {
  const ry = rx * 0.22;
  c.ellipse(cx, top + height + ry * 0.4, rx * 1.25, ry * 1.1, [0, 0, 0], 0.3);
  const body = (x) => mix(mix(base, [0, 0, 0], 0.45), mix(base, light, 0.35), smooth(1 - Math.abs((x - (cx - rx * 0.25)) / (rx * 1.3))));
  c.ellipse(cx, top + height, rx, ry, body); // the rounded front of the base
  c.rect(cx - rx, top, cx + rx, top + height, body);
  c.ellipse(cx, top, rx, ry, mix(base, light, 0.55));
}

/** Stars above `maxY` (px), seeded. */
function stars(c, seed, count, maxY) {
  const r = rng(seed);
  for (let i = 0; i < count; i++) c.circle(r() * c.w, r() * maxY, 0.4 + r() * 0.8, [255, 250, 235], 0.35 + r() * 0.6);
}

/** A row of box buildings between x0 and x1 standing on baseY, with a window grid lit at random. */
function skyline(c, seed, { x0 = 0, x1 = c.w, baseY, minH, maxH, minW, maxW, body, windows, lit, winSize = 3 }) {
  const r = rng(seed);
  for (let x = x0; x < x1; ) {
    const w = minW + r() * (maxW - minW);
    const h = minH + r() * (maxH - minH);
    const col = mix(hex(body[0]), hex(body[1]), r());
    c.rect(x, baseY - h, x + w - 1, baseY, col);
    if (r() < 0.3) c.rect(x + w * 0.4, baseY - h - h * 0.12, x + w * 0.6, baseY - h, col); // rooftop box
    for (let wy = baseY - h + winSize * 2; wy < baseY - winSize * 2; wy += winSize * 2.4) {
      for (let wx = x + winSize; wx < x + w - winSize * 2; wx += winSize * 2.2) {
        if (r() < lit) c.rect(wx, wy, wx + winSize, wy + winSize * 1.2, hex(windows[Math.floor(r() * windows.length)]), 0.9);
      }
    }
    x += w + r() * 3;
  }
}

// ---------------------------------------------------------------- scenes

const BRAND = { upper: hex('#f4f1ea'), sole: hex('#e8c9a0'), accent: hex('#ff6f59'), lace: hex('#d8d2c4') };

function hero(w, h, dusk) {
  const c = new Canvas(w, h);
  const sky = dusk
    ? [
        [0, '#2a1f4a'],
        [0.55, '#8e4c8a'],
        [1, '#f08a7e'],
      ]
    : [
        [0, '#1d4e6b'],
        [0.5, '#e9a15f'],
        [1, '#f7cf8f'],
      ];
  c.vgradient(sky, 0, 0.72);
  c.vgradient(
    dusk
      ? [
          [0, '#6e3b5e'],
          [1, '#2b1a33'],
        ]
      : [
          [0, '#c9834f'],
          [1, '#6b3d2a'],
        ],
    0.72,
    1,
  );
  c.glow(w * 0.5, h * 0.55, h * 0.75, hex(dusk ? '#ffb3a0' : '#fff1c9'), 0.7);
  const rx = w * 0.17,
    top = h * 0.66;
  pedestal(c, w / 2, top, rx, h * 0.22, hex(dusk ? '#5b4a6e' : '#efe4d6'), hex('#ffffff'));
  const len = w * 0.32;
  sneaker(c, w / 2 - len / 2, top + rx * 0.06, len, { ...BRAND, mirror: dusk });
  c.vignette(0.4);
  return c;
}

const CITY = {
  dawn: {
    sky: [
      [0, '#3a5a8c'],
      [0.55, '#f3a77a'],
      [1, '#ffe2b0'],
    ],
    sun: '#fff3d6',
    body: ['#5a4e6e', '#7a6480'],
    lit: 0.08,
    win: ['#ffd59e'],
    ground: '#3b3346',
    haze: '#ffd2a8',
  },
  night: {
    sky: [
      [0, '#070b24'],
      [0.6, '#1d2459'],
      [1, '#4b3a78'],
    ],
    sun: '#f2f0ff',
    body: ['#14162e', '#242748'],
    lit: 0.45,
    win: ['#ffd27a', '#ffe9b8', '#8fe3ff', '#ff7ac8'],
    ground: '#0b0c1a',
    haze: '#6b4fb0',
  },
};

function cityBase(c, t, horizon) {
  c.vgradient(t.sky, 0, horizon);
  c.vgradient(
    [
      [0, t.ground],
      [1, t.ground],
    ],
    horizon,
    1,
  );
}

function sunOrMoon(c, time, x, y, r) {
  if (time === 'dawn') {
    c.glow(x, y, r * 6, hex('#ffcf8a'), 0.8);
    c.circle(x, y, r, hex('#fff3d6'));
  } else {
    stars(c, 7, Math.round((c.w * c.h) / 900), c.h * 0.55);
    c.glow(x, y, r * 4, hex('#8a8fd8'), 0.4);
    c.circle(x, y, r, hex('#f2f0ff'));
  }
}

function paris(w, h, time) {
  const c = new Canvas(w, h),
    t = CITY[time],
    hz = 0.78,
    base = h * hz,
    s = Math.min(w, h);
  cityBase(c, t, hz);
  sunOrMoon(c, time, w * 0.78, h * (time === 'dawn' ? 0.62 : 0.2), s * 0.06);
  c.glow(w / 2, base, w * 0.7, hex(t.haze), 0.35);
  // Eiffel tower: two splayed legs, an arch, decks and a spire.
  const tx = w * 0.36,
    th = h * 0.68,
    tw = s * 0.26,
    ink = mix(hex(t.body[0]), [0, 0, 0], 0.3);
  c.polygon(
    [
      [tx - tw / 2, base],
      [tx - tw * 0.07, base - th * 0.72],
      [tx, base - th],
      [tx + tw * 0.07, base - th * 0.72],
      [tx + tw / 2, base],
      [tx + tw * 0.28, base],
      [tx, base - th * 0.32],
      [tx - tw * 0.28, base],
    ],
    ink,
  );
  for (const f of [0.3, 0.55]) c.rect(tx - tw * (0.42 - f * 0.45), base - th * f - 2, tx + tw * (0.42 - f * 0.45), base - th * f + 2, ink);
  if (time === 'night') c.glow(tx, base - th * 0.6, th * 0.5, hex('#ffc46b'), 0.35);
  // Haussmann rows: cream blocks with zinc-roof strips.
  skyline(c, 11, { baseY: base, minH: h * 0.08, maxH: h * 0.16, minW: w * 0.06, maxW: w * 0.11, body: t.body, windows: t.win, lit: t.lit });
  c.rect(0, base, w, base + 2, mix(hex(t.haze), [0, 0, 0], 0.3), 0.6);
  c.vignette(0.35);
  return c;
}

function tokyo(w, h, time) {
  const c = new Canvas(w, h),
    t = CITY[time],
    hz = 0.8,
    base = h * hz,
    s = Math.min(w, h);
  cityBase(c, t, hz);
  sunOrMoon(c, time, w * 0.14, h * (time === 'dawn' ? 0.3 : 0.16), s * 0.05);
  // Mount Fuji far behind on the right, snow cap, rising well above the towers in front of it.
  const fx = w * 0.7,
    fy = base - h * 0.56,
    fw = w * 0.75;
  const far = mix(hex(t.sky[1][1]), hex(t.body[0]), time === 'dawn' ? 0.35 : 0.55);
  c.polygon(
    [
      [fx - fw / 2, base],
      [fx - fw * 0.05, fy],
      [fx + fw * 0.05, fy],
      [fx + fw / 2, base],
    ],
    far,
  );
  c.polygon(
    [
      [fx - fw * 0.05, fy],
      [fx + fw * 0.05, fy],
      [fx + fw * 0.12, fy + h * 0.11],
      [fx + fw * 0.05, fy + h * 0.08],
      [fx, fy + h * 0.12],
      [fx - fw * 0.04, fy + h * 0.08],
      [fx - fw * 0.11, fy + h * 0.1],
    ],
    hex(time === 'dawn' ? '#fff4ea' : '#9aa0cf'),
    0.9,
  );
  c.glow(w / 2, base, w * 0.8, hex(time === 'dawn' ? '#ffb08a' : '#ff3fa4'), 0.3);
  skyline(c, 23, { baseY: base, minH: h * 0.06, maxH: h * 0.26, minW: w * 0.04, maxW: w * 0.08, body: t.body, windows: t.win, lit: t.lit });
  // Tokyo Tower: a red lattice spire with two white decks.
  const tx = w * 0.34,
    th = h * 0.62,
    tw = s * 0.2,
    red = hex(time === 'dawn' ? '#e4572e' : '#ff5a3c');
  c.polygon(
    [
      [tx - tw / 2, base],
      [tx - tw * 0.05, base - th * 0.85],
      [tx, base - th],
      [tx + tw * 0.05, base - th * 0.85],
      [tx + tw / 2, base],
      [tx + tw * 0.3, base],
      [tx, base - th * 0.22],
      [tx - tw * 0.3, base],
    ],
    red,
  );
  for (const f of [0.38, 0.62]) c.rect(tx - tw * (0.36 - f * 0.35), base - th * f - 3, tx + tw * (0.36 - f * 0.35), base - th * f + 3, hex('#f7f2e8'));
  if (time === 'night') {
    c.glow(tx, base - th * 0.5, th * 0.6, red, 0.3);
    c.rect(0, base - 2, w, base, hex('#ff7ac8'), 0.5);
  }
  c.vignette(0.35);
  return c;
}

function brooklyn(w, h, time) {
  const c = new Canvas(w, h),
    t = CITY[time],
    hz = 0.7,
    base = h * hz,
    s = Math.min(w, h);
  cityBase(c, t, hz);
  c.vgradient(
    [
      [0, mix(hex(t.sky.at(-1)[1]), hex(t.ground), 0.5)],
      [1, t.ground],
    ],
    hz,
    1,
  ); // the river reflects the sky
  sunOrMoon(c, time, w * 0.85, h * (time === 'dawn' ? 0.55 : 0.15), s * 0.05);
  // Manhattan across the river: tall towers, one stepped spire.
  skyline(c, 37, { baseY: base, minH: h * 0.15, maxH: h * 0.48, minW: w * 0.035, maxW: w * 0.07, body: t.body, windows: t.win, lit: t.lit, winSize: 2 });
  const ex = w * 0.62,
    ink = mix(hex(t.body[1]), [0, 0, 0], 0.15);
  for (const [hw, f] of [
    [0.09, 0.5],
    [0.06, 0.58],
    [0.035, 0.64],
    [0.012, 0.72],
  ])
    c.rect(ex - ((w * hw) / 2) * 1.6, base - h * f, ex + ((w * hw) / 2) * 1.6, base, ink);
  c.glow(w / 2, base, w * 0.6, hex(t.haze), 0.25);
  // The bridge: deck, two gothic towers, cables.
  const deck = h * 0.78,
    steel = hex(time === 'dawn' ? '#4a3d52' : '#1a1a30');
  c.rect(0, deck - 4, w, deck + 3, steel);
  for (const px of [w * 0.18, w * 0.82]) {
    const tw = s * 0.07,
      top = deck - h * 0.42;
    c.rect(px - tw / 2, top, px + tw / 2, deck + h * 0.2, steel);
    for (const ax of [-0.22, 0.22]) c.ellipse(px + ax * tw, top + h * 0.1, tw * 0.14, h * 0.06, mix(hex(t.sky[1][1]), hex(t.ground), 0.3));
  }
  for (let i = 0; i <= 64; i++) {
    // main cable sags between the towers and runs down to the banks
    const u = i / 64,
      x = w * 0.18 + u * w * 0.64,
      y = deck - h * 0.4 + Math.sin(u * Math.PI) * h * 0.34;
    c.circle(x, y, 1.2, steel);
    if (i % 4 === 0 && i > 0 && i < 64) c.rect(x - 0.5, y, x + 0.5, deck, steel, 0.7);
  }
  for (const [a, b] of [
    [0, 0.18],
    [0.82, 1],
  ])
    c.capsule(w * a, a === 0 ? deck : deck - h * 0.4, w * b, a === 0 ? deck - h * 0.4 : deck, 1.2, steel);
  if (time === 'night') for (let x = 6; x < w; x += 16) c.glow(x, deck - 6, 6, hex('#ffd27a'), 0.8);
  c.vignette(0.35);
  return c;
}

function studio(w, h) {
  const c = new Canvas(w, h);
  c.vgradient([
    [0, '#cfd3d6'],
    [0.62, '#f2f2ee'],
    [0.7, '#e9e7e1'],
    [1, '#b9b6ae'],
  ]); // infinity cove
  c.glow(w * 0.15, h * 0.1, w * 0.35, hex('#ffffff'), 0.8);
  c.glow(w * 0.85, h * 0.1, w * 0.35, hex('#fff6e6'), 0.6);
  for (const x of [w * 0.06, w * 0.8]) c.rect(x, h * 0.04, x + w * 0.14, h * 0.18, hex('#ffffff'), 0.85); // softboxes
  c.capsule(w * 0.05, h * 0.2, w * 0.05, h * 0.75, 2, hex('#3a3a3a')); // light stand
  c.capsule(w * 0.95, h * 0.2, w * 0.95, h * 0.75, 2, hex('#3a3a3a'));
  const len = w * 0.36;
  sneaker(c, w / 2 - len / 2, h * 0.8, len, BRAND);
  c.vignette(0.25);
  return c;
}

function rooftop(w, h) {
  const c = new Canvas(w, h),
    hz = h * 0.68;
  c.vgradient(
    [
      [0, '#23255e'],
      [0.45, '#b04a7d'],
      [0.8, '#f6875d'],
      [1, '#ffc97a'],
    ],
    0,
    0.68,
  );
  c.glow(w * 0.3, hz, h * 0.7, hex('#ffd08a'), 0.7);
  c.circle(w * 0.3, hz - h * 0.03, h * 0.09, hex('#fff0c2'));
  skyline(c, 41, {
    baseY: hz + 2,
    minH: h * 0.05,
    maxH: h * 0.22,
    minW: w * 0.03,
    maxW: w * 0.07,
    body: ['#54305a', '#6b3b63'],
    windows: ['#ffcf8a'],
    lit: 0.1,
    winSize: 2,
  });
  c.vgradient(
    [
      [0, '#2e1c36'],
      [1, '#170f1f'],
    ],
    0.68,
    1,
  ); // the roof deck
  c.rect(0, hz, w, hz + h * 0.04, hex('#42293f'));
  for (let x = 4; x < w; x += 22) c.rect(x, hz - h * 0.1, x + 2, hz, hex('#1d1224')); // railing posts
  c.rect(0, hz - h * 0.1, w, hz - h * 0.09, hex('#1d1224'));
  const wx = w * 0.8,
    ww = w * 0.11,
    wt = h * 0.18,
    ink = hex('#1a1020'); // water tower
  c.rect(wx - ww / 2, wt, wx + ww / 2, wt + h * 0.2, ink);
  c.polygon(
    [
      [wx - ww * 0.58, wt],
      [wx, wt - h * 0.09],
      [wx + ww * 0.58, wt],
    ],
    ink,
  );
  for (const f of [-0.4, 0, 0.4]) c.capsule(wx + f * ww, wt + h * 0.2, wx + f * ww * 1.2, hz, 2, ink);
  for (const f of [0.3, 0.6]) c.rect(wx - ww / 2, wt + h * 0.2 * f, wx + ww / 2, wt + h * 0.2 * f + 1.5, hex('#3a2638'));
  c.vignette(0.3);
  return c;
}

function productCloseup(w, h) {
  const c = new Canvas(w, h),
    r = rng(5);
  c.paint((x, y) =>
    ramp(
      [
        [0, '#bfe8dc'],
        [0.55, '#d9cdf2'],
        [1, '#f6c9c0'],
      ],
      (x / w) * 0.4 + (y / h) * 0.6,
    ),
  );
  for (let i = 0; i < 14; i++) c.circle(r() * w, r() * h * 0.6, w * (0.03 + r() * 0.07), hex('#ffffff'), 0.12 + r() * 0.15); // bokeh
  c.glow(w * 0.45, h * 0.45, w * 0.6, hex('#ffffff'), 0.35);
  const len = w * 0.92;
  sneaker(c, w * 0.03, h * 0.78, len, BRAND);
  c.vignette(0.3);
  return c;
}

function lifestylePortrait(w, h) {
  const c = new Canvas(w, h),
    r = rng(9),
    hz = h * 0.55;
  c.vgradient(
    [
      [0, '#7fb8e0'],
      [0.7, '#f8d9a8'],
      [1, '#fbe6c4'],
    ],
    0,
    0.55,
  );
  c.glow(w * 0.7, h * 0.22, w * 0.6, hex('#fff4d0'), 0.8);
  c.circle(w * 0.7, h * 0.22, w * 0.07, hex('#fffbe8'));
  c.vgradient(
    [
      [0, '#9cc26f'],
      [1, '#4f7d3a'],
    ],
    0.55,
    1,
  ); // park lawn
  c.polygon(
    [
      [w * 0.46, hz],
      [w * 0.54, hz],
      [w * 0.95, h],
      [w * 0.05, h],
    ],
    (_x, y) => mix(hex('#e7d3b5'), hex('#c9ad8a'), (y - hz) / (h - hz)),
  ); // path
  for (const [x, s] of [
    [0.1, 1],
    [0.88, 1.2],
    [0.25, 0.6],
    [0.74, 0.55],
  ]) {
    // trees, blossoming
    const tx = w * x,
      ty = hz + h * 0.02 * s,
      th = h * 0.2 * s;
    c.capsule(tx, ty, tx, ty - th, w * 0.012 * s, hex('#5a4030'));
    for (let i = 0; i < 9; i++)
      c.circle(
        tx + (r() - 0.5) * w * 0.22 * s,
        ty - th - (r() - 0.3) * h * 0.08 * s,
        w * (0.05 + r() * 0.04) * s,
        mix(hex('#f7b7c8'), hex('#ffe3ea'), r()),
        0.9,
      );
  }
  // A runner mid-stride, coming toward camera along the path.
  const cx = w * 0.5,
    fy = h * 0.86,
    u = h * 0.3,
    ink = hex('#2e2a3a'),
    lw = u * 0.045;
  const J = (dx, dy) => [cx + dx * u, fy - dy * u];
  const hip = J(0, 0.52),
    sh = J(0.02, 0.86),
    knee1 = J(0.12, 0.3),
    knee2 = J(-0.1, 0.28),
    foot1 = J(0.06, 0.02),
    foot2 = J(-0.2, 0.12);
  c.ellipse(cx, fy + u * 0.03, u * 0.2, u * 0.03, [0, 0, 0], 0.25);
  for (const [a, b] of [
    [hip, knee1],
    [knee1, foot1],
    [hip, knee2],
    [knee2, foot2],
    [sh, J(0.16, 0.68)],
    [J(0.16, 0.68), J(0.2, 0.82)],
    [sh, J(-0.14, 0.7)],
    [J(-0.14, 0.7), J(-0.1, 0.56)],
  ])
    c.capsule(a[0], a[1], b[0], b[1], lw, ink);
  c.capsule(hip[0], hip[1], sh[0], sh[1], lw * 2.1, hex('#ff6f59')); // coral jacket
  c.circle(...J(0.03, 0.98), u * 0.075, ink);
  for (const f of [foot1, foot2]) c.ellipse(f[0] + u * 0.04, f[1], u * 0.07, u * 0.028, hex('#f4f1ea')); // the sneakers
  c.vignette(0.3);
  return c;
}

// ---------------------------------------------------------------- output

const IMAGES = [
  ['hero.png', 640, 360, (w, h) => hero(w, h, false)],
  ['hero-end.png', 640, 360, (w, h) => hero(w, h, true)],
  ['studio.jpg', 640, 360, studio],
  ['rooftop.png', 640, 360, rooftop],
  ['product-closeup.jpg', 512, 512, productCloseup],
  ['lifestyle-portrait.jpg', 432, 768, lifestylePortrait],
  ...['dawn', 'night'].flatMap((time) => [
    [`paris-${time}.jpg`, 640, 360, (w, h) => paris(w, h, time)],
    [`tokyo-${time}.jpg`, 640, 360, (w, h) => tokyo(w, h, time)],
    [`brooklyn-${time}.jpg`, 640, 360, (w, h) => brooklyn(w, h, time)],
  ]),
];

async function encode(name, canvas) {
  const img = sharp(canvas.toBuffer(), { raw: { width: canvas.w, height: canvas.h, channels: 3 } });
  // PNGs go through a 256-colour palette with dithering: the scenes are flat shapes and gradients, so this keeps
  // them small (tens of KB, not hundreds) with no visible loss. JPEGs: quality 80, mozjpeg, no metadata.
  return name.endsWith('.png')
    ? img.png({ palette: true, colours: 256, dither: 0.8, effort: 10, compressionLevel: 9 }).toBuffer()
    : img.jpeg({ quality: 80, mozjpeg: true }).toBuffer();
}

await mkdir(OUT_DIR, { recursive: true });
for (const [name, w, h, draw] of IMAGES) {
  const canvas = draw(w, h);
  if (name.endsWith('.jpg')) canvas.grain(name.length * 131, 2.5);
  const bytes = await encode(name, canvas);
  await writeFile(path.join(OUT_DIR, name), bytes);
  console.log(`${name.padEnd(24)} ${w}x${h}  ${(bytes.length / 1024).toFixed(1)} KB`);
}
