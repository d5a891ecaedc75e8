/** The account API's wire format (docs/api.md), shaped from the service's domain objects. */
import type { Identity } from '../auth/current-user.js';
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
