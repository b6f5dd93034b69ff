import { afterAll } from 'vitest';
import { removeWorkspaces } from './helpers/workspace.js';

/**
 * Run before each test file (vitest.config.ts `setupFiles`). Test files share their worker's modules (`isolate:
 * false`), so a hook a helper module registered when first imported would run for that one file only: hooks that
 * every file needs are registered here instead.
 */
afterAll(removeWorkspaces);
