/**
 * Test support, not shipped behaviour: what a refused call rejects with, for tests that check the answer
 * a person would get (its status and code) rather than how the error was built.
 */
import { AppError } from '../errors.js';

/** The {@link AppError} that `promise` rejects with; resolving, or rejecting with anything else, fails the test. */
export async function refusalOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/** The status and code of the refusal: what the HTTP answer carries besides its wording. */
export async function codeOf(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const { status, code } = await refusalOf(promise);
  return { status, code };
}
