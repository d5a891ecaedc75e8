/**
 * MLflow's roles (RBAC, MLflow 3.13+), as group sharing needs them: a role per shareable group in the
 * `default` workspace, its permissions on resources, and who is assigned to it. Admin-only endpoints.
 * Facts checked against MLflow 3.18 in tests/integration/group-sharing.test.ts; see
 * docs/reference/mlflow-roles-api.md.
 */
import { z } from 'zod';
import { UpstreamError } from '../http.js';
import type { AdminRequests } from './client.js';
import { mlflowErrorCode } from './errors.js';

/** The one workspace this service shares in (MLflow without workspaces has only this one). */
const DEFAULT_WORKSPACE = 'default';

const rolePermissionSchema = z.looseObject({
  id: z.number(),
  resource_type: z.string(),
  resource_pattern: z.string(),
  permission: z.string(),
});
const roleSchema = z.looseObject({
  id: z.number(),
  name: z.string(),
  workspace: z.string().nullish(),
  permissions: z.array(rolePermissionSchema).default([]),
});

export type MlflowRole = z.infer<typeof roleSchema>;

const base = '/api/3.0/mlflow';

/** A 400 `RESOURCE_ALREADY_EXISTS` from MLflow (role name taken, user already assigned). */
const alreadyExists = (err: unknown) => {
  const cause = (err as { cause?: unknown }).cause ?? err;
  return cause instanceof UpstreamError && mlflowErrorCode(cause) === 'RESOURCE_ALREADY_EXISTS';
};

export function createRoles(admin: AdminRequests) {
  return {
    /** Creates a role in the default workspace; `null` when a role of that name exists there already. */
    async create(name: string, description: string): Promise<MlflowRole | null> {
      try {
        const { role } = await admin.call(
          {
            action: 'create the group role',
            method: 'POST',
            path: `${base}/roles/create`,
            json: { name, workspace: DEFAULT_WORKSPACE, description },
          },
          z.looseObject({ role: roleSchema }),
        );
        return role;
      } catch (err) {
        if (alreadyExists(err)) return null;
        throw err;
      }
    },

    /** The role with its permissions; `null` when MLflow has no such role. */
    async get(roleId: number): Promise<MlflowRole | null> {
      const body = await admin.orNull(
        { action: 'read the group role', path: `${base}/roles/get`, query: { role_id: String(roleId) } },
        z.looseObject({ role: roleSchema }),
      );
      return body?.role ?? null;
    },

    /** Every role of the default workspace, with its permissions. */
    async list(): Promise<MlflowRole[]> {
      const { roles } = await admin.call(
        { action: 'list the roles', path: `${base}/roles/list`, query: { workspace: DEFAULT_WORKSPACE } },
        z.looseObject({ roles: z.array(roleSchema).default([]) }),
      );
      return roles;
    },

    async addPermission(roleId: number, resourceType: string, resourcePattern: string, permission: string) {
      await admin.call({
        action: 'grant the permission to the group',
        method: 'POST',
        path: `${base}/roles/permissions/add`,
        json: { role_id: roleId, resource_type: resourceType, resource_pattern: resourcePattern, permission },
      });
    },

    async updatePermission(rolePermissionId: number, permission: string) {
      await admin.call({
        action: "change the group's permission",
        method: 'PATCH',
        path: `${base}/roles/permissions/update`,
        json: { role_permission_id: rolePermissionId, permission },
      });
    },

    /** `false` when there was no such permission. */
    async removePermission(rolePermissionId: number): Promise<boolean> {
      const answer = await admin.orNull({
        action: "revoke the group's permission",
        method: 'DELETE',
        path: `${base}/roles/permissions/remove`,
        json: { role_permission_id: rolePermissionId },
      });
      return answer !== null;
    },

    /** Assigns the role; assigning it again is no change. */
    async assign(roleId: number, username: string): Promise<void> {
      try {
        await admin.call({
          action: 'add the person to the group role',
          method: 'POST',
          path: `${base}/roles/assign`,
          json: { role_id: roleId, username },
        });
      } catch (err) {
        if (!alreadyExists(err)) throw err;
      }
    },

    /** Unassigns the role; `false` when the user did not hold it (or is gone). */
    async unassign(roleId: number, username: string): Promise<boolean> {
      const answer = await admin.orNull({
        action: 'remove the person from the group role',
        method: 'DELETE',
        path: `${base}/roles/unassign`,
        json: { role_id: roleId, username },
      });
      return answer !== null;
    },

    /** The roles a user holds (every workspace); `null` when MLflow has no such user. */
    async ofUser(username: string): Promise<MlflowRole[] | null> {
      const body = await admin.orNull(
        { action: "read the person's roles", path: `${base}/users/roles/list`, query: { username } },
        z.looseObject({ roles: z.array(roleSchema).default([]) }),
      );
      return body?.roles ?? null;
    },
  };
}

export type MlflowRoles = ReturnType<typeof createRoles>;
