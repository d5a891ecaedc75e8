/**
 * The password rule people see before they submit and the BFF enforces after. MLflow 3 itself rejects
 * fewer than 12 characters, so the minimum is never below that (config enforces it).
 */
export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
}

/** The reason a password is refused, in words, or `undefined` when it is acceptable. */
export function passwordProblem(password: string, email: string, policy: PasswordPolicy): string | undefined {
  const length = [...password].length;
  if (length < policy.minLength) return `The password must be at least ${policy.minLength} characters long.`;
  if (length > policy.maxLength) return `The password must be at most ${policy.maxLength} characters long.`;
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) return 'The password must not be your email address.';
  return undefined;
}
