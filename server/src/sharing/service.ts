/**
 * Sharing, with the admin account doing the work only after the signed-in person's own rights are
 * checked: they must hold MANAGE on the resource (directly or through a role) — exactly what MLflow would
 * require if they called it themselves — and nobody may remove the last MANAGE grant on a resource.
 */
import { AppError, forbidden, mlflowUnavailable, notRegistered } from '../errors.js';
import { UpstreamError } from '../http.js';
import type { MlflowClient } from '../mlflow/client.js';
import type { Directory } from './directory.js';
import { patternMatches, rankOf, type Collaborator, type EffectivePermission, type HeldGrant, type Permission, type PermissionsApi, type ResourceType } from './permissions.js';

export interface Actor {
  /** The signed-in person's MLflow username (their verified email). */
  username: string;
}

export interface ResourceRow {
  id: string;
  name: string | null;
  permission: EffectivePermission;
  can_manage: boolean;
  via: 'direct' | 'role';
  role: string | null;
  pattern: boolean;
}

/** MLflow being down or refusing the admin becomes a 503; anything else unexpected stays a 500. */
async function mlflowCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UpstreamError && (err.unavailable || err.status === 401)) throw mlflowUnavailable(err);
    throw err;
  }
}

export function createSharingService(deps: { mlflow: MlflowClient; directory: Directory; permissions: () => Promise<PermissionsApi> }) {
  const { mlflow, directory } = deps;

  async function actorAccount(actor: Actor) {
    const account = await mlflowCall(() => mlflow.getUser(actor.username));
    if (!account) throw notRegistered();
    return account;
  }

  /** Refuses (403, MLflow untouched) unless the person holds MANAGE; then requires the resource to exist. */
  async function authorize(actor: Actor, type: ResourceType, id: string) {
    const api = await deps.permissions();
    const account = await actorAccount(actor);
    const permission = account.is_admin ? 'MANAGE' : await mlflowCall(() => api.effectivePermission(actor.username, type, id));
    if (rankOf(permission) < rankOf('MANAGE')) {
      throw forbidden('You can only share what you manage: you need the MANAGE permission on this resource.');
    }
    const resource = await mlflowCall(() => directory.find(type, id));
    if (!resource) throw new AppError(404, 'resource_not_found', `There is no ${type.replace('_', ' ')} "${id}".`);
    return { api, account, resource };
  }

  async function targetUser(username: string) {
    const user = await mlflowCall(() => mlflow.getUser(username));
    if (!user) throw new AppError(404, 'user_not_registered', `${username} has no MLflow account: they must register first.`);
    return user;
  }

  /** 409 when removing or lowering `target`'s MANAGE would leave nobody managing the resource. */
  async function ensureAnotherManager(api: PermissionsApi, actor: Actor, actorHasDirectManage: boolean, type: ResourceType, id: string, target: string) {
    if (api.canListCollaborators) {
      // Everyone else with MANAGE, and the target too when a role keeps them a manager.
      const others = (await mlflowCall(() => api.collaborators(type, id))).filter(
        (c) => c.permission === 'MANAGE' && !(c.username === target && c.via === 'direct'),
      );
      if (others.length > 0) return;
    } else if (target !== actor.username && actorHasDirectManage) {
      return; // the actor holds MANAGE themselves and stays
    }
    throw new AppError(409, 'last_manager',
      api.canListCollaborators
        ? 'This is the last MANAGE grant on this resource: give MANAGE to someone else first, so that somebody can still manage it.'
        : 'This MLflow version cannot tell whether anyone else manages this resource, so you cannot remove your own MANAGE permission. Ask another manager to do it.');
  }

  function checkPermissionSupported(api: PermissionsApi, permission: Permission) {
    if (!api.supports(permission)) {
      throw new AppError(422, 'permission_not_supported', `This MLflow server does not support the ${permission} permission. Choose READ, EDIT or MANAGE.`, [
        { field: 'permission', message: `${permission} is not supported by this MLflow server.` },
      ]);
    }
  }

  return {
    async capabilities() {
      const api = await mlflowCall(() => deps.permissions());
      return { generation: api.generation, can_list_collaborators: api.canListCollaborators, permissions: (['READ', 'USE', 'EDIT', 'MANAGE'] as const).filter((p) => api.supports(p)) };
    },

    /** The resources of one type the person holds a grant on, with names and whether they may manage each. */
    async listResources(actor: Actor, type: ResourceType): Promise<ResourceRow[]> {
      const api = await mlflowCall(() => deps.permissions());
      const account = await actorAccount(actor);
      const grants = (await mlflowCall(() => api.grantsOf(actor.username))).filter((g) => g.resourceType === type);
      const patterns = grants.filter((g) => g.pattern);
      const byId = new Map<string, HeldGrant>();
      for (const g of grants.filter((x) => !x.pattern)) {
        const prev = byId.get(g.resourceId);
        if (!prev || rankOf(g.permission) > rankOf(prev.permission) || (rankOf(g.permission) === rankOf(prev.permission) && g.via === 'direct')) byId.set(g.resourceId, g);
      }
      const ids = [...byId.keys()];
      const names = type === 'experiment' ? await mlflowCall(() => directory.experimentNames(ids)) : await mlflowCall(() => directory.existingModels(ids));
      const rows: ResourceRow[] = [];
      for (const [id, grant] of byId) {
        const name = names.get(id);
        if (name === undefined) continue; // deleted or gone: nothing left to share
        // Effective permission: the best of the direct grant and any pattern grant that covers it.
        const effective = [grant, ...patterns.filter((p) => patternMatches(p.resourceId, id))].reduce((a, b) => (rankOf(b.permission) > rankOf(a.permission) ? b : a));
        rows.push({
          id, name, permission: effective.permission, can_manage: account.is_admin || rankOf(effective.permission) >= rankOf('MANAGE'),
          via: grant.via, role: grant.roleName, pattern: false,
        });
      }
      for (const p of patterns) {
        rows.push({ id: p.resourceId, name: null, permission: p.permission, can_manage: false, via: p.via, role: p.roleName, pattern: true });
      }
      return rows.sort((a, b) => Number(a.pattern) - Number(b.pattern) || (a.name ?? a.id).localeCompare(b.name ?? b.id));
    },

    async listCollaborators(actor: Actor, type: ResourceType, id: string): Promise<Collaborator[]> {
      const { api } = await authorize(actor, type, id);
      if (!api.canListCollaborators) {
        throw new AppError(501, 'not_supported_by_mlflow', 'This MLflow version (before 3.13) cannot list who has access. Look people up one by one by email instead.');
      }
      return mlflowCall(() => api.collaborators(type, id));
    },

    async getCollaborator(actor: Actor, type: ResourceType, id: string, username: string) {
      const { api } = await authorize(actor, type, id);
      await targetUser(username);
      const [direct, effective] = await mlflowCall(() => Promise.all([api.directPermission(username, type, id), api.effectivePermission(username, type, id)]));
      return { username, permission: direct, effective_permission: effective };
    },

    async setCollaborator(actor: Actor, type: ResourceType, id: string, username: string, permission: Permission) {
      const { api } = await authorize(actor, type, id);
      checkPermissionSupported(api, permission);
      await targetUser(username);
      const current = await mlflowCall(() => api.directPermission(username, type, id));
      if (current === 'MANAGE' && permission !== 'MANAGE') {
        const actorDirect = await mlflowCall(() => api.directPermission(actor.username, type, id));
        await ensureAnotherManager(api, actor, actorDirect === 'MANAGE', type, id, username);
      }
      await mlflowCall(() => api.setPermission(username, type, id, permission));
      return { username, permission, created: current === null };
    },

    async removeCollaborator(actor: Actor, type: ResourceType, id: string, username: string) {
      const { api } = await authorize(actor, type, id);
      await targetUser(username);
      const current = await mlflowCall(() => api.directPermission(username, type, id));
      if (current === null) throw new AppError(404, 'grant_not_found', `${username} has no direct permission on this resource.`);
      if (current === 'MANAGE') {
        const actorDirect = await mlflowCall(() => api.directPermission(actor.username, type, id));
        await ensureAnotherManager(api, actor, actorDirect === 'MANAGE', type, id, username);
      }
      await mlflowCall(() => api.revoke(username, type, id));
    },
  };
}

export type SharingService = ReturnType<typeof createSharingService>;
