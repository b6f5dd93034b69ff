/**
 * The one-way house (docs/ARCHITECTURE.md "Layers"): imports run down this list, never up.
 *
 *   cli → report → apply → plan → lock → spec → (errors, money, models, endpoint) → util
 *   provider and mock depend only on the ground floor (errors, money, models, endpoint, util).
 *
 * `npm run lint:layers` (and CI) fails on any import that climbs.
 */
const GROUND = '^src/(errors|money|models|endpoint)\\.ts$';

/** Forbid `from` (a path regex) to import anything matching `to`. */
const rule = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from }, to: { path: to } });

module.exports = {
  forbidden: [
    rule('util-is-the-bottom', 'util/ imports nothing of render', '^src/util/', '^src/(?!util/)'),
    rule(
      'ground-floor',
      'errors, money, models and endpoint import only util/ and each other',
      GROUND,
      '^src/(spec|lock|plan|apply|report|cli|provider|mock)/',
    ),
    rule('spec-below-lock', 'spec/ is read by every layer above it and reads none of them', '^src/spec/', '^src/(lock|plan|apply|report|cli|provider|mock)/'),
    rule(
      'lock-below-plan',
      'lock/ (lockfile, journal, reducer, store) is state shared by plan and apply: it belongs to neither',
      '^src/lock/',
      '^src/(plan|apply|report|cli|provider|mock)/',
    ),
    rule(
      'plan-is-pure',
      'plan/ never imports the stage with side effects, the reports, the CLI or the network',
      '^src/plan/',
      '^src/(apply|report|cli|provider|mock)/',
    ),
    rule('apply-below-report', 'apply/ emits plain events; it never prints', '^src/apply/', '^src/(report|cli|mock)/'),
    rule('report-below-cli', 'report/ renders data; the CLI calls it', '^src/report/', '^src/(cli|mock|provider)/'),
    rule(
      'provider-on-the-ground',
      'provider/ (the WaveSpeed client) depends only on the ground floor',
      '^src/provider/',
      '^src/(spec|lock|plan|apply|report|cli|mock)/',
    ),
    rule('mock-on-the-ground', 'mock/ (the local server) depends only on the ground floor', '^src/mock/', '^src/(spec|lock|plan|apply|report|cli|provider)/'),
    {
      name: 'no-circular',
      comment: 'a cycle is a climb by another name',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
