import type { PasswordPolicy } from '../api/types';

type RequirementId = 'min_length' | 'max_length' | 'no_control_characters' | 'not_email' | 'confirmation_matches';

export interface Requirement {
  id: RequirementId;
  /** What is required, phrased the same whether it is met or not. */
  label: string;
  met: boolean;
}

export interface PasswordCandidate {
  password: string;
  confirmation: string;
  /** The email address that becomes (or is) the MLflow username. */
  email: string;
}

/**
 * Counts characters the way the BFF does (Unicode code points), so that an emoji counts once and the
 * feedback here never disagrees with the server's verdict.
 */
export function passwordLength(password: string): number {
  return [...password].length;
}

/** C0 and C1 control characters (U+0000–U+001F, U+007F–U+009F), which the BFF refuses in a password. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Whether the password holds a control character. Such a password is refused by the BFF (422
 * `password_invalid_characters`): a pasted tab or newline is invisible in the field, and people could not
 * type it again when signing in to MLflow, so it is flagged while they type rather than after submitting.
 */
export function hasControlCharacter(password: string): boolean {
  return CONTROL_CHARACTER.test(password);
}

/**
 * The password rules shown while someone types, mirroring the BFF's check (server/src/account/password-policy.ts):
 * length within the policy, no control characters, not the email address (ignoring case and surrounding
 * spaces), and a matching confirmation.
 */
export function passwordRequirements(candidate: PasswordCandidate, policy: PasswordPolicy): Requirement[] {
  const { password, confirmation, email } = candidate;
  const length = passwordLength(password);
  const sameAsEmail = email.trim() !== '' && password.trim().toLowerCase() === email.trim().toLowerCase();
  return [
    { id: 'min_length', label: `At least ${policy.min_length} characters`, met: length >= policy.min_length },
    { id: 'max_length', label: `At most ${policy.max_length} characters`, met: length <= policy.max_length },
    {
      id: 'no_control_characters',
      label: 'No control characters (such as tab or newline)',
      met: !hasControlCharacter(password),
    },
    { id: 'not_email', label: 'Not your email address', met: password !== '' && !sameAsEmail },
    {
      id: 'confirmation_matches',
      label: 'Both passwords match',
      met: confirmation !== '' && confirmation === password,
    },
  ];
}

/** True when every requirement is met, i.e. the password may be submitted. */
export function allMet(requirements: readonly Requirement[]): boolean {
  return requirements.every((r) => r.met);
}
