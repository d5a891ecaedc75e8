/**
 * The username rule of machine accounts: `<owner username>/<label>`.
 *
 * An email address cannot hold a `/` in its domain (RFC 5321 §4.1.2: a domain is dot-separated labels
 * of letters, digits and hyphens), and owners' usernames are unique, so a machine account's username is
 * never anyone's email and never another machine account's. MLflow itself accepts any non-empty
 * username, and its user routes take the username in the query or the body, never in the path.
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.1.2
 */

/** 1–32 of a-z, 0-9 and `-`, starting with a letter or digit: safe in a Vault path, a URL and a shell. */
const LABEL_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LABEL_MAX_LENGTH = 32;

/** Why `label` cannot name a machine account, in a sentence; `null` when it can. */
export function labelProblem(label: string): string | null {
  if (label.length === 0) return 'A label is required, such as ci-nightly.';
  if (label.length > LABEL_MAX_LENGTH) return `A label is at most ${LABEL_MAX_LENGTH} characters long.`;
  if (/[A-Z]/.test(label)) return 'A label uses lower-case letters only.';
  if (!/^[a-z0-9]/.test(label)) return 'A label starts with a letter or a digit.';
  if (!LABEL_PATTERN.test(label)) return 'A label holds only the letters a–z, digits and hyphens (-).';
  return null;
}

/** The MLflow username of the machine account `label` of `owner` (the owner's MLflow username). */
export function machineUsername(owner: string, label: string): string {
  return `${owner}/${label}`;
}
