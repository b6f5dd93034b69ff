import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makePng } from './images.js';

/** A throw-away folder with a spec and its files, removed after the test file (test/setup.ts). */
export interface Workspace {
  dir: string;
  /** Absolute path of a file in the workspace. */
  path(rel: string): string;
  /** Write a file (folders made as needed); returns its absolute path. */
  write(rel: string, content: string | Buffer): string;
  /** Write a spec file; returns its absolute path. */
  spec(yaml: string, rel?: string): string;
  /** Replace the workspace's absolute path in text, so output reads as it would in the spec's folder. */
  strip(text: string): string;
}

const created: string[] = [];

/** Remove every workspace made so far: after each test file (test/setup.ts). */
export function removeWorkspaces(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A workspace with `img/ok.png` (640x360) ready, since most specs need one valid image. */
export function makeWorkspace(): Workspace {
  const dir = mkdtempSync(path.join(tmpdir(), 'render-test-'));
  created.push(dir);
  const ws: Workspace = {
    dir,
    path: (rel) => path.join(dir, rel),
    write(rel, content) {
      const abs = path.join(dir, rel);
      mkdirSync(path.dirname(abs), { recursive: true });
      writeFileSync(abs, content);
      return abs;
    },
    spec: (yaml, rel = 'spec.yaml') => ws.write(rel, yaml),
    strip: (text) => text.split(`${dir}${path.sep}`).join('').split(dir).join('.'),
  };
  ws.write('img/ok.png', makePng(640, 360));
  return ws;
}

/** The top of a valid spec; append `shots:` and more. */
export const SPEC_HEAD = 'version: 1\nname: test\nbudget: { max_usd: 100 }\n';

/**
 * A copy of the example campaign (specs/*.yaml, assets/, templates/) in a fresh workspace, so a lockfile left
 * in specs/ by a demo run cannot change what a test sees. Returns the workspace; the spec is specs/spring-launch.yaml.
 */
export function copyExample(): Workspace {
  const ws = makeWorkspace();
  const root = fileURLToPath(new URL('../..', import.meta.url));
  for (const f of ['specs/spring-launch.yaml', 'specs/teaser.yaml']) cpSync(path.join(root, f), ws.path(f));
  for (const d of ['assets', 'templates']) cpSync(path.join(root, d), ws.path(d), { recursive: true });
  return ws;
}
