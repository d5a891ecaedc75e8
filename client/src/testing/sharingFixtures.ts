import type { ResourceList, ResourceType, SharedResource, SharingCapabilities } from '../api/types';

export const RBAC: SharingCapabilities = {
  generation: 'rbac',
  can_list_collaborators: true,
  permissions: ['READ', 'USE', 'EDIT', 'MANAGE'],
};

export const LEGACY: SharingCapabilities = {
  generation: 'legacy',
  can_list_collaborators: false,
  permissions: ['READ', 'EDIT', 'MANAGE'],
};

/** A row of `GET /api/resources`; override what the test is about. */
export function resourceFixture(overrides: Partial<SharedResource> = {}): SharedResource {
  return { id: '1', name: 'team/exp ü', permission: 'MANAGE', can_manage: true, via: 'direct', role: null, pattern: false, ...overrides };
}

/** A `GET /api/resources` answer. */
export function resourceListFixture(
  type: ResourceType = 'experiment',
  resources: SharedResource[] = [resourceFixture()],
  capabilities: SharingCapabilities = RBAC,
): ResourceList {
  return { type, capabilities, resources };
}
