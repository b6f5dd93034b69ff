import { describeEndpoint, MOCK_ENDPOINT } from '../../endpoint.js';
import { RenderError } from '../../errors.js';
import type { Lockfile } from '../../lock/schema.js';
import type { ReviewModel } from '../../plan/review.js';
import { displayPath } from '../../util/paths.js';

/** `render report` / `render cut` with nothing rendered on the endpoint: say where there is something, or to apply. */
export function nothingRendered(model: ReviewModel, lock: Lockfile, mock: boolean | undefined, what = 'to show'): RenderError {
  const spec = displayPath(model.specFile);
  const elsewhere = Object.entries(lock.endpoints)
    .filter(([ep, state]) => ep !== model.endpoint && Object.values(state.shots).some((s) => s.takes.length > 0))
    .map(([ep]) => ep);
  const hint = elsewhere.includes(MOCK_ENDPOINT)
    ? `it was rendered on the local mock server: add --mock`
    : elsewhere.length > 0 && mock
      ? `it was rendered on ${elsewhere.map(describeEndpoint).join(', ')}: drop --mock (and set WAVESPEED_BASE_URL to that server if it is not the default)`
      : `run \`render apply ${spec}${mock ? ' --mock' : ''}\` first${mock ? '' : ` (or \`render apply ${spec} --mock\` to try it for free)`}`;
  return new RenderError('NOTHING_RENDERED', `nothing ${what}: no shot of ${model.name} has been rendered on ${describeEndpoint(model.endpoint)} yet`, {
    hint,
  });
}
