/** The account API's wire format (docs/api.md), shaped from the service's domain objects. */
import type { Identity } from '../auth/current-user.js';
import { accountOwnedByOtherIdentity } from '../errors.js';
import { recentUntil } from '../auth/recent-sign-in.js';
import type { MlflowUser } from '../mlflow/client.js';
import { usernameKey } from '../registry/accounts.js';
import type { Ownership } from './ownership.js';
import type { VaultStatus } from './service.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** The account; for the owner's own account also whether it is disabled. */
export function presentAccount(account: MlflowUser | null, ownership?: Ownership) {
  if (!account) return null;
  const binding = ownership?.status === 'owned' ? ownership.binding : undefined;
  return {
    id: account.id,
    username: account.username,
    is_admin: account.is_admin,
    disabled: binding?.disabled_at != null ? { at: iso(binding.disabled_at), reason: binding.disabled_reason } : null,
  };
}

export const presentVault = (status: VaultStatus | null) => (status ? { status } : null);

/**
 * Whose the account with this email is, in the words the page needs. For another identity's account
 * only the fact and whom to ask: no username beyond the email they typed themselves, no id, no Vault state.
 */
export function presentOwnership(ownership: Ownership | null, email: string | undefined, contact: string | undefined) {
  const ask = contact ?? 'the operator of this service';
  switch (ownership?.status) {
    case undefined:
      return { status: 'none', username: email ? usernameKey(email) : null, email_changed: false, message: null };
    case 'owned':
      return {
        status: 'owned',
        username: ownership.binding.username,
        email_changed: email !== undefined && usernameKey(email) !== ownership.binding.username_key,
        message: null,
      };
    case 'none':
      return { status: 'none', username: ownership.username, email_changed: false, message: null };
    case 'claimable':
      return { status: 'claimable', username: ownership.account.username, email_changed: false, message: null };
    case 'owned_by_other_identity':
      return {
        status: 'owned_by_other_identity',
        username: null,
        email_changed: false,
        message: accountOwnedByOtherIdentity(email ?? '', contact).message,
      };
    case 'protected':
      return {
        status: 'protected',
        username: ownership.username,
        email_changed: false,
        message: `${ownership.username} is an MLflow administrator account: it is not managed through this service. Contact ${ask} if you need it bound to your sign-in.`,
      };
  }
}

export function presentUser(identity: Identity) {
  const e = identity.eligibility;
  return {
    email: identity.email ?? null,
    name: identity.name ?? null,
    eligible: e.eligible,
    ineligible: e.eligible ? null : { code: e.code, message: e.message },
  };
}

/**
 * Whether sensitive actions need a fresh sign-in, and until when the current one counts: the SPA offers
 * the step-up before the person types anything. `null` when the operator turned step-up off.
 */
export function presentReauthentication(maxAgeSeconds: number, authTime: number | undefined) {
  if (maxAgeSeconds === 0) return null;
  const until = recentUntil(authTime, maxAgeSeconds);
  return { max_age_seconds: maxAgeSeconds, recent_until: until === null ? null : new Date(until).toISOString() };
}
