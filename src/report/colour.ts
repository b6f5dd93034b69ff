import type { Action } from '../plan/diff.js';
import type { OutputStream } from './output.js';

/**
 * Colour where it helps a reader (docs/SPEC.md "Colour"): plan actions, failures, money. Off when the stream is not a
 * terminal, under NO_COLOR (any non-empty value, https://no-color.org), with TERM=dumb, or with the global
 * `--no-color` flag (which the CLI turns into NO_COLOR for the commands it runs).
 */
export interface Paint {
  readonly enabled: boolean;
  /** A plan action (create, replace, blocked, ...) in its colour. */
  action(action: Action | string, text?: string): string;
  /** Something that went wrong: FAILED, an error. */
  fail(text: string): string;
  /** Something to look at: unknown outcomes, warnings, over budget. */
  warn(text: string): string;
  /** Good news: done, intact. */
  ok(text: string): string;
  /** An amount of money. */
  money(text: string): string;
  /** Less important text. */
  dim(text: string): string;
  bold(text: string): string;
}

type Style = (text: string) => string;

const sgr =
  (open: number, close: number): Style =>
  (text) =>
    text === '' ? text : `\u001b[${open}m${text}\u001b[${close}m`;

const red = sgr(31, 39);
const green = sgr(32, 39);
const yellow = sgr(33, 39);
const cyan = sgr(36, 39);
const magenta = sgr(35, 39);
const bold = sgr(1, 22);
const dim = sgr(2, 22);

const ACTION_STYLE: Record<string, Style> = {
  create: green,
  replace: yellow,
  regenerate: yellow,
  retry: yellow,
  resume: cyan,
  restore: cyan,
  unchanged: dim,
  blocked: red,
};

const plain: Style = (text) => text;

/** Whether to colour what goes to `stream`. */
function colourOn(stream: OutputStream, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

function createPaint(enabled: boolean): Paint {
  const use = (s: Style): Style => (enabled ? s : plain);
  return {
    enabled,
    action: (action, text = action) => use(ACTION_STYLE[action] ?? plain)(text),
    fail: use((t) => bold(red(t))),
    warn: use(yellow),
    ok: use(green),
    money: use(magenta),
    dim: use(dim),
    bold: use(bold),
  };
}

export const NO_PAINT: Paint = createPaint(false);

/** The paint for a stream, from the environment the command was given. */
export function paintFor(stream: OutputStream, env: Record<string, string | undefined>): Paint {
  return createPaint(colourOn(stream, env));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts every colour code
const ANSI = /\u001b\[[0-9;]*m/g;

/** The text as a terminal shows it, without colour codes: for widths. */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, '')].length;
}
