/**
 * Sharing, with the admin account doing the work only after the signed-in person's own rights are
 * checked: they must hold MANAGE on the resource (directly or through a role), exactly what MLflow would
 * require if they called it themselves, and nobody may remove the last MANAGE grant on a resource.
 *
 * Cost: every MLflow call is a password-hash check for MLflow, so each action reads what it needs in one
 * call where the API allows (on MLflow 3.13+, `users/list` answers for everyone at once). A change costs
 * at most 4 calls: who holds what (1), whether the resource exists (0 when cached, else 1), and the change
 * (1, or 2 where MLflow has no update).
 */
import {
  grantNotFound,
  lastManager,
  notAManager,
  notRegistered,
  notSupportedByMlflow,
  permissionNotSupported,
  resourceNotFound,
  userNotRegistered,
} from '../errors.js';
import {
  PERMISSIONS,
  readAccess,
  type EffectivePermission,
  type Permission,
  type PermissionsApi,
  type ResourceType,
  type UserAccess,
} from '../mlflow/permissions.js';
import { AppError } from '../errors.js';
import type { Action, Actor as ActivityActor } from '../registry/activity.js';
import type { Audit } from '../registry/audit.js';
import { usernameKey } from '../registry/accounts.js';
import type { ResourceNames } from './resource-names.js';
import type { ResourceLock } from './resource-lock.js';
import type { Invitation, Invitations } from './invitations.js';
import {
  anotherManagerRemains,
  collaboratorsOf,
  directPermission,
  effectivePermission,
  heldResources,
  mayManage,
  type Collaborator,
  type HeldResource,
} from './rules.js';

export interface Actor {
  /** The MLflow username of the account bound to the signed-in identity. */
  username: string;
  /** Who they are, for the activity log. */
  identity: ActivityActor;
  requestId?: string;
}

export interface SharingDeps {
  permissions: () => Promise<PermissionsApi>;
  names: ResourceNames;
  lock: ResourceLock;
  /** Records every grant change, and every refused attempt, in the activity log. */
  audit: Pick<Audit, 'write'>;
  /** Pending grants for emails without an account; without it, such a target is 404 `user_not_registered`. */
  invitations?: Invitations;
}

/** An invitation listed beside the people with access. */
export interface InvitedCollaborator {
  username: string;
  permission: Permission;
  via: 'invitation';
  roleName: null;
  expiresAt: number;
}

/** What one action needs to know about the people involved, read in as few MLflow calls as possible. */
interface Involved {
  actor: UserAccess;
  target: UserAccess | null;
  /** Everyone's grants (RBAC only), for the last-manager rule. */
  everyone: UserAccess[] | undefined;
}

