/**
 * The one place where a failed PAPI call becomes this API's error. PAPI's own answers (a 5xx for any Vault
 * error, 401/403 for a token it refuses) never reach the person: what they need to know is which state
 * their account is in, and that depends on the step that failed (docs/reference/papi-secrets-api.md).
 */
import { vaultFailed, vaultOutOfSync, type AppError } from '../errors.js';

/**
 * - at registration: the new MLflow user is rolled back, so nothing was kept (`vault_failed`);
 * - at deletion: nothing was deleted (`vault_failed`);
 * - at a password change: MLflow has the new password, Vault the old one (`vault_out_of_sync`).
 */
export function papiFailure(err: unknown, during: 'register' | 'delete' | 'change-password'): AppError {
  return during === 'change-password' ? vaultOutOfSync(err) : vaultFailed(during, err);
}
