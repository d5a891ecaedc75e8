/**
 * Group sharing: a person's shareable groups (their claims filtered by `SHAREABLE_GROUPS`) become MLflow
 * roles (3.13+), which managers grant on resources, and each person's MLflow user is kept in step with the
 * groups they hold at every sign-in.
 *
 * - **Roles are made lazily**, when a group is first shared with, named by `roleNameOf` and recorded in the
 *   registry. A role of that name this service did not make is never adopted (409 `group_role_conflict`).
 * - **Sync at sign-in** reads the person's roles once (`users/roles/list`), then assigns and unassigns the
 *   group roles that differ, a few at a time; roles this service did not make are never touched. It never
 *   throws: its outcome is recorded (`group_sync`), shown on the Sharing page, and a failure is retried at
 *   the next sign-in. A person with no shareable group whose last sync left them in none costs no call.
 * - **Sharing** follows the rules of direct grants (`sharing/service.ts`): MANAGE checked first with the
 *   person's grants, then the admin account acts, under the resource's lock; the person must hold the group
 *   to grant or change it (any manager may revoke); a group's MANAGE counts for the last-manager rule only
 *   through its members.
 */
import {
  AppError,
  groupGrantNotFound,
  groupRoleConflict,
  groupsNotSupportedByMlflow,
  lastManager,
  notAGroupMember,
  notAManager,
  notRegistered,
  resourceNotFound,
} from '../errors.js';
import { describeForLog } from '../http.js';
import type { Claims } from '../auth/eligibility.js';
import type { Permission, PermissionsApi, ResourceType, UserAccess } from '../mlflow/permissions.js';
import type { MlflowRole, MlflowRoles } from '../mlflow/roles.js';
import type { AccountRegistry } from '../registry/accounts.js';
import { SERVICE_ACTOR, type Action, type Actor as ActivityActor } from '../registry/activity.js';
import type { Audit } from '../registry/audit.js';
import type { GroupRegistry, GroupSyncState } from '../registry/groups.js';
import type { ResourceLock } from '../sharing/resource-lock.js';
import type { ResourceNames } from '../sharing/resource-names.js';
import { managerRemainsWithoutRole, mayManage, membersOfRole } from '../sharing/rules.js';
import { parseGroupId, parseGroupPatterns, roleNameOf, shareableGroupsOf } from './patterns.js';
import { planSync, type GroupRole } from './sync-plan.js';

/** How many role changes one sign-in sends MLflow at once. */
const SYNC_CONCURRENCY = 8;

export interface GroupActor {
  /** The MLflow username of the account bound to the signed-in identity. */
  username: string;
  identity: ActivityActor;
  /** The person's shareable groups now, from their claims. */
  groups: readonly string[];
  requestId?: string;
}

export interface SignIn {
  issuer: string;
  subject: string;
  claims: Claims;
  requestId?: string;
}

export interface GroupServiceDeps {
  /** `SHAREABLE_GROUPS`, validated (config.ts). Empty: group sharing is off. */
  patterns: readonly string[];
  permissions: () => Promise<PermissionsApi>;
  roles: MlflowRoles;
  registry: GroupRegistry;
  accounts: Pick<AccountRegistry, 'byIdentity'>;
  names: ResourceNames;
  lock: ResourceLock;
  audit: Pick<Audit, 'write'>;
  logger: { warn(obj: object, msg?: string): void };
}

export interface GroupGrant {
  group: string;
  roleName: string;
  permission: string;
  /** The people MLflow has assigned to the group's role (those who signed in since it was first shared). */
  members: number;
}

/** Runs `tasks` with at most `limit` at a time; settles them all. */
async function settleAll<T>(tasks: Array<() => Promise<T>>, limit: number): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = [];
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await tasks[i]!() };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

const codeOf = (err: unknown) => (err instanceof AppError ? err.code : 'internal_error');

