#!/usr/bin/env node
/**
 * Plan benchmark: `render validate` + `render plan` of a 10,000-shot spec, in-process, from dist/ (build first:
 * `npx tsc -p tsconfig.build.json`, or `npm run bench`).
 *
 * The spec is generated in a temporary folder: two matrix shots of 50 frames x 100 variants each (one with a
 * templated prompt using a partial and the element helper, one with a 2-beat multi_prompt), over 50 distinct
 * local PNGs of 300-545 px made here with node:zlib. Three phases, each in a fresh child process so its figures
 * are its own:
 *   validate   validateSpec(): parse, check, expand, inspect the 50 images
 *   plan       planSpec() with no lockfile: every shot `create`
 *   re-plan    planSpec() against a 10,000-entry lockfile with every output file on disk: every shot `unchanged`
 * Figures per phase: the wall time of the call (the child's start-up and imports excluded; shown apart), its CPU
 * time (user + system, GC threads included: a loaded machine stretches the wall time, not this), and the
 * child's peak RSS (process.resourceUsage().maxRSS). Targets, for plan and re-plan: < 2 s and < 300 MB.
 * Exit code 1 on a miss, or if a phase does not see 10,000 shots with the expected actions.
 *
 * Environment: BENCH_PLAN_SHOTS=10000 (a multiple of 100), BENCH_PLAN_KEEP=1 keeps the folder (path printed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const ENDPOINT = 'https://api.wavespeed.ai';
const SHOTS = Number(process.env.BENCH_PLAN_SHOTS ?? 10_000);
const IMAGES = 50;
const TARGET_MS = 2000;
const TARGET_MB = 300;

const dist = (rel) => import(pathToFileURL(path.join(DIST, rel)).href);

/** Child: run one phase and print its figures as one JSON line. */
async function measure(phase, specFile) {
  const t0 = performance.now();
  const { planSpec, validateSpec } = await dist('plan/plan-spec.js');
  const importMs = performance.now() - t0;
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  let actions;
  let shots;
  if (phase === 'validate') {
    shots = validateSpec(specFile).shots.length;
    actions = {};
  } else {
    const { plan } = planSpec(specFile, { endpoint: ENDPOINT });
    shots = plan.shots.length;
    actions = {};
    for (const s of plan.shots) actions[s.action] = (actions[s.action] ?? 0) + 1;
  }
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const rssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ phase, ms, cpuMs, importMs, rssMb, shots, actions })}\n`);
}

async function main() {
  if (!existsSync(path.join(DIST, 'plan', 'plan-spec.js'))) {
    console.error('plan-10k: dist/ is missing; run `npx tsc -p tsconfig.build.json` (or `npm run bench`) first');
    process.exit(2);
  }
  if (!Number.isInteger(SHOTS / 100) || SHOTS < 100) throw new Error('BENCH_PLAN_SHOTS must be a multiple of 100');
  const dir = mkdtempSync(path.join(tmpdir(), 'render-bench-plan-'));
  try {
    const t0 = performance.now();
    const specFile = writeCampaign(dir);
    console.log(`plan-10k: ${SHOTS.toLocaleString('en-US')} shots, ${IMAGES} images, in ${dir} (generated in ${fmtMs(performance.now() - t0)})`);

    const results = [];
    results.push(runPhase('validate', specFile));
    results.push(runPhase('plan', specFile));
    const t1 = performance.now();
    await writeRendered(specFile);
    console.log(`plan-10k: lockfile of ${SHOTS.toLocaleString('en-US')} completed shots and their outputs written in ${fmtMs(performance.now() - t1)}`);
    results.push(runPhase('re-plan', specFile));

    const misses = report(results);
    if (misses.length) {
      console.log(`plan-10k: FAIL: ${misses.join('; ')}`);
      process.exitCode = 1;
    } else {
      console.log('plan-10k: ok, all targets met');
    }
  } finally {
    if (process.env.BENCH_PLAN_KEEP) console.log(`plan-10k: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

function runPhase(phase, specFile) {
  const started = performance.now();
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--phase', phase, specFile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const processMs = performance.now() - started;
  if (child.status !== 0) {
    process.stderr.write(child.stderr);
    return { phase, failed: `the ${phase} phase exited ${child.status}` };
  }
  return { ...JSON.parse(child.stdout.trim().split('\n').pop()), processMs };
}

