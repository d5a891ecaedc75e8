/**
 * Disabling an account: its MLflow password becomes a random one nobody knows, its Vault copy is removed,
 * and the activity log says so. Nothing is deleted, so the owner's experiments, models and grants stay, and
 * the owner enables the account again by signing in eligible and setting a new password.
 *
 * PAPI accepts only the owner's own access token (docs/reference/papi-secrets-api.md): a sweep, which has
 * none, marks the Vault copy for removal at the owner's next visit. That copy no longer signs in meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { describeForLog } from '../http.js';
import type { MlflowClient } from '../mlflow/client.js';
import type { AccountBinding, AccountRegistry } from '../registry/accounts.js';
import { SERVICE_ACTOR } from '../registry/activity.js';
import type { Audit } from '../registry/audit.js';
import type { PapiClient } from '../secrets/papi-client.js';
import type { MachineAccountsOfOwner } from '../machine-accounts/service.js';
import type { GroupService } from '../groups/service.js';

export interface DeprovisioningDeps {
  mlflow: Pick<MlflowClient, 'updatePassword' | 'getUser'>;
  papi: PapiClient | undefined;
  accounts: Pick<AccountRegistry, 'markDisabled'>;
  audit: Audit;
  logger: { warn(obj: object, msg?: string): void };
  /** Forgets what is remembered about the account's Vault copy. */
  forget(username: string): void;
  /** The owner's machine accounts are disabled with the account. */
  machineAccounts?: Pick<MachineAccountsOfOwner, 'disableAllOf'>;
  /** The owner leaves every group role (the grants of their groups stop reaching the account). */
  groups?: Pick<GroupService, 'leaveAll'>;
}

export function createDeprovisioning(deps: DeprovisioningDeps) {
  return {
    async disable(
      binding: AccountBinding,
      reason: 'inactive' | 'ineligible',
      context: { accessToken?: string; requestId?: string },
    ): Promise<void> {
      const { username } = binding;
      await deps.audit.run(
        {
          actor: SERVICE_ACTOR,
          action: 'deprovision',
          target: { type: 'account', id: username },
          detail: reason,
          requestId: context.requestId,
        },
        async () => {
          deps.forget(username);
          await deps.mlflow
            .updatePassword(username, randomBytes(32).toString('base64url'))
            .catch(async (err: unknown) => {
              // Deleted in MLflow meanwhile (by an admin): nothing left to lock; the binding is marked all the same,
              // instead of failing at every round.
              if (await deps.mlflow.getUser(username)) throw err;
            });
          let vaultCleanupPending = deps.papi !== undefined;
          if (deps.papi && context.accessToken) {
            try {
              await deps.papi.deleteCredentials(context.accessToken);
              vaultCleanupPending = false;
            } catch (err) {
              deps.logger.warn(
                { err: describeForLog(err) },
                'removing the Vault copy while disabling failed; retried next visit',
              );
            }
          }
          // Before the owner is marked: a failure here leaves the owner to the next round, which finishes.
          await deps.machineAccounts?.disableAllOf(username, reason, { requestId: context.requestId });
          await deps.groups?.leaveAll(username, { requestId: context.requestId, detail: 'deprovision' });
          await deps.accounts.markDisabled(username, reason, vaultCleanupPending);
        },
      );
    },
  };
}
