/**
 * The MLflow account lifecycle, owned by one sign-in, with Vault (through PAPI) kept in step and every
 * change in the activity log.
 *
 * Ownership: every action first asks the registry which account this identity owns (see `ownership.ts`);
 * an account bound to another identity is never touched, and one made before the registry is taken over
 * only by proving its MLflow password (or a Vault copy that signs in).
 *
 * Ordering is chosen so that a failure never leaves a silent divergence:
 * - register: MLflow first, then the binding, then Vault; a failed Vault write deletes the new MLflow user
 *   and the binding again.
 * - change password: MLflow first, then Vault; a failed Vault write is reported (`vault_out_of_sync`) and
 *   repaired by submitting the password again.
 * - delete: Vault first, then MLflow, then the binding; a failed Vault delete changes nothing. The owner's
 *   machine accounts are deleted before all that (`machine-accounts/service.ts`).
 *
 * Cost: reading an owned account is one MLflow call, with the Vault read alongside it. Whether the Vault
 * copy signs in to MLflow is one more call, so its answer is remembered per user and secret content, and
 * forgotten whenever this service changes the account.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import {
  AppError,
  accountOwnedByOtherIdentity,
  alreadyRegistered,
  claimInstead,
  claimPasswordIncorrect,
  mlflowAdminProtected,
  notClaimable,
  notRegistered,
  serviceAccountProtected,
  tooManyAttempts,
} from '../errors.js';
import { papiFailure } from '../secrets/errors.js';
import { describeForLog } from '../http.js';
import type { MlflowClient, MlflowUser } from '../mlflow/client.js';
import type { PermissionsApi } from '../mlflow/permissions.js';
import type { PapiClient, StoredCredentials } from '../secrets/papi-client.js';
import type { Action, Actor, ActivityLog } from '../registry/activity.js';
import type { AccountBinding, AccountRegistry } from '../registry/accounts.js';
import { usernameKey } from '../registry/accounts.js';
import { createAudit } from '../registry/audit.js';
import { createDeprovisioning } from './deprovision.js';
import type { GroupService } from '../groups/service.js';
import { passwordIsAName } from './password-policy.js';
import { resolveOwnership, type Ownership, type PersonRef } from './ownership.js';
import type { Invitations, SharedWithYou } from '../sharing/invitations.js';
import type { MachineAccountsOfOwner } from '../machine-accounts/service.js';

export type VaultStatus = 'disabled' | 'in_sync' | 'out_of_sync' | 'missing' | 'unavailable';

/** The signed-in person as an account owner. */
export interface Person extends PersonRef {
  /** The person's own access token, for PAPI. */
  accessToken: string;
  /** Eligible now; false when only the operator's rule refuses them (they are still identified). */
  eligible: boolean;
  /**
   * The provider's `email_verified` is true. Eligibility requires it unless the operator set
   * REQUIRE_VERIFIED_EMAIL=false; invitations are applied only when it holds either way.
   */
  emailVerified?: boolean;
  /** Ties the activity record to the request's log lines. */
  requestId?: string;
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
  accounts: AccountRegistry;
  activity: Pick<ActivityLog, 'record' | 'failuresSince'>;
  adminUsername: string;
  logger: Logger;
  /** Disable an account at once when its owner signs in ineligible. */
  deprovisionOnIneligible?: boolean;
  /** Whom people ask about an account that belongs to another sign-in. */
  supportContact?: string;
  now?: () => number;
  /** How long a successful check of the Vault copy is trusted without asking MLflow again. */
  vaultCheckTtlMs?: number;
  /** Applies the pending invitations of the owner's verified email once their identity is bound. */
  invitations?: Pick<Invitations, 'applyFor'>;
  /** The owner's machine accounts go with the account: deleted before it, disabled with it. */
  machineAccounts?: MachineAccountsOfOwner;
  /** Group roles: deprovisioning removes the person from every one. */
  groups?: Pick<GroupService, 'leaveAll'>;
}

