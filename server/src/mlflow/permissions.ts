/**
 * MLflow's permission model as this service needs it, behind one interface for both API generations:
 * - "rbac" (MLflow 3.13+): `/api/3.0/mlflow/users/permissions/{grant,revoke,list}`; direct grants are
 *   roles named `__user_<id>__`, and `users/list` carries every user's roles with their permissions;
 * - "legacy" (MLflow 2.x … 3.12): per-resource `/api/2.0/mlflow/{experiments,registered-models}/permissions/*`,
 *   and `users/get` carries a user's direct grants.
 * The generation is probed once, so operators never have to say which MLflow they run.
 * The rules built on these facts (who manages what) live in `sharing/`.
 * See docs/reference/mlflow-auth-api.md.
 */
import { z } from 'zod';
import { mlflowErrorCode, isMlflowNotFound } from './errors.js';
import type { AdminRequests } from './client.js';

export const RESOURCE_TYPES = ['experiment', 'registered_model', 'prompt'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const PERMISSIONS = ['READ', 'USE', 'EDIT', 'MANAGE'] as const;
export type Permission = (typeof PERMISSIONS)[number];
/**
 * A permission as MLflow reports it. Besides {@link Permission} and `NO_PERMISSIONS`, newer servers
 * report levels this service does not know (3.17's `DENY`): they are passed on as they are.
 */
export type EffectivePermission = Permission | 'NO_PERMISSIONS' | (string & {});

/** A grant a user holds: directly, or through a role (possibly with a pattern such as `*`). */
export interface HeldGrant {
  resourceType: ResourceType;
  /** A resource id (experiment id, model or prompt name), or a pattern for role grants. */
  resourceId: string;
  permission: EffectivePermission;
  via: 'direct' | 'role';
  roleName: string | null;
  pattern: boolean;
}

/** A grant held directly on exactly one resource (no role, no pattern): all the legacy generation reports. */
export const directGrant = (resourceType: ResourceType, resourceId: string, permission: string): HeldGrant => ({
  resourceType,
  resourceId,
  permission,
  via: 'direct',
  roleName: null,
  pattern: false,
});

/** One user as the permission API sees them. */
export interface UserAccess {
  username: string;
  isAdmin: boolean;
  /** Direct grants, and on the RBAC generation role grants too. */
  grants: HeldGrant[];
}

export interface PermissionsApi {
  generation: 'rbac' | 'legacy';
  /** Whether MLflow can say who holds grants on a resource (only the RBAC generation can). */
  canListCollaborators: boolean;
  supports(permission: Permission): boolean;
  /** One user's grants in one call; `null` when MLflow has no such user. */
  userAccess(username: string): Promise<UserAccess | null>;
  /** Every user's grants in one call (RBAC only: `undefined` on the legacy generation). */
  everyone(): Promise<UserAccess[] | undefined>;
  /** Creates the user's direct grant, or changes it from `previous` (the grant they hold now). */
  setPermission(
    username: string,
    type: ResourceType,
    id: string,
    permission: Permission,
    previous: EffectivePermission | null,
  ): Promise<void>;
  /** Removes the user's direct grant; `false` when there was none. */
  revoke(username: string, type: ResourceType, id: string): Promise<boolean>;
  /**
   * Readies a user for deletion: MLflow 2.x refuses to delete a user who still holds grants (400), so
   * their direct grants are revoked first; MLflow 3.13+ removes them with the user.
   */
  releaseGrants(username: string): Promise<void>;
}

/**
 * Several users' grants in as few MLflow calls as the API allows (each call costs MLflow a password-hash
 * check): for two or more users one `users/list` on the RBAC generation, else one call per user. `access`
 * follows `usernames` (`null`: MLflow has no such user); `everyone` is that list when it was read, for the
 * rules that need every user (the last manager).
 */
export async function readAccess(
  api: PermissionsApi,
  usernames: readonly string[],
): Promise<{ access: Array<UserAccess | null>; everyone: UserAccess[] | undefined }> {
  const everyone = api.canListCollaborators && usernames.length > 1 ? await api.everyone() : undefined;
  const access = everyone
    ? usernames.map((u) => everyone.find((a) => a.username === u) ?? null)
    : await Promise.all(usernames.map((u) => api.userAccess(u)));
  return { access, everyone };
}

const isResourceType = (t: string): t is ResourceType => (RESOURCE_TYPES as readonly string[]).includes(t);
const isDirectRole = (name: string) => /^__user_\d+__$/.test(name);
/** Roles of another workspace grant nothing in the default one, which is the one this service shares in. */
const inDefaultWorkspace = (workspace: string | null | undefined) =>
  workspace === undefined || workspace === null || workspace === 'default';

const rbacGrantSchema = z.looseObject({
  resource_type: z.string(),
  resource_pattern: z.string(),
  permission: z.string(),
});

function heldGrant(p: z.infer<typeof rbacGrantSchema>, roleName: string | undefined): HeldGrant[] {
  if (!isResourceType(p.resource_type)) return [];
  const direct = roleName === undefined || isDirectRole(roleName);
  return [
    {
      resourceType: p.resource_type,
      resourceId: p.resource_pattern,
      permission: p.permission,
      via: direct ? 'direct' : 'role',
      roleName: direct ? null : roleName,
      pattern: p.resource_pattern.includes('*'),
    },
  ];
}

const rbacListSchema = z.looseObject({
  is_admin: z.boolean().default(false),
  permissions: z
    .array(rbacGrantSchema.extend({ role_name: z.string().optional(), workspace: z.string().nullish() }))
    .default([]),
});
const rbacUsersSchema = z.looseObject({
  users: z.array(
    z.looseObject({
      username: z.string(),
      is_admin: z.boolean().default(false),
      roles: z
        .array(
          z.looseObject({
            name: z.string(),
            workspace: z.string().nullish(),
            permissions: z.array(rbacGrantSchema).default([]),
          }),
        )
        .default([]),
    }),
  ),
});

function createRbacPermissions(admin: AdminRequests): PermissionsApi {
  const base = '/api/3.0/mlflow/users/permissions';
  const grant = (username: string, type: ResourceType, id: string, permission: string) =>
    admin.call({
      action: 'grant the permission',
      method: 'POST',
      path: `${base}/grant`,
      json: { username, resource_type: type, resource_id: id, permission },
    });
  const revoke = async (username: string, type: ResourceType, id: string) =>
    (await admin.orNull({
      action: 'revoke the permission',
      method: 'POST',
      path: `${base}/revoke`,
      json: { username, resource_type: type, resource_id: id },
    })) !== null;

  return {
    generation: 'rbac',
    canListCollaborators: true,
    supports: () => true,
    async userAccess(username) {
      const list = await admin.orNull(
        { action: "read the person's permissions", path: `${base}/list`, query: { username } },
        rbacListSchema,
      );
      if (list === null) return null;
      const grants = list.permissions
        .filter((p) => inDefaultWorkspace(p.workspace))
        .flatMap((p) => heldGrant(p, p.role_name));
      return { username, isAdmin: list.is_admin, grants };
    },
    async everyone() {
      const { users } = await admin.call(
        { action: 'list who has access', path: '/api/2.0/mlflow/users/list' },
        rbacUsersSchema,
      );
      return users.map((u) => ({
        username: u.username,
        isAdmin: u.is_admin,
        grants: u.roles
          .filter((r) => inDefaultWorkspace(r.workspace))
          .flatMap((r) => r.permissions.flatMap((p) => heldGrant(p, r.name))),
      }));
    },
    async setPermission(username, type, id, permission, previous) {
      if (previous === permission) return;
      if (previous === null) {
        await grant(username, type, id, permission);
        return;
      }
      // MLflow 3.13+ has no update: revoke, grant, and put the old grant back if the new one fails.
      await revoke(username, type, id);
      try {
        await grant(username, type, id, permission);
      } catch (err) {
        await grant(username, type, id, previous).catch(() => undefined);
        throw err;
      }
    },
    revoke,
    releaseGrants: () => Promise.resolve(),
  };
}

const legacyUserSchema = z.looseObject({
  user: z.looseObject({
    is_admin: z.boolean().default(false),
    experiment_permissions: z
      .array(z.looseObject({ experiment_id: z.coerce.string(), permission: z.string() }))
      .default([]),
    registered_model_permissions: z.array(z.looseObject({ name: z.string(), permission: z.string() })).default([]),
  }),
});

/**
 * The legacy generation knows experiments and registered models; prompts are registered models tagged
 * `mlflow.prompt.is_prompt`, so they share the registered-model endpoints. `isPrompt` tells them apart.
 */
function createLegacyPermissions(admin: AdminRequests, isPrompt: (name: string) => Promise<boolean>): PermissionsApi {
  const endpoint = (type: ResourceType) =>
    type === 'experiment'
      ? { path: '/api/2.0/mlflow/experiments/permissions', key: 'experiment_id' }
      : { path: '/api/2.0/mlflow/registered-models/permissions', key: 'name' };

  async function revoke(username: string, type: ResourceType, id: string): Promise<boolean> {
    const e = endpoint(type);
    return (
      (await admin.orNull({
        action: 'revoke the permission',
        method: 'DELETE',
        path: `${e.path}/delete`,
        json: { [e.key]: id, username },
      })) !== null
    );
  }

  return {
    generation: 'legacy',
    canListCollaborators: false,
    supports: (permission) => permission !== 'USE',
    async userAccess(username) {
      const body = await admin.orNull(
        { action: "read the person's permissions", path: '/api/2.0/mlflow/users/get', query: { username } },
        legacyUserSchema,
      );
      if (body === null) return null;
      const { user } = body;
      const kinds = await Promise.all(user.registered_model_permissions.map((p) => isPrompt(p.name)));
      return {
        username,
        isAdmin: user.is_admin,
        grants: [
          ...user.experiment_permissions.map((p) => directGrant('experiment', p.experiment_id, p.permission)),
          ...user.registered_model_permissions.map((p, i) =>
            directGrant(kinds[i] ? 'prompt' : 'registered_model', p.name, p.permission),
          ),
        ],
      };
    },
    everyone: () => Promise.resolve(undefined),
    async setPermission(username, type, id, permission, previous) {
      if (previous === permission) return;
      const e = endpoint(type);
      await admin.call({
        action: 'set the permission',
        method: previous === null ? 'POST' : 'PATCH',
        path: `${e.path}/${previous === null ? 'create' : 'update'}`,
        json: { [e.key]: id, username, permission },
      });
    },
    revoke,
    async releaseGrants(username) {
      const body = await admin.orNull(
        { action: "read the person's permissions", path: '/api/2.0/mlflow/users/get', query: { username } },
        legacyUserSchema,
      );
      if (body === null) return;
      // Prompts use the registered-model endpoints, so the kind of each model does not matter here.
      await Promise.all([
        ...body.user.experiment_permissions.map((p) => revoke(username, 'experiment', p.experiment_id)),
        ...body.user.registered_model_permissions.map((p) => revoke(username, 'registered_model', p.name)),
      ]);
    },
  };
}

/**
 * The permissions API, probed once on first use (and again after a failed probe, e.g. MLflow was down):
 * the RBAC list endpoint answers a plain 404 page on older servers, a JSON answer on newer ones.
 */
export function createPermissionsProbe(admin: AdminRequests, adminUsername: string) {
  let api: Promise<PermissionsApi> | undefined;
  async function detect(isPrompt: (name: string) => Promise<boolean>): Promise<PermissionsApi> {
    try {
      await admin.call({
        action: 'tell which permission API it speaks',
        path: '/api/3.0/mlflow/users/permissions/list',
        query: { username: adminUsername },
      });
      return createRbacPermissions(admin);
    } catch (err) {
      const answer = (err as { cause?: unknown }).cause;
      if (isMlflowNotFound(answer) && mlflowErrorCode(answer) === undefined)
        return createLegacyPermissions(admin, isPrompt);
      throw err;
    }
  }
  /** `isPrompt` classifies registered-model grants on the legacy generation (the first caller's is kept). */
  return (isPrompt: (name: string) => Promise<boolean>): Promise<PermissionsApi> =>
    (api ??= detect(isPrompt).catch((err: unknown) => {
      api = undefined;
      throw err;
    }));
}
