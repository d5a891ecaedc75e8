/**
 * Machine accounts: extra MLflow users a person owns for pipelines, named `<owner>/<label>` (`naming.ts`),
 * with passwords this service generates and shows once. They have no OpenID identity, so they never
 * sign in here; they only ever authenticate to MLflow with their password.
 *
 * Ordering is chosen so that a failure never leaves a silent divergence:
 * - create: the registry row first (it claims the label and counts against the limit, so racing requests
 *   cannot both win), then MLflow (a failure, or a username MLflow has already, removes the row again),
 *   then the Vault copy. A failed Vault write keeps the account (MLflow has it, the password was shown)
 *   and says `out_of_sync`; rotating writes the copy again.
 * - rotate: MLflow, then the row, then Vault (as above). A user an admin deleted in MLflow is made again.
 * - delete: Vault first (a failure changes nothing), then the grants (MLflow 2.x refuses to delete a user
 *   holding some), the MLflow user, the row.
 *
 * They go with their owner: deleting the owner's account deletes each first ({@link removeAllOf}), and
 * disabling it disables each ({@link disableAllOf}: a random password, enabled again by rotating).
 */
import { randomBytes } from 'node:crypto';
import {
  AppError,
  machineAccountExists,
  machineAccountLimit,
  machineAccountNotFound,
  machineAccountsDisabled,
} from '../errors.js';
import { describeForLog } from '../http.js';
import type { Person } from '../account/service.js';
import type { MlflowClient } from '../mlflow/client.js';
import type { PermissionsApi } from '../mlflow/permissions.js';
import { SERVICE_ACTOR, type Action, type ActivityLog, type Actor } from '../registry/activity.js';
import { createAudit } from '../registry/audit.js';
import type { MachineAccountRegistry, MachineAccountRow } from '../registry/machine-accounts.js';
import { papiFailure } from '../secrets/errors.js';
import type { PapiClient } from '../secrets/papi-client.js';
import { machineUsername } from './naming.js';

/** A machine account as the service sees it (timestamps in epoch milliseconds). */
export interface MachineAccount {
  username: string;
  label: string;
  createdAt: number;
  rotatedAt: number | null;
  disabledAt: number | null;
}

/**
 * Whether the Vault copy was written with the password just set: `in_sync`, `out_of_sync` (MLflow has
 * the new password, Vault not), or `null` when this deployment does not use Vault.
 */
export type MachineVaultStatus = 'in_sync' | 'out_of_sync' | null;

interface Logger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MachineAccountServiceDeps {
  mlflow: Pick<MlflowClient, 'createUser' | 'updatePassword' | 'deleteUser' | 'getUser'>;
  /** Needed to delete a user on MLflow 2.x, which refuses while the user still holds grants. */
  permissions: () => Promise<Pick<PermissionsApi, 'releaseGrants'>>;
  papi: Pick<PapiClient, 'writeCredentials' | 'deleteCredentials'> | undefined;
  /** The Vault path of a machine account's copy (`machineAccountSecretPath` in `secrets/papi-client.ts`). */
  vaultPath: (label: string) => string;
  registry: MachineAccountRegistry;
  activity: Pick<ActivityLog, 'record'>;
  /** MACHINE_ACCOUNTS_PER_USER: how many one person may own; 0 turns creating and rotating off. */
  limit: number;
  logger: Logger;
  /** A new strong password; tests may pass their own. */
  newPassword?: () => string;
}

/** 24 random bytes: 32 base64url characters, 192 bits. */
const randomPassword = () => randomBytes(24).toString('base64url');

const actorOf = (person: Person): Actor => ({ issuer: person.issuer, subject: person.subject, email: person.email });
const machineTarget = (username: string) => ({ type: 'machine_account', id: username });

const fromRow = (row: MachineAccountRow): MachineAccount => ({
  username: row.username,
  label: row.label,
  createdAt: row.created_at,
  rotatedAt: row.rotated_at,
  disabledAt: row.disabled_at,
});