/** Wrong claim passwords allowed per identity in {@link CLAIM_WINDOW_MS}: MLflow passwords are not guessed here. */
const CLAIM_ATTEMPTS = 5;
const CLAIM_WINDOW_MS = 15 * 60_000;
/** Seeing an owner eligible is written down at most this often: a page load is not a database write. */
const SEEN_ELIGIBLE_EVERY_MS = 10 * 60_000;

/** Identifies a secret's content without keeping it: the remembered check is keyed by this. */
const fingerprint = (c: StoredCredentials) =>
  createHash('sha256').update(`${c.username}\0${c.password}`).digest('base64url');

const actorOf = (person: Person): Actor => ({ issuer: person.issuer, subject: person.subject, email: person.email });
const accountTarget = (username: string) => ({ type: 'account', id: username });

export interface AccountStatus {
  ownership: Ownership;
  account: MlflowUser | null;
  vault: VaultStatus | null;
  /** What pending invitations were applied at this visit (none when absent). */
  sharedWithYou?: SharedWithYou[];
}

export function createAccountService(deps: AccountServiceDeps) {
  const { mlflow, papi, logger, accounts } = deps;
  const now = deps.now ?? Date.now;
  const audit = createAudit(deps.activity, logger);
  const vaultChecks = new LRUCache<string, { fingerprint: string; signsIn: boolean }>({
    max: 10_000,
    ttl: deps.vaultCheckTtlMs ?? 10 * 60_000,
  });
  const deprovisioning = createDeprovisioning({
    mlflow,
    papi,
    accounts,
    audit,
    logger,
    forget: (username) => vaultChecks.delete(username),
    machineAccounts: deps.machineAccounts,
    groups: deps.groups,
  });
  const ownershipDeps = { registry: accounts, mlflow, adminUsername: deps.adminUsername };

  /** The service's own admin account is never managed through this API, whoever signs in. */
  function guardServiceAccount(username: string) {
    if (usernameKey(username) === usernameKey(deps.adminUsername)) throw serviceAccountProtected();
  }

  /** The refusal for an ownership that is not this person's account. */
  function refusal(ownership: Exclude<Ownership, { status: 'owned' }>, person: Person) {
    switch (ownership.status) {
      case 'owned_by_other_identity':
        return accountOwnedByOtherIdentity(person.email, deps.supportContact);
      case 'protected':
        return usernameKey(ownership.username) === usernameKey(deps.adminUsername)
          ? serviceAccountProtected()
          : mlflowAdminProtected(ownership.username);
      default:
        return notRegistered();
    }
  }

  /** The binding of the account this person owns, or the refusal that says why there is none. */
  async function ownedBinding(person: Person): Promise<AccountBinding> {
    const ownership = await resolveOwnership(ownershipDeps, person);
    if (ownership.status !== 'owned') throw refusal(ownership, person);
    guardServiceAccount(ownership.binding.username);
    return ownership.binding;
  }

  async function readVault(person: Person): Promise<StoredCredentials | null | 'unavailable'> {
    try {
      return await papi!.readCredentials(person.accessToken);
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

  async function writeVault(person: Person, username: string, password: string): Promise<void> {
    await papi!.writeCredentials(person.accessToken, { username, password });
  }

  /**
   * The grants waiting for the eligible owner's verified email, applied to the account bound to them: at
   * registration, at a claim, and at each visit (which retries what failed before). Never throws.
   */
  async function applyInvitations(person: Person, username: string): Promise<SharedWithYou[]> {
    if (!deps.invitations || !person.eligible) return [];
    return deps.invitations.applyFor({
      username,
      email: person.email,
      emailVerified: person.emailVerified === true,
      requestId: person.requestId,
    });
  }

  /**
   * What visiting the account page means for an owned account: the deprovisioning clock restarts when
   * the owner is eligible; with DEPROVISION_ON_INELIGIBLE an ineligible owner's account is disabled now;
   * a Vault copy a sweep could not remove (it needs the owner's token) is removed now.
   */
  async function onOwnerVisit(binding: AccountBinding, person: Person): Promise<AccountBinding> {
    let current = binding;
    if (person.eligible) {
      if (now() - binding.last_eligible_at >= SEEN_ELIGIBLE_EVERY_MS || binding.email !== person.email) {
        await accounts.sawEligible(binding.username, person.email);
      }
    } else if (deps.deprovisionOnIneligible && binding.disabled_at === null) {
      await deprovisioning.disable(binding, 'ineligible', {
        accessToken: person.accessToken,
        requestId: person.requestId,
      });
      current = (await accounts.byIdentity(person)) ?? binding;
    }
    if (current.vault_cleanup_pending && papi) {
      try {
        await papi.deleteCredentials(person.accessToken);
        await accounts.vaultCleaned(current.username);
      } catch (err) {
        logger.warn(
          { err: describeForLog(err) },
          'removing the Vault copy of a disabled account failed; retried next visit',
        );
      }
    }
    return current;
  }

  /**
   * A Vault copy that signs in to the unowned account proves ownership as well as typing the password:
   * deployments with Vault upgrade without anyone filling in the claim form.
   */
  async function claimThroughVault(person: Person, account: MlflowUser): Promise<AccountBinding | undefined> {
    const stored = await readVault(person);
    if (stored === 'unavailable' || !stored || stored.username !== account.username) return undefined;
    if ((await signsIn(stored)) !== true) return undefined;
    if (!(await accounts.bind(person, account.username, 'vault'))) return undefined;
    await audit.write({
      actor: actorOf(person),
      action: 'claim',
      target: accountTarget(account.username),
      outcome: 'ok',
      requestId: person.requestId,
    });
    return accounts.byIdentity(person);
  }

  /**
   * Runs the checks that come before a change (whose account it is, the claim lockout, the password rule)
   * and records a refusal among them in the activity log like a failed change: an attempt on someone
   * else's account shows in that account's history. The target is the person's own account when they have
   * one, else the username their email names.
   */
  async function beforeChange<T>(person: Person, action: Action, checks: () => T | Promise<T>): Promise<T> {
    try {
      return await checks();
    } catch (err) {
      if (err instanceof AppError) {
        const own = await accounts.byIdentity(person).catch(() => undefined);
        await audit.write({
          actor: actorOf(person),
          action,
          target: accountTarget(own?.username ?? usernameKey(person.email)),
          outcome: err.code,
          requestId: person.requestId,
        });
      }
      throw err;
    }
  }

  return {
    vaultEnabled: papi !== undefined,

    /**
     * The account this person owns (or could), and the state of its Vault copy. One MLflow call for an
     * owned account whose Vault copy was checked before; nothing about an account owned by someone else.
     */
    async status(person: Person): Promise<AccountStatus> {
      let ownership = await resolveOwnership(ownershipDeps, person);
      if (ownership.status === 'claimable' && papi && person.eligible) {
        const binding = await claimThroughVault(person, ownership.account);
        if (binding) ownership = { status: 'owned', binding };
      }
      if (ownership.status !== 'owned') {
        const vault = ownership.status === 'none' ? (papi ? 'missing' : 'disabled') : null;
        return { ownership, account: null, vault };
      }
      const binding = await onOwnerVisit(ownership.binding, person);
      ownership = { status: 'owned', binding };
      if (!papi) {
        const account = await mlflow.getUser(binding.username);
        return account
          ? { ownership, account, vault: 'disabled', sharedWithYou: await applyInvitations(person, binding.username) }
          : { ownership: { status: 'none', username: binding.username }, account: null, vault: 'disabled' };
      }
      const [account, stored] = await Promise.all([mlflow.getUser(binding.username), readVault(person)]);
      // Deleted in MLflow by an admin: this identity may register the same username again.
      if (!account)
        return { ownership: { status: 'none', username: binding.username }, account: null, vault: 'missing' };
      const [vault, sharedWithYou] = await Promise.all([
        vaultStatus(account, stored),
        applyInvitations(person, binding.username),
      ]);
      return { ownership, account, vault, sharedWithYou };
    },

    async register(
      person: Person,
      password: string,
    ): Promise<{ account: MlflowUser; vault: VaultStatus; sharedWithYou: SharedWithYou[] }> {
      const { username, bound, wasDisabled } = await beforeChange(person, 'register', async () => {
        const ownership = await resolveOwnership(ownershipDeps, person, { askMlflow: 'unless-lower-case' });
        if (ownership.status === 'claimable') throw claimInstead(ownership.account.username);
        if (ownership.status !== 'owned' && ownership.status !== 'none') throw refusal(ownership, person);
        if (ownership.status === 'none') {
          guardServiceAccount(ownership.username);
          return { username: ownership.username, bound: false, wasDisabled: false };
        }
        // Bound, but the MLflow user is gone (an admin deleted it): the same username is made again.
        if (await mlflow.getUser(ownership.binding.username)) throw alreadyRegistered();
        guardServiceAccount(ownership.binding.username);
        return {
          username: ownership.binding.username,
          bound: true,
          wasDisabled: ownership.binding.disabled_at !== null,
        };
      });
      const registered = await audit.run(
        { actor: actorOf(person), action: 'register', target: accountTarget(username), requestId: person.requestId },
        async () => {
          vaultChecks.delete(username);
          // MLflow itself refuses an existing username, so no look-up first; only then is it worth asking
          // whether that account is one to claim or an admin's.
          const account = await mlflow.createUser(username, password).catch(async (err: unknown) => {
            if (!(err instanceof AppError && err.code === 'already_registered') || bound) throw err;
            const found = await resolveOwnership(ownershipDeps, person);
            if (found.status === 'claimable') throw claimInstead(found.account.username);
            if (found.status === 'protected' || found.status === 'owned_by_other_identity')
              throw refusal(found, person);
            throw err;
          });
          if (!bound && !(await accounts.bind(person, username, 'registration'))) {
            // Another identity bound this username between our look-up and now: it is theirs.
            await mlflow.deleteUser(username).catch(() => undefined);
            throw accountOwnedByOtherIdentity(person.email, deps.supportContact);
          }
          // The account made afresh has a password its owner knows: the old one's disabling does not carry over.
          if (wasDisabled) await accounts.markEnabled(username);
          if (!papi) return { account, vault: 'disabled' as const };
          try {
            await writeVault(person, username, password);
          } catch (err) {
            logger.warn(
              { err: describeForLog(err) },
              'storing credentials in Vault failed; removing the new MLflow user',
            );
            try {
              await mlflow.deleteUser(username);
              if (!bound) await accounts.remove(username);
            } catch (rollbackErr) {
              logger.error(
                { err: describeForLog(rollbackErr), username },
                'rollback failed: MLflow user left without a Vault copy',
              );
            }
            throw papiFailure(err, 'register');
          }
          return { account, vault: 'in_sync' as const };
        },
      );
      return { ...registered, sharedWithYou: await applyInvitations(person, username) };
    },

    /** Takes over an account made before the registry, by proving its current MLflow password. */
    async claim(
      person: Person,
      password: string,
    ): Promise<{ account: MlflowUser; vault: VaultStatus; sharedWithYou: SharedWithYou[] }> {
      const account = await beforeChange(person, 'claim', async () => {
        const ownership = await resolveOwnership(ownershipDeps, person);
        if (ownership.status === 'owned') throw alreadyRegistered();
        if (ownership.status === 'none') throw notClaimable();
        if (ownership.status !== 'claimable') throw refusal(ownership, person);
        const wrong = await deps.activity.failuresSince(
          person,
          'claim',
          now() - CLAIM_WINDOW_MS,
          'claim_password_incorrect',
        );
        if (wrong >= CLAIM_ATTEMPTS) {
          throw tooManyAttempts();
        }
        return ownership.account;
      });
      const entry = {
        actor: actorOf(person),
        action: 'claim' as const,
        target: accountTarget(account.username),
        requestId: person.requestId,
      };
      const claimed = await audit.run(entry, async () => {
        const check = await mlflow.checkCredentials(account.username, password);
        if (!check.ok) throw claimPasswordIncorrect(account.username);
        if (!(await accounts.bind(person, account.username, 'claim'))) {
          throw accountOwnedByOtherIdentity(person.email, deps.supportContact);
        }
        return account;
      });
      const vault = await (async (): Promise<VaultStatus> => {
        if (!papi) return 'disabled';
        vaultChecks.delete(claimed.username);
        try {
          await writeVault(person, claimed.username, password);
          return 'in_sync';
        } catch (err) {
          // The claim stands (MLflow proved it); the page offers to repair the Vault copy.
          logger.warn({ err: describeForLog(err) }, 'storing credentials in Vault after a claim failed');
          return 'out_of_sync';
        }
      })();
      return { account: claimed, vault, sharedWithYou: await applyInvitations(person, claimed.username) };
    },

    /** Sets a new password; on a disabled account this enables it again. */
    async changePassword(person: Person, password: string): Promise<void> {
      const binding = await beforeChange(person, 'password_change', async () => {
        const owned = await ownedBinding(person);
        const sameAsName = passwordIsAName(password, [owned.username]);
        if (sameAsName) throw sameAsName;
        return owned;
      });
      const { username } = binding;
      const repairing = vaultChecks.get(username)?.signsIn === false;
      const action = binding.disabled_at !== null ? 'reenable' : repairing ? 'vault_repair' : 'password_change';
      await audit.run(
        { actor: actorOf(person), action, target: accountTarget(username), requestId: person.requestId },
        async () => {
          vaultChecks.delete(username);
          if (!(await mlflow.getUser(username))) throw notRegistered();
          await mlflow.updatePassword(username, password);
          if (binding.disabled_at !== null) await accounts.markEnabled(username);
          if (!papi) return;
          try {
            await writeVault(person, username, password);
          } catch (err) {
            throw papiFailure(err, 'change-password');
          }
        },
      );
    },

    async deleteAccount(person: Person): Promise<void> {
      const ownership = await resolveOwnership(ownershipDeps, person);
      if (ownership.status === 'none' && papi) {
        // No account, but perhaps a Vault copy of an old one: it is the person's own secret, removed again.
        try {
          await papi.deleteCredentials(person.accessToken);
        } catch (err) {
          throw papiFailure(err, 'delete');
        }
        return;
      }
      const { username } = await beforeChange(person, 'delete', () => {
        if (ownership.status !== 'owned') throw refusal(ownership, person);
        guardServiceAccount(ownership.binding.username);
        return ownership.binding;
      });
      await audit.run(
        { actor: actorOf(person), action: 'delete', target: accountTarget(username), requestId: person.requestId },
        async () => {
          vaultChecks.delete(username);
          await deps.machineAccounts?.removeAllOf(username, person);
          const account = await mlflow.getUser(username);
          if (papi) {
            try {
              await papi.deleteCredentials(person.accessToken);
            } catch (err) {
              throw papiFailure(err, 'delete');
            }
          }
          if (account) {
            await (await deps.permissions()).releaseGrants(username);
            await mlflow.deleteUser(username);
          }
          await accounts.remove(username);
        },
      );
    },

    /** The MLflow username this person acts as when sharing: only the account bound to their sign-in. */
    async actingUsername(person: Person): Promise<string> {
      return (await ownedBinding(person)).username;
    },

    /** For the maintenance job: disables an account whose owner has not been seen eligible for long. */
    disableInactive: (binding: AccountBinding) => deprovisioning.disable(binding, 'inactive', {}),
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
