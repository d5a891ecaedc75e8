/**
 * MLflow's permission model as this service needs it, behind one interface for both API generations:
 * - "rbac" (MLflow 3.13+): `/api/3.0/mlflow/users/permissions/{grant,revoke,get,list}`, direct grants are
 *   roles named `__user_<id>__`, and `users/list` carries every user's roles with their permissions;
 * - "legacy" (MLflow 2.x … 3.12): per-resource `/api/2.0/mlflow/{experiments,registered-models}/permissions/*`.
 * The generation is probed at start, so operators never have to say which MLflow they run.
 */
import { z } from 'zod';
import { UpstreamError } from '../http.js';
import { mlflowErrorCode, type MlflowClient } from '../mlflow/client.js';

export const RESOURCE_TYPES = ['experiment', 'registered_model', 'prompt'] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

export const PERMISSIONS = ['READ', 'USE', 'EDIT', 'MANAGE'] as const;
export type Permission = (typeof PERMISSIONS)[number];
export type EffectivePermission = Permission | 'NO_PERMISSIONS';

const RANK: Record<string, number> = { NO_PERMISSIONS: 0, READ: 1, USE: 2, EDIT: 3, MANAGE: 4 };
export const rankOf = (p: string): number => RANK[p] ?? 0;

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

export interface Collaborator {
  username: string;
  permission: EffectivePermission;
  via: 'direct' | 'role';
  roleName: string | null;
}

export interface PermissionsApi {
  generation: 'rbac' | 'legacy';
  /** Whether MLflow can say who holds grants on a resource (only the RBAC generation can). */
  canListCollaborators: boolean;
  supports(permission: Permission): boolean;
  grantsOf(username: string): Promise<HeldGrant[]>;
  /** What the user may do on the resource (their best grant), not counting admin rights. */
  effectivePermission(username: string, type: ResourceType, id: string): Promise<EffectivePermission>;
  /** The user's own direct grant on the resource, or null. */
  directPermission(username: string, type: ResourceType, id: string): Promise<EffectivePermission | null>;
  /** Everyone with a grant on the resource (RBAC only). */
  collaborators(type: ResourceType, id: string): Promise<Collaborator[]>;
  /** Creates or changes the user's direct grant. */
  setPermission(username: string, type: ResourceType, id: string, permission: Permission): Promise<void>;
  /** Removes the user's direct grant; false when there was none. */
  revoke(username: string, type: ResourceType, id: string): Promise<boolean>;
}

const isNotFound = (err: unknown) => err instanceof UpstreamError && err.status === 404;
const isDirectRole = (name: string) => /^__user_\d+__$/.test(name);

const rbacPermissionSchema = z.looseObject({
  resource_type: z.string(),
  resource_pattern: z.string(),
  permission: z.string(),
  role_name: z.string().optional(),
});
const rbacListSchema = z.looseObject({ permissions: z.array(rbacPermissionSchema).default([]) });
const rbacUsersSchema = z.looseObject({
  users: z.array(
    z.looseObject({
      username: z.string(),
      is_admin: z.boolean().optional(),
      roles: z
        .array(z.looseObject({ name: z.string(), permissions: z.array(z.looseObject({ resource_type: z.string(), resource_pattern: z.string(), permission: z.string() })).default([]) }))
        .default([]),
    }),
  ),
});

/** Whether a role grant's resource pattern (an id, `*`, or a glob with `*`) covers the id. */
export function patternMatches(pattern: string, id: string): boolean {
  if (pattern === id || pattern === '*') return true;
  if (!pattern.includes('*')) return false;
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(id);
}