function report(results) {
  const expected = { validate: null, plan: { create: SHOTS }, 're-plan': { unchanged: SHOTS } };
  const misses = [];
  console.log('');
  console.log('  phase      call time  (its CPU)   process   peak RSS   shots    actions');
  for (const r of results) {
    if (r.failed) {
      misses.push(r.failed);
      continue;
    }
    const actions =
      Object.entries(r.actions)
        .map(([a, n]) => `${n} ${a}`)
        .join(', ') || '-';
    console.log(
      `  ${r.phase.padEnd(9)} ${fmtMs(r.ms).padStart(10)} ${`(${fmtMs(r.cpuMs)})`.padStart(10)} ${fmtMs(r.processMs).padStart(9)} ${`${r.rssMb.toFixed(0)} MB`.padStart(10)}   ${String(r.shots).padEnd(7)}  ${actions}`,
    );
    if (r.shots !== SHOTS) misses.push(`${r.phase} saw ${r.shots} shots, not ${SHOTS}`);
    const want = expected[r.phase];
    if (want && JSON.stringify(r.actions) !== JSON.stringify(want))
      misses.push(`${r.phase} actions ${JSON.stringify(r.actions)}, expected ${JSON.stringify(want)}`);
    if (r.phase !== 'validate') {
      if (r.ms >= TARGET_MS) misses.push(`${r.phase} took ${fmtMs(r.ms)} (target < ${fmtMs(TARGET_MS)})`);
      if (r.rssMb >= TARGET_MB) misses.push(`${r.phase} peaked at ${r.rssMb.toFixed(0)} MB (target < ${TARGET_MB} MB)`);
    }
  }
  console.log(`  targets for plan and re-plan: call time < ${fmtMs(TARGET_MS)}, peak RSS < ${TARGET_MB} MB`);
  console.log('  (CPU: user + system time of the call, GC threads included, so it can pass the wall time; a busy machine stretches');
  console.log('  the wall time, not this. process: spawn to exit, node start-up and imports included)');
  console.log('');
  return misses;
}

/** The spec, its 50 images and a partial; returns the spec's path. */
function writeCampaign(dir) {
  mkdirSync(path.join(dir, 'img'));
  mkdirSync(path.join(dir, 'templates'));
  for (let i = 0; i < IMAGES; i++) {
    const side = 300 + i * 5; // 300..545 px, aspect within limits
    writeFileSync(path.join(dir, 'img', `frame-${i}.png`), makePng(side + 40, side, [i * 5, 255 - i * 5, (i * 37) % 256]));
  }
  writeFileSync(path.join(dir, 'templates', 'look.hbs'), '{{brand}} spring palette ({{palette}}), fine 35mm grain, shallow depth of field');
  const frames = Array.from({ length: IMAGES }, (_, i) => i).join(', ');
  const variants = Array.from({ length: SHOTS / IMAGES / 2 }, (_, i) => i).join(', ');
  const spec = `# Generated by bench/plan-10k-bench.mjs: ${SHOTS} shots
version: 1
name: bench-10k
templates: templates
max_shots: ${SHOTS}
budget: { max_usd: ${SHOTS * 7} }
concurrency: 100
defaults:
  duration: 5
  cfg_scale: 0.5
  negative_prompt: "blurry, warped hands, a misspelt {{brand}} wordmark"
vars:
  brand: Aster
  palette: chalk white, coral & dusk violet
  light: a soft warm key from camera left
elements:
  mascot: { id: "318406227590142", description: the Aster hare }
shots:
  - id: still-{{frame}}-{{variant}}
    matrix:
      frame: [${frames}]
      variant: [${variants}]
    image: img/frame-{{frame}}.png
    prompt: "Variant {{variant}} of frame {{frame}}: {{element 'mascot'}} turns toward the lens, {{light}}; {{shot.duration}} s. {{> look}}"
    sound: true
  - id: beats-{{frame}}-{{variant}}
    matrix:
      frame: [${frames}]
      variant: [${variants}]
    image: img/frame-{{frame}}.png
    multi_prompt:
      - { prompt: "Wide: {{element 'mascot'}} runs along the ledge, variant {{variant}}", duration: 4 }
      - { prompt: "Close-up on the shoe, {{light}}. {{> look}}", duration: 3 }
`;
  const file = path.join(dir, 'bench-10k.yaml');
  writeFileSync(file, spec);
  return file;
}

/** What a finished apply leaves: every shot completed in the lockfile, its output file on disk. */
async function writeRendered(specFile) {
  const { planSpec } = await dist('plan/plan-spec.js');
  const { serializeLockfile, lockfilePath } = await dist('lock/file.js');
  const { emptyLockfile } = await dist('lock/schema.js');
  const { plan, spec } = planSpec(specFile, { endpoint: ENDPOINT });
  const lock = emptyLockfile(spec.name, path.basename(specFile), 'bench-lineage-00000000');
  const shots = {};
  lock.endpoints[ENDPOINT] = { shots, uploads: {} };
  const dir = path.dirname(specFile);
  const now = new Date().toISOString();
  mkdirSync(plan.outputDir, { recursive: true });
  const video = Buffer.alloc(64, 1);
  for (const s of plan.shots) {
    writeFileSync(s.output, video);
    const take = {
      n: 1,
      fingerprint: s.fingerprint,
      model: plan.model,
      take: s.take,
      prediction_id: `pred-${s.id}`,
      status: 'completed',
      duration: s.duration,
      cost_cents: s.costCents,
      request: s.contentRequest,
      submitted_at: now,
      completed_at: now,
      outputs: [
        {
          url: `https://cdn.example.com/${s.id}.mp4`,
          path: path.relative(dir, s.output).split(path.sep).join('/'),
          sha256: 'a'.repeat(64),
          bytes: video.length,
        },
      ],
    };
    shots[s.id] = { current: 1, takes: [take] };
  }
  writeFileSync(lockfilePath(specFile, spec.name), serializeLockfile(lock));
}

function fmtMs(ms) {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A valid RGB PNG of one colour (signature, IHDR, zlib IDAT, IEND, CRCs). */
function makePng(width, height, rgb) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

let crcTable;
function crc32(buf) {
  crcTable ??= Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Last, so every declaration above is initialised before it runs.
if (process.argv[2] === '--phase') await measure(process.argv[3], process.argv[4]);
else await main();
