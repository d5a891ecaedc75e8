/**
 * The password rule people see before they submit and the BFF enforces after. MLflow 3 itself rejects
 * fewer than 12 characters, so the minimum is never below that (config enforces it).
 */
import { passwordInvalidCharacters, weakPassword, type AppError } from '../errors.js';

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
}

/**
 * C0 and C1 control characters and DEL: such a password cannot be typed, nor put in an environment
 * variable or the `export` line the account page shows (a NUL ends it early, a newline splits it).
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The password may not be the person's email, nor their MLflow username (which differs from the email
 * once the email changed at the provider): both are known to others.
 */
export function passwordIsAName(password: string, names: readonly string[]): AppError | undefined {
  const typed = password.trim().toLowerCase();
  if (names.some((name) => name.trim().toLowerCase() === typed))
    return weakPassword('The password must not be your email address or MLflow username.');
  return undefined;
}

/** Why a password is refused, as the error to answer, or `undefined` when it is acceptable. */
export function passwordProblem(password: string, email: string, policy: PasswordPolicy): AppError | undefined {
  if (CONTROL_CHARACTERS.test(password)) {
    return passwordInvalidCharacters(
      'The password must not contain control characters (such as tab, newline or NUL): use letters, digits, spaces and symbols.',
    );
  }
  const length = [...password].length;
  if (length < policy.minLength)
    return weakPassword(`The password must be at least ${policy.minLength} characters long.`);
  if (length > policy.maxLength)
    return weakPassword(`The password must be at most ${policy.maxLength} characters long.`);
  return passwordIsAName(password, [email]);
}
