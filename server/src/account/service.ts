/**
 * The MLflow account lifecycle, with Vault (through PAPI) kept in step.
 *
 * Ordering is chosen so that a failure never leaves a silent divergence:
 * - register: MLflow first, then Vault; a failed Vault write deletes the new MLflow user again.
 * - change password: MLflow first, then Vault; a failed Vault write is reported (`vault_out_of_sync`) and
 *   repaired by submitting the password again.
 * - delete: Vault first, then MLflow; a failed Vault delete changes nothing.
 *
 * Cost: reading the account is one MLflow call, with the Vault read alongside it. Whether the Vault copy
 * signs in to MLflow is one more call, so its answer is remembered per user and secret content, and
 * forgotten whenever this service changes the account.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { notRegistered, serviceAccountProtected } from '../errors.js';
import { papiFailure } from '../secrets/errors.js';
import { describeForLog } from '../http.js';
import type { MlflowClient, MlflowUser } from '../mlflow/client.js';
import type { PermissionsApi } from '../mlflow/permissions.js';
import type { PapiClient, StoredCredentials } from '../secrets/papi-client.js';

export type VaultStatus = 'disabled' | 'in_sync' | 'out_of_sync' | 'missing' | 'unavailable';

export interface AccountOwner {
  /** The verified email: the MLflow username. */
  email: string;
  /** The person's own access token, for PAPI. */
  accessToken: string;
}

interface Logger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface AccountServiceDeps {
  mlflow: Pick<MlflowClient, 'getUser' | 'createUser' | 'updatePassword' | 'deleteUser' | 'checkCredentials'>;
  /** Needed to delete a user on MLflow 2.x, which refuses while the user still holds grants. */
  permissions: () => Promise<Pick<PermissionsApi, 'releaseGrants'>>;
  papi: PapiClient | undefined;
  adminUsername: string;
  logger: Logger;
  /** How long a successful check of the Vault copy is trusted without asking MLflow again. */
  vaultCheckTtlMs?: number;
}

/** Identifies a secret's content without keeping it: the remembered check is keyed by this. */
const fingerprint = (c: StoredCredentials) =>
  createHash('sha256').update(`${c.username}\0${c.password}`).digest('base64url');

export function createAccountService(deps: AccountServiceDeps) {
  const { mlflow, papi, logger } = deps;
  const vaultChecks = new LRUCache<string, { fingerprint: string; signsIn: boolean }>({
    max: 10_000,
    ttl: deps.vaultCheckTtlMs ?? 10 * 60_000,
  });

  /** The service's own admin account is never managed through this API, whoever signs in. */
  function guardServiceAccount(email: string) {
    if (email.toLowerCase() === deps.adminUsername.toLowerCase()) throw serviceAccountProtected();
  }

  async function readVault(owner: AccountOwner): Promise<StoredCredentials | null | 'unavailable'> {
    try {
      return await papi!.readCredentials(owner.accessToken);
    } catch (err) {
      logger.warn({ err: describeForLog(err) }, 'reading the Vault secret failed');
      return 'unavailable';
    }
  }

  /** Whether the stored credentials sign in to MLflow: a fact, asked of MLflow once per secret content. */
  async function signsIn(stored: StoredCredentials): Promise<boolean | 'unavailable'> {
    const key = fingerprint(stored);
    const known = vaultChecks.get(stored.username);
    if (known?.fingerprint === key) return known.signsIn;
    try {
      const check = await mlflow.checkCredentials(stored.username, stored.password);
      vaultChecks.set(stored.username, { fingerprint: key, signsIn: check.ok });
      return check.ok;
    } catch {
      return 'unavailable';
    }
  }

  async function vaultStatus(
    account: MlflowUser | null,
    stored: StoredCredentials | null | 'unavailable',
  ): Promise<VaultStatus> {
    if (stored === 'unavailable') return 'unavailable';
    if (!stored) return 'missing';
    if (!account || stored.username !== account.username) return 'out_of_sync';
    const ok = await signsIn(stored);
    return ok === 'unavailable' ? 'unavailable' : ok ? 'in_sync' : 'out_of_sync';
  }

  async function writeVault(owner: AccountOwner, password: string): Promise<void> {
    await papi!.writeCredentials(owner.accessToken, { username: owner.email, password });
  }

  return {
    vaultEnabled: papi !== undefined,

    /** The account and the state of its Vault copy: one MLflow call when the copy was checked before. */
    async status(owner: AccountOwner): Promise<{ account: MlflowUser | null; vault: VaultStatus }> {
      if (!papi) return { account: await mlflow.getUser(owner.email), vault: 'disabled' };
      const [account, stored] = await Promise.all([mlflow.getUser(owner.email), readVault(owner)]);
      return { account, vault: await vaultStatus(account, stored) };
    },

    async register(owner: AccountOwner, password: string): Promise<{ account: MlflowUser; vault: VaultStatus }> {
      guardServiceAccount(owner.email);
      vaultChecks.delete(owner.email);
      // MLflow itself refuses an existing username (409 already_registered), so no look-up first.
      const account = await mlflow.createUser(owner.email, password);
      if (!papi) return { account, vault: 'disabled' };
      try {
        await writeVault(owner, password);
      } catch (err) {
        logger.warn({ err: describeForLog(err) }, 'storing credentials in Vault failed; removing the new MLflow user');
        try {
          await mlflow.deleteUser(owner.email);
        } catch (rollbackErr) {
          logger.error(
            { err: describeForLog(rollbackErr), username: owner.email },
            'rollback failed: MLflow user left without a Vault copy',
          );
        }
        throw papiFailure(err, 'register');
      }
      return { account, vault: 'in_sync' };
    },

    async changePassword(owner: AccountOwner, password: string): Promise<void> {
      guardServiceAccount(owner.email);
      vaultChecks.delete(owner.email);
      if (!(await mlflow.getUser(owner.email))) throw notRegistered();
      await mlflow.updatePassword(owner.email, password);
      if (!papi) return;
      try {
        await writeVault(owner, password);
      } catch (err) {
        throw papiFailure(err, 'change-password');
      }
    },

    async deleteAccount(owner: AccountOwner): Promise<void> {
      guardServiceAccount(owner.email);
      vaultChecks.delete(owner.email);
      const account = await mlflow.getUser(owner.email);
      if (papi) {
        try {
          await papi.deleteCredentials(owner.accessToken);
        } catch (err) {
          throw papiFailure(err, 'delete');
        }
      }
      if (!account) {
        if (papi) return;
        throw notRegistered();
      }
      await (await deps.permissions()).releaseGrants(owner.email);
      await mlflow.deleteUser(owner.email);
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