export function createSharingService(deps: SharingDeps) {
  const { names } = deps;

  async function readInvolved(api: PermissionsApi, actor: Actor, target?: string): Promise<Involved> {
    const usernames = target === undefined ? [actor.username] : [actor.username, target];
    const { access, everyone } = await readAccess(api, usernames);
    const [actorAccess, targetAccess = null] = access;
    if (!actorAccess) throw notRegistered();
    return { actor: actorAccess, target: targetAccess, everyone };
  }

  /**
   * Refuses (403, MLflow untouched) unless the person may manage the resource; then requires it to exist,
   * and the target to have an account. With `invitable`, a target that may be invited instead (see
   * `invitations.ts`) passes with `target: null`: only a manager ever gets that far.
   */
  async function authorize(
    api: PermissionsApi,
    actor: Actor,
    type: ResourceType,
    id: string,
    target?: string,
    options: { invitable?: boolean } = {},
  ) {
    const involved = await readInvolved(api, actor, target);
    if (!mayManage(involved.actor, type, id)) throw notAManager();
    if (!(await names.find(type, id))) throw resourceNotFound(type, id);
    if (target !== undefined && !involved.target) {
      if (!(options.invitable && deps.invitations && (await deps.invitations.invitable(target))))
        throw userNotRegistered(target);
    }
    return involved;
  }

  /** 409 when removing or lowering `target`'s direct MANAGE would leave nobody managing the resource. */
  function ensureAnotherManager(
    api: PermissionsApi,
    involved: Involved,
    type: ResourceType,
    id: string,
    target: string,
  ) {
    if (involved.everyone) {
      if (anotherManagerRemains(involved.everyone, type, id, target)) return;
    } else if (target !== involved.actor.username && directPermission(involved.actor, type, id) === 'MANAGE') {
      return; // the legacy generation cannot list managers: the actor holds MANAGE themselves and stays
    }
    throw lastManager(api.canListCollaborators);
  }

  /**
   * Runs a grant change and records it, refused or done. The action is known only once the current grant
   * has been read (a grant or a change), so `run` reports it.
   */
  async function recorded<T>(
    actor: Actor,
    change: { type: ResourceType; id: string; username: string; permission: Permission | null; action: Action },
    run: () => Promise<{ result: T; action: Action; subject?: string }>,
  ): Promise<T> {
    const entry = async (action: Action, outcome: string, subject = change.username) => {
      const name =
        change.type === 'experiment'
          ? ((await names.find(change.type, change.id).catch(() => null))?.name ?? null)
          : null;
      await deps.audit.write({
        actor: actor.identity,
        action,
        target: { type: change.type, id: change.id, name },
        subject,
        permission: change.permission,
        outcome,
        requestId: actor.requestId,
      });
    };
    try {
      const { result, action, subject } = await run();
      await entry(action, 'ok', subject);
      return result;
    } catch (err) {
      await entry(change.action, err instanceof AppError ? err.code : 'internal_error');
      throw err;
    }
  }

  return {
    /** The resources the person may manage (not patterns): whose activity they may read. One MLflow call. */
    async managedResources(actor: Actor): Promise<Array<{ type: ResourceType; id: string }>> {
      const api = await deps.permissions();
      const access = await api.userAccess(actor.username);
      if (!access) return [];
      return (['experiment', 'registered_model', 'prompt'] as const).flatMap((type) =>
        heldResources(access, type)
          .filter((r) => r.canManage && !r.pattern)
          .map((r) => ({ type, id: r.id })),
      );
    },

    async capabilities() {
      const api = await deps.permissions();
      return {
        generation: api.generation,
        canListCollaborators: api.canListCollaborators,
        permissions: PERMISSIONS.filter((p) => api.supports(p)),
      };
    },

    /** The resources of one type the person holds a grant on, with names; gone resources are left out. */
    async listResources(actor: Actor, type: ResourceType): Promise<Array<HeldResource & { name: string | null }>> {
      const api = await deps.permissions();
      const { actor: access } = await readInvolved(api, actor);
      const held = heldResources(access, type);
      const ids = held.filter((r) => !r.pattern).map((r) => r.id);
      const existing =
        type === 'experiment'
          ? await names.experimentNames(ids)
          : new Map([...(await names.existingModels(ids))].map((n) => [n, n]));
      return held
        .flatMap((r): Array<HeldResource & { name: string | null }> => {
          if (r.pattern) return [{ ...r, name: null }];
          const name = existing.get(r.id);
          return name === undefined ? [] : [{ ...r, name }];
        })
        .sort((a, b) => Number(a.pattern) - Number(b.pattern) || (a.name ?? a.id).localeCompare(b.name ?? b.id));
    },

    /** Everyone with a grant, then the emails invited (pending grants). */
    async listCollaborators(
      actor: Actor,
      type: ResourceType,
      id: string,
    ): Promise<Array<Collaborator | InvitedCollaborator>> {
      const api = await deps.permissions();
      if (!api.canListCollaborators) {
        await authorize(api, actor, type, id);
        throw notSupportedByMlflow();
      }
      const everyone = (await api.everyone())!;
      const self = everyone.find((u) => u.username === actor.username);
      if (!self) throw notRegistered();
      if (!mayManage(self, type, id)) throw notAManager();
      if (!(await names.find(type, id))) throw resourceNotFound(type, id);
      const invited = deps.invitations ? await deps.invitations.forResource(type, id) : [];
      return [...collaboratorsOf(everyone, type, id), ...invited.map(asCollaborator)];
    },

    /** One person's grants; for an invited email, its pending grant (`pending`), on both generations. */
    async getCollaborator(actor: Actor, type: ResourceType, id: string, username: string) {
      const api = await deps.permissions();
      const { target } = await authorize(api, actor, type, id, username, { invitable: true });
      if (!target) {
        const invitation = await deps.invitations!.find(type, id, username);
        if (!invitation) throw userNotRegistered(username);
        return {
          username: invitation.email,
          permission: null,
          effectivePermission: 'NO_PERMISSIONS' as EffectivePermission,
          pending: invitation as Invitation | null,
        };
      }
      return {
        username,
        permission: directPermission(target, type, id),
        effectivePermission: effectivePermission(target, type, id),
        pending: null as Invitation | null,
      };
    },

    /**
     * Creates or changes `username`'s direct grant; `created` tells which. An email without an account is
     * invited instead: `pending` then holds the invitation (created, or changed and renewed).
     */
    async setCollaborator(actor: Actor, type: ResourceType, id: string, username: string, permission: Permission) {
      return recorded(actor, { type, id, username, permission, action: 'share_grant' }, async () => {
        const api = await deps.permissions();
        if (!api.supports(permission)) throw permissionNotSupported(permission);
        const result = await deps.lock.run(`${type}:${id}`, async () => {
          const involved = await authorize(api, actor, type, id, username, { invitable: true });
          if (!involved.target) {
            const { invitation, created } = await deps.invitations!.put(actor.username, type, id, username, permission);
            return { username: invitation.email, permission, created, pending: invitation };
          }
          const current: EffectivePermission | null = directPermission(involved.target, type, id);
          if (current === 'MANAGE' && permission !== 'MANAGE') ensureAnotherManager(api, involved, type, id, username);
          // A grant given directly supersedes an invitation still waiting for the same email.
          await deps.invitations?.revoke(type, id, username);
          await api.setPermission(username, type, id, permission, current);
          return { username, permission, created: current === null, pending: null as Invitation | null };
        });
        if (result.pending)
          return { result, action: result.created ? 'invite' : 'invite_change', subject: result.username };
        return { result, action: result.created ? 'share_grant' : 'share_change' };
      });
    },

    /** Removes `username`'s direct grant, or revokes the invitation of an email without an account. */
    async removeCollaborator(actor: Actor, type: ResourceType, id: string, username: string) {
      await recorded(actor, { type, id, username, permission: null, action: 'share_revoke' }, async () => {
        const api = await deps.permissions();
        const invited = await deps.lock.run(`${type}:${id}`, async () => {
          const involved = await authorize(api, actor, type, id, username, { invitable: true });
          if (!involved.target) {
            if (!(await deps.invitations!.revoke(type, id, username))) throw userNotRegistered(username);
            return true;
          }
          const current = directPermission(involved.target, type, id);
          if (current === null) {
            // Registered, but the invitation is not applied yet (it is at their next visit): revoke that.
            if (await deps.invitations?.revoke(type, id, username)) return true;
            throw grantNotFound(username);
          }
          if (current === 'MANAGE') ensureAnotherManager(api, involved, type, id, username);
          // Nothing may give back at their next visit what is taken away now (revoked first, so that a
          // failure of the registry leaves MLflow as it was).
          await deps.invitations?.revoke(type, id, username);
          await api.revoke(username, type, id);
          return false;
        });
        return invited
          ? { result: undefined, action: 'invite_revoke' as const, subject: usernameKey(username) }
          : { result: undefined, action: 'share_revoke' as const };
      });
    },
  };
}

/** An invitation as a row of the collaborator list. */
const asCollaborator = (invitation: Invitation): InvitedCollaborator => ({
  username: invitation.email,
  permission: invitation.permission,
  via: 'invitation',
  roleName: null,
  expiresAt: invitation.expiresAt,
});

export type SharingService = ReturnType<typeof createSharingService>;
