/**
 * The MLflow account lifecycle, with Vault (through PAPI) kept in step.
 *
 * Ordering is chosen so that a failure never leaves a silent divergence:
 * - register: MLflow first, then Vault; a failed Vault write deletes the new MLflow user again.
 * - change password: MLflow first, then Vault; a failed Vault write is reported (`vault_out_of_sync`) and
 *   repaired by submitting the password again.
 * - delete: Vault first, then MLflow; a failed Vault delete changes nothing.
 */
import { AppError, mlflowUnavailable, notRegistered, forbidden } from '../errors.js';
import { UpstreamError } from '../http.js';
import { mlflowErrorCode, mlflowErrorMessage, type MlflowClient, type MlflowUser } from '../mlflow/client.js';
import type { PapiClient } from '../secrets/papi-client.js';

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

/** MLflow's answers mapped to what the person can act on. */
function fromMlflow(err: unknown, action: string): never {
  if (err instanceof AppError) throw err;
  if (err instanceof UpstreamError) {
    if (err.unavailable) throw mlflowUnavailable(err);
    const code = mlflowErrorCode(err);
    if (err.status === 400 && code === 'RESOURCE_ALREADY_EXISTS') {
      throw new AppError(409, 'already_registered', 'You already have an MLflow account.');
    }
    if (err.status === 400) {
      // Only MLflow's own short password rule is passed on: other messages can carry internals
      // (MLflow 2.x puts SQL statements and password hashes in some of them).
      const message = mlflowErrorMessage(err);
      const detail = message && /^Password [^\n]{0,160}$/.test(message) ? message : undefined;
      throw new AppError(422, 'weak_password', `MLflow refused the password${detail ? `: ${detail}` : '.'}`, [
        { field: 'password', message: detail ?? 'MLflow refused this password.' },
      ]);
    }
    if (err.status === 401 || err.status === 403) {
      throw new AppError(503, 'mlflow_unavailable', 'This service cannot manage MLflow accounts right now (its MLflow admin account was refused). The operators have been told.', undefined, { cause: err });
    }
  }
  throw new AppError(502, 'mlflow_failed', `MLflow could not ${action}. Nothing else was changed; try again.`, undefined, { cause: err });
}

export function createAccountService(deps: { mlflow: MlflowClient; papi: PapiClient | undefined; adminUsername: string; logger: Logger }) {
  const { mlflow, papi, logger } = deps;

  /** The service's own admin account is never managed through this API, whoever signs in. */
  function guardServiceAccount(email: string) {
    if (email.toLowerCase() === deps.adminUsername.toLowerCase()) {
      throw forbidden('This is the account this service uses to manage MLflow; it cannot be changed here.');
    }
  }

  async function getAccount(email: string): Promise<MlflowUser | null> {
    try {
      return await mlflow.getUser(email);
    } catch (err) {
      return fromMlflow(err, 'look up your account');
    }
  }

  /** Reads the secret back and tries it against MLflow: the status is a fact, not a guess. */
  async function vaultStatus(owner: AccountOwner, account: MlflowUser | null): Promise<VaultStatus> {
    if (!papi) return 'disabled';
    let stored;
    try {
      stored = await papi.readCredentials(owner.accessToken);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'reading the Vault secret failed');
      return 'unavailable';
    }
    if (!stored) return 'missing';
    if (!account || stored.username !== account.username) return 'out_of_sync';
    try {
      const check = await mlflow.checkCredentials(stored.username, stored.password);
      return check.ok ? 'in_sync' : 'out_of_sync';
    } catch {
      return 'unavailable';
    }
  }

  async function writeVault(owner: AccountOwner, password: string): Promise<void> {
    await papi!.writeCredentials(owner.accessToken, { username: owner.email, password });
  }

  return {
    getAccount,
    vaultStatus,
    vaultEnabled: papi !== undefined,

    async status(owner: AccountOwner) {
      const account = await getAccount(owner.email);
      return { account, vault: await vaultStatus(owner, account) };
    },

    async register(owner: AccountOwner, password: string): Promise<{ account: MlflowUser; vault: VaultStatus }> {
      guardServiceAccount(owner.email);
      if (await getAccount(owner.email)) {
        throw new AppError(409, 'already_registered', 'You already have an MLflow account. Change its password on your account page instead.');
      }
      let account: MlflowUser;
      try {
        account = await mlflow.createUser(owner.email, password);
      } catch (err) {
        return fromMlflow(err, 'create your account');
      }
      if (!papi) return { account, vault: 'disabled' };
      try {
        await writeVault(owner, password);
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'storing credentials in Vault failed; removing the new MLflow user');
        try {
          await mlflow.deleteUser(owner.email);
        } catch (rollbackErr) {
          logger.error({ err: (rollbackErr as Error).message, username: owner.email }, 'rollback failed: MLflow user left without a Vault copy');
        }
        throw new AppError(502, 'vault_failed', 'Your credentials could not be stored in Vault, so no account was created. Try again in a moment.', undefined, { cause: err });
      }
      return { account, vault: 'in_sync' };
    },

    async changePassword(owner: AccountOwner, password: string): Promise<void> {
      guardServiceAccount(owner.email);
      if (!(await getAccount(owner.email))) throw notRegistered();
      try {
        await mlflow.updatePassword(owner.email, password);
      } catch (err) {
        fromMlflow(err, 'change your password');
      }
      if (!papi) return;
      try {
        await writeVault(owner, password);
      } catch (err) {
        throw new AppError(502, 'vault_out_of_sync',
          'Your MLflow password was changed, but the copy in Vault could not be updated, so jobs would still use the old one. Submit the new password again to repair this.',
          undefined, { cause: err });
      }
    },

    async deleteAccount(owner: AccountOwner): Promise<void> {
      guardServiceAccount(owner.email);
      const account = await getAccount(owner.email);
      if (papi) {
        try {
          await papi.deleteCredentials(owner.accessToken);
        } catch (err) {
          throw new AppError(502, 'vault_failed', 'Your credentials could not be removed from Vault, so nothing was deleted. Try again in a moment.', undefined, { cause: err });
        }
      }
      if (!account) {
        if (papi) return;
        throw notRegistered();
      }
      try {
        await mlflow.deleteUser(owner.email);
      } catch (err) {
        fromMlflow(err, 'delete your account');
      }
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
