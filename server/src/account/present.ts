/** The account API's wire format (docs/api.md), shaped from the service's domain objects. */
import type { Identity } from '../auth/current-user.js';
import { recentUntil } from '../auth/recent-sign-in.js';
import type { MlflowUser } from '../mlflow/client.js';
import type { VaultStatus } from './service.js';

export const presentAccount = (account: MlflowUser | null) =>
  account ? { id: account.id, username: account.username, is_admin: account.is_admin } : null;

export const presentVault = (status: VaultStatus) => ({ status });

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