function createRbacPermissions(mlflow: MlflowClient): PermissionsApi {
  const { request, adminHeaders: headers } = mlflow;
  const base = '/api/3.0/mlflow/users/permissions';

  async function grantsOf(username: string): Promise<HeldGrant[]> {
    const { body } = await request(`${base}/list`, { headers, query: { username } });
    return rbacListSchema.parse(body).permissions.flatMap((p): HeldGrant[] => {
      if (!(RESOURCE_TYPES as readonly string[]).includes(p.resource_type)) return [];
      const direct = p.role_name === undefined || isDirectRole(p.role_name);
      return [{
        resourceType: p.resource_type as ResourceType,
        resourceId: p.resource_pattern,
        permission: p.permission as EffectivePermission,
        via: direct ? 'direct' : 'role',
        roleName: direct ? null : (p.role_name ?? null),
        pattern: p.resource_pattern.includes('*'),
      }];
    });
  }

  async function directPermission(username: string, type: ResourceType, id: string) {
    const grant = (await grantsOf(username)).find((g) => g.via === 'direct' && g.resourceType === type && g.resourceId === id);
    return grant?.permission ?? null;
  }

  async function grant(username: string, type: ResourceType, id: string, permission: string) {
    await request(`${base}/grant`, { method: 'POST', headers, json: { username, resource_type: type, resource_id: id, permission } });
  }

  async function revoke(username: string, type: ResourceType, id: string): Promise<boolean> {
    try {
      await request(`${base}/revoke`, { method: 'POST', headers, json: { username, resource_type: type, resource_id: id } });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  return {
    generation: 'rbac',
    canListCollaborators: true,
    supports: () => true,
    grantsOf,
    directPermission,
    async effectivePermission(username, type, id) {
      const { body } = await request(`${base}/get`, { headers, query: { username, resource_type: type, resource_id: id } });
      const parsed = z.looseObject({ permission: z.string() }).parse(body);
      return (parsed.permission in RANK ? parsed.permission : 'NO_PERMISSIONS') as EffectivePermission;
    },
    async collaborators(type, id) {
      const { body } = await request('/api/2.0/mlflow/users/list', { headers });
      const out: Collaborator[] = [];
      for (const user of rbacUsersSchema.parse(body).users) {
        for (const role of user.roles) {
          for (const p of role.permissions) {
            if (p.resource_type === type && patternMatches(p.resource_pattern, id)) {
              out.push({
                username: user.username,
                permission: p.permission as EffectivePermission,
                via: isDirectRole(role.name) ? 'direct' : 'role',
                roleName: isDirectRole(role.name) ? null : role.name,
              });
            }
          }
        }
      }
      return out;
    },
    async setPermission(username, type, id, permission) {
      const previous = await directPermission(username, type, id);
      if (previous === permission) return;
      if (previous === null) return grant(username, type, id, permission);
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
  };
}

const legacyUserSchema = z.looseObject({
  user: z.looseObject({
    experiment_permissions: z.array(z.looseObject({ experiment_id: z.coerce.string(), permission: z.string() })).default([]),
    registered_model_permissions: z.array(z.looseObject({ name: z.string(), permission: z.string() })).default([]),
  }),
});

/**
 * The legacy generation knows experiments and registered models; prompts are registered models tagged
 * `mlflow.prompt.is_prompt`, so they share the registered-model endpoints. `isPrompt` tells them apart.
 */
function createLegacyPermissions(mlflow: MlflowClient, isPrompt: (name: string) => Promise<boolean>): PermissionsApi {
  const { request, adminHeaders: headers } = mlflow;
  const endpoint = (type: ResourceType) =>
    type === 'experiment'
      ? { path: '/api/2.0/mlflow/experiments/permissions', key: 'experiment_id', answer: 'experiment_permission' }
      : { path: '/api/2.0/mlflow/registered-models/permissions', key: 'name', answer: 'registered_model_permission' };

  async function directPermission(username: string, type: ResourceType, id: string): Promise<EffectivePermission | null> {
    const e = endpoint(type);
    try {
      const { body } = await request(`${e.path}/get`, { headers, query: { [e.key]: id, username } });
      const parsed = z.looseObject({ [e.answer]: z.looseObject({ permission: z.string() }) }).parse(body) as Record<string, { permission: string }>;
      return parsed[e.answer]!.permission as EffectivePermission;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  return {
    generation: 'legacy',
    canListCollaborators: false,
    supports: (permission) => permission !== 'USE',
    async grantsOf(username) {
      const { body } = await request('/api/2.0/mlflow/users/get', { headers, query: { username } });
      const user = legacyUserSchema.parse(body).user;
      const grants: HeldGrant[] = user.experiment_permissions.map((p) => ({
        resourceType: 'experiment', resourceId: p.experiment_id, permission: p.permission as EffectivePermission, via: 'direct', roleName: null, pattern: false,
      }));
      const kinds = await Promise.all(user.registered_model_permissions.map((p) => isPrompt(p.name)));
      user.registered_model_permissions.forEach((p, i) => {
        grants.push({
          resourceType: kinds[i] ? 'prompt' : 'registered_model',
          resourceId: p.name, permission: p.permission as EffectivePermission, via: 'direct', roleName: null, pattern: false,
        });
      });
      return grants;
    },
    directPermission,
    async effectivePermission(username, type, id) {
      // No roles in this generation; the server-wide default permission is not visible through the API,
      // so only an explicit grant counts (the safe reading for authorisation).
      return (await directPermission(username, type, id)) ?? 'NO_PERMISSIONS';
    },
    async collaborators() {
      throw new Error('MLflow before 3.13 cannot list who holds grants on a resource');
    },
    async setPermission(username, type, id, permission) {
      const e = endpoint(type);
      const previous = await directPermission(username, type, id);
      if (previous === permission) return;
      await request(`${e.path}/${previous === null ? 'create' : 'update'}`, {
        method: previous === null ? 'POST' : 'PATCH',
        headers,
        json: { [e.key]: id, username, permission },
      });
    },
    async revoke(username, type, id) {
      const e = endpoint(type);
      try {
        await request(`${e.path}/delete`, { method: 'DELETE', headers, json: { [e.key]: id, username } });
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },
  };
}

/** The permissions API, probed once on first use (and again after a failed probe, e.g. MLflow was down). */
export function lazyPermissionsApi(mlflow: MlflowClient, adminUsername: string, isPrompt: (name: string) => Promise<boolean>) {
  let api: Promise<PermissionsApi> | undefined;
  return (): Promise<PermissionsApi> =>
    (api ??= detectPermissionsApi(mlflow, adminUsername, isPrompt).catch((err: unknown) => {
      api = undefined;
      throw err;
    }));
}

/** Probes which permission API the server speaks: the RBAC list endpoint answers 404 on older servers. */
async function detectPermissionsApi(mlflow: MlflowClient, adminUsername: string, isPrompt: (name: string) => Promise<boolean>): Promise<PermissionsApi> {
  try {
    await mlflow.request('/api/3.0/mlflow/users/permissions/list', { headers: mlflow.adminHeaders, query: { username: adminUsername } });
    return createRbacPermissions(mlflow);
  } catch (err) {
    // An unknown route is a plain 404 page; a JSON 404 would come from the RBAC API itself.
    if (isNotFound(err) && mlflowErrorCode(err) === undefined) return createLegacyPermissions(mlflow, isPrompt);
    throw err;
  }
}
