/**
 * The label rule of machine accounts, mirroring the BFF's (`server/src/machine-accounts/naming.ts`), so that
 * nothing is sent for a label the server would refuse, and the words are the same.
 */

export const LABEL_MAX_LENGTH = 32;

/** Why `label` cannot name a machine account, in a sentence; `null` when it can. */
export function labelProblem(label: string): string | null {
  if (label.length === 0) return 'A label is required, such as ci-nightly.';
  if (label.length > LABEL_MAX_LENGTH) return `A label is at most ${LABEL_MAX_LENGTH} characters long.`;
  if (/[A-Z]/.test(label)) return 'A label uses lower-case letters only.';
  if (!/^[a-z0-9]/.test(label)) return 'A label starts with a letter or a digit.';
  if (!/^[a-z0-9][a-z0-9-]*$/.test(label)) return 'A label holds only the letters a–z, digits and hyphens (-).';
  return null;
}

/** The MLflow username a label gives: `<owner username>/<label>`. */
export function machineUsername(owner: string, label: string): string {
  return `${owner}/${label}`;
}
