import { RenderError } from '../../src/errors.js';

/** The RenderError `fn` throws (fails the test when it returns or throws something else). */
export function errorOf(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RenderError) return err;
    throw err;
  }
  throw new Error('expected a RenderError, got no error');
}

/** The RenderError `promise` rejects with (fails the test when it resolves or throws something else). */
export async function rejectionOf(promise: Promise<unknown>): Promise<RenderError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RenderError) return err;
    throw new Error(`expected a RenderError, got ${String(err)}`);
  }
  throw new Error('expected a rejection, got a value');
}
