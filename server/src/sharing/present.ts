/** The sharing API's wire format (snake_case, as in docs/api.md), shaped from the service's domain objects. */
import type { Collaborator, HeldResource } from './rules.js';
import type { Invitation, SharedWithYou } from './invitations.js';
import type { InvitedCollaborator, SharingService } from './service.js';

type Capabilities = Awaited<ReturnType<SharingService['capabilities']>>;

export const presentCapabilities = (c: Capabilities) => ({
  generation: c.generation,
  can_list_collaborators: c.canListCollaborators,
  permissions: c.permissions,
});

export const presentResource = (r: HeldResource & { name: string | null }) => ({
  id: r.id,
  name: r.name,
  permission: r.permission,
  can_manage: r.canManage,
  via: r.via,
  role: r.roleName,
  pattern: r.pattern,
});

const iso = (ms: number) => new Date(ms).toISOString();

/** A person with a grant, or an invited email (`via: "invitation"`, with its `expires_at`). */
export const presentCollaborator = (c: Collaborator | InvitedCollaborator) => ({
  username: c.username,
  permission: c.permission,
  via: c.via,
  role: c.roleName,
  ...(c.via === 'invitation' ? { expires_at: iso(c.expiresAt) } : {}),
});

/** The pending grant of an invited email, in a look-up. */
export const presentPending = (invitation: Invitation | null) =>
  invitation ? { permission: invitation.permission, expires_at: iso(invitation.expiresAt) } : null;

/** The answer to sharing with an email that has no account yet (202). */
export const presentInvitation = (invitation: Invitation) => ({
  username: invitation.email,
  permission: invitation.permission,
  pending: true,
  expires_at: iso(invitation.expiresAt),
});

/** `shared_with_you` of `/api/me`: the invitations applied to the person's account just now. */
export const presentSharedWithYou = (applied: readonly SharedWithYou[] = []) =>
  applied.map((a) => ({ type: a.type, id: a.id, name: a.name, permission: a.permission, invited_by: a.invitedBy }));
