import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { render, stripDir } from '../helpers/cli.js';
import { makeGif, makeJpeg, makePng, makePngHeader } from '../helpers/images.js';

/**
 * The bad-input corpus (issue #5): each case is a folder test/fixtures/corpus/<category>/<case>/ holding a spec
 * (and its files) plus `expect.json`. A case runs in a fresh copy of its folder, so fixtures are never touched.
 */
const CORPUS_DIR = path.resolve('test/fixtures/corpus');

/** A file made in the case's copy at test time, so no binaries are committed. */
export type MadeFile =
  | { png: [number, number]; truncate?: number; size?: number }
  | { jpeg: [number, number]; truncate?: number; size?: number }
  | { gif: [number, number] }
  /** A PNG header claiming any size over pixels that are not there (`idat`: bogus bytes, or no IDAT chunk). */
  | { pngHeader: [number, number]; idat: 'bogus' | 'none' }
  /** `encoding: "latin1"` writes one byte per character (a spec saved by a non-UTF-8 editor). */
  | { text: string; encoding?: 'utf8' | 'latin1'; size?: number }
  | { symlink: string }
  | { dir: true }
  | { fifo: true };

/** A step run in the copy before the "before" snapshot: make a valid saved plan, then spoil it, etc. */
export type SetupStep =
  | { render: string[] }
  | { make: Record<string, MadeFile> }
  | { copy: [from: string, to: string] }
  | { replace: { file: string; from: string; to: string } }
  | { json: { file: string; set: Record<string, unknown> } };

export type Pattern = string | { re: string };

interface Expect {
  /** Why this input is bad, in one sentence. */
  why: string;
  /** argv after `render`. `./x` (alone or after `=`) is the file x in the case's copy. */
  args: string[];
  exit: 2 | 3;
  /** Each must occur in stderr (substring, or `{ re }`), with the copy's path removed, so paths read `spec.yaml:5:3`. */
  stderr: Pattern[];
  /**
   * The located lines of stderr (`  file:line:col field: message`, without the indent): all of them, in this
   * order, and the first line counts them (`error: file: N errors`). Pins every problem of an invalid spec.
   */
  issues?: string[];
  /** Patterns that must occur in stdout; without them, stdout must be empty (an error prints nothing there). */
  stdout?: Pattern[];
  /** Extra environment; `null` removes a variable the runner sets. */
  env?: Record<string, string | null>;
  make?: Record<string, MadeFile>;
  setup?: SetupStep[];
  /** The case needs something the platform may lack (`fifo`, `symlink`). */
  needs?: ('fifo' | 'symlink')[];
}

export interface CorpusCase {
  category: string;
  name: string;
  dir: string;
  expect: Expect;
}

/** Every case of the corpus, ordered by category then name. */
export function loadCases(root = CORPUS_DIR): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const category of readdirSync(root).sort()) {
    const catDir = path.join(root, category);
    if (!lstatSync(catDir).isDirectory()) continue;
    for (const name of readdirSync(catDir).sort()) {
      const dir = path.join(catDir, name);
      if (!lstatSync(dir).isDirectory()) continue;
      const expect = JSON.parse(readFileSync(path.join(dir, 'expect.json'), 'utf8')) as Expect;
      cases.push({ category, name, dir, expect });
    }
  }
  return cases;
}

/** The valid image most specs name; every copy has it unless the case ships or makes its own. */
const OK_IMAGE = 'img/ok.png';

/** A fresh copy of the case (without expect.json) in a temp folder, with its made files. */
export function copyCase(c: CorpusCase): string {
  const dir = mkdtempSync(path.join(tmpdir(), `render-corpus-${c.name}-`));
  cpSync(c.dir, dir, { recursive: true, filter: (src) => path.basename(src) !== 'expect.json' });
  const made = c.expect.make ?? {};
  if (!(OK_IMAGE in made) && !existsSync(path.join(dir, OK_IMAGE))) makeFiles(dir, { [OK_IMAGE]: { png: [640, 360] } });
  makeFiles(dir, made);
  return dir;
}

