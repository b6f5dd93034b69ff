#!/usr/bin/env node
// Bundles what `tsc` built of the CLI (dist/cli/run.js and everything it imports, the libraries too) into one
// CommonJS file, dist/cli/run.bundle.cjs, that dist/cli/main.js runs through a V8 code cache
// (docs/ARCHITECTURE.md "Start-up"). Run by `npm run build`, after tsc; tsc stays the compiler, this only joins
// its output. CommonJS because Node 20 can give cached compiled code to a vm.Script, not to an ES module.
//
// Left outside (required at run time, where they are installed): what only apply, mock and state load (undici,
// pg, cli-progress), so the commands that never use them do not read them; and the optional native packages.

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CJS_WRAPPER } from '../dist/util/code-cache.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = path.join(ROOT, 'dist');
const OUT = path.join(DIST, 'cli', 'run.bundle.cjs');

// `import.meta.url` has no meaning in CommonJS: in each of our modules it becomes that module's own dist/ URL,
// computed from the bundle's __dirname, so paths built from it (package.json, fixtures/, templates/) still hold
// wherever the package is installed.
const importMetaUrl = {
  name: 'import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      if (!args.path.startsWith(DIST + path.sep)) return undefined;
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = JSON.stringify(path.relative(path.dirname(OUT), args.path).split(path.sep).join('/'));
      const url = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${rel})).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};

// Handlebars builds each compiled template's code with source-map's SourceNode when it can require it, and with a
// plain concatenation of its own when it cannot: the same text, in a third of the time. We never ask it for a map.
const noSourceMap = {
  name: 'no-source-map',
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, (args) =>
      args.importer.includes(`${path.sep}handlebars${path.sep}`) ? { path: 'source-map', namespace: 'empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

// A script run from V8's code cache cannot import(): Node 20 does not restore its module loader with it (the
// import fails, and says it is experimental). The optional packages the code imports dynamically are CommonJS
// too, so the bundle requires them instead, where they are installed: same module, same `default`.
const OPTIONAL = ['sharp', 'pg'];
const requireOptional = {
  name: 'require-optional',
  setup(b) {
    const filter = new RegExp(`^(${OPTIONAL.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, namespace: 'require-optional' } : { path: args.path, external: true },
    );
    b.onLoad({ filter: /.*/, namespace: 'require-optional' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [path.join(DIST, 'cli', 'run.js')],
  outfile: OUT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // jsonc-parser's `main` is a UMD build whose require() calls esbuild cannot follow; its `module` is plain ESM.
  mainFields: ['module', 'main'],
  // ASCII only, so main.js can read it as latin1: a string V8 stores one byte a character (docs/ARCHITECTURE.md
  // "Start-up").
  charset: 'ascii',
  legalComments: 'none',
  external: ['undici', 'pg-native', 'cli-progress', '@ffmpeg-installer/ffmpeg'],
  // Whitespace and syntax only; names stay, so a stack trace (RENDER_DEBUG) still names our functions.
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [importMetaUrl, noSourceMap, requireOptional],
  logLevel: 'warning',
});

// The module goes inside Node's CommonJS wrapper here, once, so a start compiles the file as read instead of a
// 1.3 MB copy of it (util/code-cache.ts). The first line names this build by its content:
// `/* render-bundle <sha256> */`.
const body = await readFile(OUT, 'latin1');
const wrapped = `${CJS_WRAPPER}${body}\n})`;
const id = createHash('sha256').update(wrapped).digest('hex');
await writeFile(OUT, `/* render-bundle ${id} */\n${wrapped}`, 'latin1');

// ...and none is left: one would fail at run time only, on the path that reaches it.
const left = body.match(/[^\w$.]import\(\s*["'`]/g);
if (left) throw new Error(`${path.relative(ROOT, OUT)}: ${left.length} dynamic import() left; bundle them or require them (see OPTIONAL)`);