export function createGroupService(deps: GroupServiceDeps) {
  const patterns = parseGroupPatterns(deps.patterns.join(',')).patterns;
  const enabled = patterns.length > 0;

  async function rbac(): Promise<PermissionsApi> {
    const api = await deps.permissions();
    if (api.generation !== 'rbac') throw groupsNotSupportedByMlflow();
    return api;
  }

  const membership = (action: 'group_join' | 'group_leave', role: GroupRole, username: string, detail?: string) => ({
    actor: SERVICE_ACTOR,
    action,
    target: { type: 'group', id: role.groupId, name: role.roleName },
    subject: username,
    detail: detail ?? null,
  });

  /** Applies a sync plan: every change attempted, each recorded; the first failure is rethrown after. */
  async function apply(plan: ReturnType<typeof planSync>, username: string, requestId?: string, detail?: string) {
    const tasks = [
      ...plan.join.map((role) => async () => {
        const entry = membership('group_join', role, username, detail);
        try {
          await deps.roles.assign(role.roleId, username);
          await deps.audit.write({ ...entry, outcome: 'ok', requestId });
        } catch (err) {
          await deps.audit.write({ ...entry, outcome: codeOf(err), requestId });
          throw err;
        }
      }),
      ...plan.leave.map((role) => async () => {
        const entry = membership('group_leave', role, username, detail);
        try {
          await deps.roles.unassign(role.roleId, username);
          await deps.audit.write({ ...entry, outcome: 'ok', requestId });
        } catch (err) {
          await deps.audit.write({ ...entry, outcome: codeOf(err), requestId });
          throw err;
        }
      }),
    ];
    const results = await settleAll(tasks, SYNC_CONCURRENCY);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** The group roles among the roles MLflow says a user holds. */
  const ids = (roles: readonly MlflowRole[]) => roles.map((r) => r.id);

  /** Finds or makes the group's role; a role of that name not made here is refused. */
  async function ensureRole(group: string, actor: GroupActor): Promise<{ role: GroupRole; mlflow: MlflowRole }> {
    const known = await deps.registry.roleOf(group);
    if (known) {
      const found = await deps.roles.get(known.roleId);
      if (found && found.name === known.roleName) return { role: known, mlflow: found };
      // Deleted (or renamed) in MLflow by hand: forgotten, and made again below.
      await deps.registry.forgetRole(group);
    }
    const name = roleNameOf(group);
    const made = await deps.roles.create(name, `Members of ${group} (made by the MLflow sign-up service).`);
    if (!made) {
      const raced = await deps.registry.roleOf(group);
      const found = raced && (await deps.roles.get(raced.roleId));
      if (raced && found) return { role: raced, mlflow: found };
      throw groupRoleConflict(name);
    }
    const role = await deps.registry.addRole({ groupId: group, roleId: made.id, roleName: made.name }, actor.username);
    // The person sharing holds the group now: they join at once; everyone else at their next sign-in.
    await apply({ join: [role], leave: [] }, actor.username, actor.requestId);
    return { role, mlflow: made };
  }

  /** Reads everyone's grants and requires the actor to manage an existing resource. */
  async function authorize(api: PermissionsApi, actor: GroupActor, type: ResourceType, id: string) {
    const everyone = (await api.everyone())!;
    const self = everyone.find((u) => u.username === actor.username);
    if (!self) throw notRegistered();
    if (!mayManage(self, type, id)) throw notAManager();
    if (!(await deps.names.find(type, id))) throw resourceNotFound(type, id);
    return everyone;
  }

  function ensureAnotherManager(everyone: UserAccess[], type: ResourceType, id: string, roleName: string) {
    if (!managerRemainsWithoutRole(everyone, type, id, roleName)) throw lastManager(true);
  }

  const grantOn = (role: MlflowRole, type: ResourceType, id: string) =>
    role.permissions.find((p) => p.resource_type === type && p.resource_pattern === id);

  async function recorded<T>(
    actor: GroupActor,
    change: { type: ResourceType; id: string; group: string; permission: Permission | null; action: Action },
    run: () => Promise<{ result: T; action: Action }>,
  ): Promise<T> {
    const entry = async (action: Action, outcome: string) => {
      const name =
        change.type === 'experiment'
          ? ((await deps.names.find(change.type, change.id).catch(() => null))?.name ?? null)
          : null;
      await deps.audit.write({
        actor: actor.identity,
        action,
        target: { type: change.type, id: change.id, name },
        subject: change.group,
        permission: change.permission,
        outcome,
        requestId: actor.requestId,
      });
    };
    try {
      const { result, action } = await run();
      await entry(action, 'ok');
      return result;
    } catch (err) {
      await entry(change.action, codeOf(err));
      throw err;
    }
  }

  return {
    enabled,

    /** The person's shareable groups, from their claims. */
    groupsOf: (claims: Claims): string[] => shareableGroupsOf(claims, patterns),

    /** What the Sharing page shows: the person's groups, whether MLflow can share with them, the last sync. */
    async overview(signIn: { issuer: string; subject: string; claims: Claims }) {
      const groups = shareableGroupsOf(signIn.claims, patterns);
      const supported = enabled ? (await deps.permissions()).generation === 'rbac' : false;
      const binding = await deps.accounts.byIdentity({ issuer: signIn.issuer, subject: signIn.subject });
      const [roles, sync] = await Promise.all([
        Promise.all(groups.map((g) => deps.registry.roleOf(g))),
        binding ? deps.registry.syncState(binding.username) : Promise.resolve(undefined),
      ]);
      return {
        enabled,
        supported,
        groups: groups.map((id, i) => ({ id, ...parseGroupId(id)!, role: roles[i]?.roleName ?? null })),
        sync: sync ?? null,
      };
    },

    /**
     * Keeps the person's MLflow user in step with the groups they hold now. Never throws: the outcome is
     * recorded for the Sharing page, and a failure is tried again at the next sign-in.
     */
    async syncAtSignIn(signIn: SignIn): Promise<GroupSyncState | undefined> {
      if (!enabled) return undefined;
      let username: string | undefined;
      try {
        const binding = await deps.accounts.byIdentity({ issuer: signIn.issuer, subject: signIn.subject });
        if (!binding || binding.disabled_at !== null) return undefined;
        username = binding.username;
        if ((await deps.permissions()).generation !== 'rbac') return undefined;
        const held = shareableGroupsOf(signIn.claims, patterns);
        const [groupRoles, last] = await Promise.all([deps.registry.allRoles(), deps.registry.syncState(username)]);
        const heldRoles = groupRoles.filter((r) => held.includes(r.groupId));
        if (heldRoles.length === 0 && last?.outcome === 'ok' && last.groups.length === 0) {
          // In none before, in none now: nothing to ask MLflow.
          await deps.registry.recordSync(username, 'ok', []);
          return await deps.registry.syncState(username);
        }
        const current = await deps.roles.ofUser(username);
        if (current === null) return undefined;
        const plan = planSync(held, groupRoles, ids(current));
        await apply(plan, username, signIn.requestId);
        await deps.registry.recordSync(
          username,
          'ok',
          heldRoles.map((r) => r.groupId),
        );
        return await deps.registry.syncState(username);
      } catch (err) {
        deps.logger.warn(
          { err: describeForLog(err), username },
          'syncing group roles at sign-in failed; retried next sign-in',
        );
        if (username) await deps.registry.recordSync(username, codeOf(err)).catch(() => undefined);
        return undefined;
      }
    },

    /** Deprovisioning and deletion: the user leaves every group role this service made. */
    async leaveAll(username: string, context: { requestId?: string; detail?: string } = {}): Promise<void> {
      const api = await deps.permissions();
      if (api.generation !== 'rbac') return;
      const groupRoles = await deps.registry.allRoles();
      if (groupRoles.length > 0) {
        const current = await deps.roles.ofUser(username);
        if (current) await apply(planSync([], groupRoles, ids(current)), username, context.requestId, context.detail);
      }
      await deps.registry.recordSync(username, 'ok', []);
    },

    /** The groups with a grant on the resource, with their member counts. Managers only. */
    async listGrants(actor: GroupActor, type: ResourceType, id: string): Promise<GroupGrant[]> {
      const api = await rbac();
      const everyone = await authorize(api, actor, type, id);
      const [roles, groupRoles] = await Promise.all([deps.roles.list(), deps.registry.allRoles()]);
      const byId = new Map(roles.map((r) => [r.id, r]));
      return groupRoles.flatMap((role) => {
        const mlflow = byId.get(role.roleId);
        const grant = mlflow && mlflow.name === role.roleName ? grantOn(mlflow, type, id) : undefined;
        if (!grant) return [];
        return [
          {
            group: role.groupId,
            roleName: role.roleName,
            permission: grant.permission,
            members: membersOfRole(everyone, role.roleName),
          },
        ];
      });
    },

    /** Grants the group `permission` on the resource, or changes its grant; `created` tells which. */
    async setGrant(actor: GroupActor, type: ResourceType, id: string, group: string, permission: Permission) {
      return recorded(actor, { type, id, group, permission, action: 'group_grant' }, async () => {
        if (!enabled) throw notAGroupMember(group, false);
        const api = await rbac();
        if (!actor.groups.includes(group)) throw notAGroupMember(group, true);
        const result = await deps.lock.run(`${type}:${id}`, async () => {
          const everyone = await authorize(api, actor, type, id);
          const { role, mlflow } = await ensureRole(group, actor);
          const current = grantOn(mlflow, type, id);
          if (!current) {
            await deps.roles.addPermission(role.roleId, type, id, permission);
            return { group, permission, created: true };
          }
          if (current.permission !== permission) {
            if (current.permission === 'MANAGE') ensureAnotherManager(everyone, type, id, role.roleName);
            await deps.roles.updatePermission(current.id, permission);
          }
          return { group, permission, created: false };
        });
        return { result, action: result.created ? 'group_grant' : 'group_change' };
      });
    },

    /** Revokes the group's grant on the resource (any manager may, member of the group or not). */
    async removeGrant(actor: GroupActor, type: ResourceType, id: string, group: string): Promise<void> {
      await recorded(actor, { type, id, group, permission: null, action: 'group_revoke' }, async () => {
        const api = await rbac();
        await deps.lock.run(`${type}:${id}`, async () => {
          const everyone = await authorize(api, actor, type, id);
          const known = await deps.registry.roleOf(group);
          const mlflow = known ? await deps.roles.get(known.roleId) : null;
          const current = mlflow && known && mlflow.name === known.roleName ? grantOn(mlflow, type, id) : undefined;
          if (!known || !current) throw groupGrantNotFound(group);
          if (current.permission === 'MANAGE') ensureAnotherManager(everyone, type, id, known.roleName);
          if (!(await deps.roles.removePermission(current.id))) throw groupGrantNotFound(group);
        });
        return { result: undefined, action: 'group_revoke' as const };
      });
    },
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