export function makeFiles(dir: string, files: Record<string, MadeFile>): void {
  for (const [rel, spec] of Object.entries(files)) {
    const abs = path.join(dir, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    rmSync(abs, { recursive: true, force: true });
    if ('dir' in spec) mkdirSync(abs);
    else if ('symlink' in spec) symlinkSync(spec.symlink, abs);
    else if ('fifo' in spec) execFileSync('mkfifo', [abs]);
    else if ('text' in spec) {
      writeFileSync(abs, Buffer.from(spec.text, spec.encoding ?? 'utf8'));
      if (spec.size !== undefined) truncateSync(abs, spec.size);
    } else if ('gif' in spec) writeFileSync(abs, makeGif(...spec.gif));
    else if ('pngHeader' in spec) writeFileSync(abs, makePngHeader(...spec.pngHeader, spec.idat));
    else {
      const bytes = 'png' in spec ? makePng(...spec.png) : makeJpeg(...spec.jpeg);
      writeFileSync(abs, spec.truncate === undefined ? bytes : bytes.subarray(0, spec.truncate));
      if (spec.size !== undefined) truncateSync(abs, spec.size); // grows sparse: no 10 MB written
    }
  }
}

/** `./x` → the file x in the copy; used for argv and setup steps. */
export function resolveArgs(dir: string, args: readonly string[]): string[] {
  return args.map((a) => a.replace(/^(--[a-z-]+=)?\.\/(.*)$/, (_, flag: string | undefined, rel: string) => `${flag ?? ''}${path.join(dir, rel)}`));
}

export async function runSetup(dir: string, steps: readonly SetupStep[], env: Record<string, string | undefined>): Promise<void> {
  for (const step of steps) {
    if ('render' in step) {
      const r = await render(resolveArgs(dir, step.render), env);
      if (r.code !== 0) throw new Error(`setup \`render ${step.render.join(' ')}\` exited ${r.code}:\n${r.stderr}`);
    } else if ('make' in step) makeFiles(dir, step.make);
    else if ('copy' in step) cpSync(path.join(dir, step.copy[0]), path.join(dir, step.copy[1]));
    else if ('replace' in step) {
      const file = path.join(dir, step.replace.file);
      const text = readFileSync(file, 'utf8');
      if (!text.includes(step.replace.from)) throw new Error(`setup: "${step.replace.from}" not in ${step.replace.file}`);
      // `$WAVESPEED_BASE_URL` in the replacement is the run's endpoint (a lockfile entry made "on" the tripwire).
      const to = step.replace.to.split('$WAVESPEED_BASE_URL').join(env.WAVESPEED_BASE_URL ?? '');
      writeFileSync(file, text.split(step.replace.from).join(to));
    } else {
      const file = path.join(dir, step.json.file);
      const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const [dotted, value] of Object.entries(step.json.set)) setPath(data, dotted.split('.'), value);
      writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
    }
  }
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === '$delete') delete node[last];
  else node[last] = value;
}

/**
 * Every entry under a folder, without following links: `rel → what it is` (a file's sha256, a link's target,
 * `dir`, or its type). An empty folder created by the run shows up as a new `dir` entry.
 */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      const st = lstatSync(abs);
      if (st.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[rel] = 'dir';
        walk(abs);
      } else if (st.isFile()) out[rel] = `${st.size} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`;
      else out[rel] = st.isFIFO() ? 'fifo' : 'special';
    }
  };
  walk(root);
  return out;
}

/** Remove the copy's path from output, so it reads as if run in the case's folder. */
export { stripDir };

export function matches(text: string, p: Pattern): boolean {
  return typeof p === 'string' ? text.includes(p) : new RegExp(p.re, 'm').test(text);
}

/**
 * A run that blocks opening a FIFO would hang the whole test process (a blocked syscall cannot be timed out):
 * a separate process opens each FIFO after a while, so such a regression fails the case instead. Returns a stop.
 */
export function unblockFifos(dir: string, files: Record<string, MadeFile>, afterSeconds = 3): () => void {
  const fifos = Object.entries(files)
    .filter(([, f]) => 'fifo' in f)
    .map(([rel]) => path.join(dir, rel));
  if (fifos.length === 0) return () => {};
  const child = spawn('sh', ['-c', `sleep ${afterSeconds}; for f in "$@"; do exec 3<>"$f"; done`, 'sh', ...fifos], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

export function platformHas(need: 'fifo' | 'symlink'): boolean {
  if (process.platform === 'win32') return false;
  return need === 'symlink' || existsSync('/usr/bin/mkfifo') || existsSync('/bin/mkfifo');
}
