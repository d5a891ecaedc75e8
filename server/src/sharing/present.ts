/** The sharing API's wire format (snake_case, as in docs/api.md), shaped from the service's domain objects. */
import type { Collaborator, HeldResource } from './rules.js';
import type { SharingService } from './service.js';

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

export const presentCollaborator = (c: Collaborator) => ({
  username: c.username,
  permission: c.permission,
  via: c.via,
  role: c.roleName,
});
