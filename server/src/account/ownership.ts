/**
 * Whose is the MLflow account with the signed-in person's email? The registry answers first (it costs no
 * MLflow call); MLflow is asked only when the registry knows no owner, to tell "no account yet" from an
 * account made before the registry (claimable) or an MLflow admin account (never claimable here).
 */
import type { MlflowClient, MlflowUser } from '../mlflow/client.js';
import { usernameKey, type AccountBinding, type AccountRegistry } from '../registry/accounts.js';

/** The signed-in identity as the registry knows identities. */
export interface PersonRef {
  issuer: string;
  subject: string;
  /** The verified email the provider sends now. */
  email: string;
}

export type Ownership =
  /** Bound to this identity. */
  | { status: 'owned'; binding: AccountBinding }
  /** Nobody has an account with this email: registering creates `username`. */
  | { status: 'none'; username: string }
  /** An MLflow account with this email exists and has no owner yet. */
  | { status: 'claimable'; account: MlflowUser }
  /** Bound to another identity. Carries nothing about the account on purpose. */
  | { status: 'owned_by_other_identity' }
  /** An MLflow admin account, or the service's own. */
  | { status: 'protected'; username: string };

export interface OwnershipDeps {
  registry: Pick<AccountRegistry, 'byIdentity' | 'byUsername'>;
  mlflow: Pick<MlflowClient, 'getUser'>;
  adminUsername: string;
}

/**
 * The MLflow user for an email: the lower-cased username (what this service creates), then the email as the
 * provider spells it (what the older service created). MLflow compares usernames exactly.
 */
async function mlflowUserFor(mlflow: OwnershipDeps['mlflow'], email: string): Promise<MlflowUser | null> {
  const key = usernameKey(email);
  const lower = await mlflow.getUser(key);
  if (lower || email.trim() === key) return lower;
  return mlflow.getUser(email.trim());
}

/**
 * `askMlflow: 'unless-lower-case'` skips the MLflow look-up when the registry knows no owner and the email
 * has a single spelling: registering then lets MLflow's own "already exists" answer tell the rest, one
 * password-hash check fewer on the common path.
 */
export async function resolveOwnership(
  deps: OwnershipDeps,
  person: PersonRef,
  options: { askMlflow: 'always' | 'unless-lower-case' } = { askMlflow: 'always' },
): Promise<Ownership> {
  const binding = await deps.registry.byIdentity(person);
  if (binding) return { status: 'owned', binding };
  if (await deps.registry.byUsername(person.email)) return { status: 'owned_by_other_identity' };
  const key = usernameKey(person.email);
  if (key === usernameKey(deps.adminUsername)) return { status: 'protected', username: deps.adminUsername };
  if (options.askMlflow === 'unless-lower-case' && person.email.trim() === key)
    return { status: 'none', username: key };
  const account = await mlflowUserFor(deps.mlflow, person.email);
  if (!account) return { status: 'none', username: key };
  if (account.is_admin) return { status: 'protected', username: account.username };
  return { status: 'claimable', account };
}