export function createMachineAccountService(deps: MachineAccountServiceDeps) {
  const { mlflow, papi, registry, logger } = deps;
  const audit = createAudit(deps.activity, logger);
  const newPassword = deps.newPassword ?? randomPassword;

  const entry = (person: Person, action: Action, username: string) => ({
    actor: actorOf(person),
    action,
    target: machineTarget(username),
    requestId: person.requestId,
  });

  async function owned(owner: string, label: string): Promise<MachineAccountRow> {
    const row = await registry.byLabel(owner, label);
    if (!row) throw machineAccountNotFound(label);
    return row;
  }

  /** Writes the Vault copy; a failure is reported, not thrown: MLflow has the password already. */
  async function writeVault(person: Person, row: { username: string; label: string }, password: string) {
    if (!papi) return null;
    try {
      await papi.writeCredentials(person.accessToken, { username: row.username, password }, deps.vaultPath(row.label));
      return 'in_sync' as const;
    } catch (err) {
      logger.warn(
        { err: describeForLog(err), username: row.username },
        'storing a machine account in Vault failed; rotating its password repairs it',
      );
      return 'out_of_sync' as const;
    }
  }

  /** Vault first (a failure changes nothing), then the grants, the MLflow user and the row. */
  async function deleteOne(row: MachineAccountRow, accessToken: string): Promise<void> {
    if (papi) {
      try {
        await papi.deleteCredentials(accessToken, deps.vaultPath(row.label));
      } catch (err) {
        throw papiFailure(err, 'delete');
      }
    }
    await (await deps.permissions()).releaseGrants(row.username);
    await mlflow.deleteUser(row.username);
    await registry.remove(row.username);
  }

  /** Sets the password; a user an admin deleted in MLflow meanwhile is made again with it. */
  async function setPassword(username: string, password: string): Promise<void> {
    await mlflow.updatePassword(username, password).catch(async (err: unknown) => {
      if (await mlflow.getUser(username)) throw err;
      await mlflow.createUser(username, password);
    });
  }

  return {
    /** How many machine accounts one person may own; 0: the feature is off. */
    limit: deps.limit,

    /** The owner's machine accounts, oldest first. No MLflow call. */
    async list(owner: string): Promise<MachineAccount[]> {
      return (await registry.ofOwner(owner)).map(fromRow);
    },

    /**
     * Makes the machine account `label` of `owner` (the MLflow username bound to `person`'s sign-in) with
     * a new random password, which is returned to be shown once.
     */
    async create(
      person: Person,
      owner: string,
      label: string,
    ): Promise<{ account: MachineAccount; password: string; vault: MachineVaultStatus }> {
      const username = machineUsername(owner, label);
      return audit.run(entry(person, 'machine_create', username), async () => {
        if (deps.limit === 0) throw machineAccountsDisabled();
        if ((await registry.countOf(owner)) >= deps.limit) throw machineAccountLimit(deps.limit);
        if (!(await registry.add({ username, owner, label }))) throw machineAccountExists(username);
        const password = newPassword();
        try {
          // Another request may have taken the last place between the count and the insert.
          if ((await registry.countOf(owner)) > deps.limit) throw machineAccountLimit(deps.limit);
          await mlflow.createUser(username, password).catch((err: unknown) => {
            // An MLflow user of that name exists already (made by hand by an administrator): not ours.
            if (err instanceof AppError && err.code === 'already_registered') throw machineAccountExists(username);
            throw err;
          });
        } catch (err) {
          await registry
            .remove(username)
            .catch((removeErr: unknown) =>
              logger.error({ err: describeForLog(removeErr), username }, 'removing a machine account row failed'),
            );
          throw err;
        }
        const vault = await writeVault(person, { username, label }, password);
        const row = await registry.byLabel(owner, label);
        return { account: fromRow(row!), password, vault };
      });
    },

    /** A new random password, returned to be shown once; a disabled machine account works again. */
    async rotate(
      person: Person,
      owner: string,
      label: string,
    ): Promise<{ password: string; vault: MachineVaultStatus }> {
      const username = machineUsername(owner, label);
      return audit.run(entry(person, 'machine_rotate', username), async () => {
        if (deps.limit === 0) throw machineAccountsDisabled();
        const row = await owned(owner, label);
        const password = newPassword();
        await setPassword(row.username, password);
        await registry.markRotated(row.username);
        return { password, vault: await writeVault(person, row, password) };
      });
    },

    /** Deletes the machine account in MLflow, Vault and the registry (also while the feature is off). */
    async remove(person: Person, owner: string, label: string): Promise<void> {
      const username = machineUsername(owner, label);
      await audit.run(entry(person, 'machine_delete', username), async () =>
        deleteOne(await owned(owner, label), person.accessToken),
      );
    },

    /**
     * For the owner's account deletion, before it: every machine account of `owner` is deleted, each
     * recorded as the owner's doing. A failure stops here (the owner's account stays); deleting again
     * goes on with what is left.
     */
    async removeAllOf(owner: string, person: Person): Promise<void> {
      for (const row of await registry.ofOwner(owner)) {
        await audit.run(entry(person, 'machine_delete', row.username), () => deleteOne(row, person.accessToken));
      }
    },

    /**
     * For the owner's disabling: every machine account of `owner` gets a random password nobody knows and
     * is marked disabled, recorded as the service's doing with the owner's `reason`. Its Vault copy stays
     * (it no longer signs in; PAPI would need the owner's token); rotating enables it again.
     */
    async disableAllOf(owner: string, reason: string, context: { requestId?: string } = {}): Promise<void> {
      for (const row of await registry.ofOwner(owner)) {
        if (row.disabled_at !== null) continue;
        await audit.run(
          {
            actor: SERVICE_ACTOR,
            action: 'machine_disable',
            target: machineTarget(row.username),
            detail: reason,
            requestId: context.requestId,
          },
          async () => {
            await mlflow.updatePassword(row.username, randomPassword()).catch(async (err: unknown) => {
              // Deleted in MLflow meanwhile (by an admin): nothing left to lock.
              if (await mlflow.getUser(row.username)) throw err;
            });
            await registry.markDisabled(row.username);
          },
        );
      }
    },
  };
}

export type MachineAccountService = ReturnType<typeof createMachineAccountService>;

/** What the owner's account lifecycle needs of machine accounts: they go with it. */
export type MachineAccountsOfOwner = Pick<MachineAccountService, 'removeAllOf' | 'disableAllOf'>;
