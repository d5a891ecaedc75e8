import { vi } from 'vitest';
import { computed } from 'vue';
import type { ApiError } from '../api';
import type { ResourceList, ResourceType, SharedResource, SharingCapabilities } from '../api/types';
import type { AccessRow, CollaboratorMode, Collaborators } from '../composables/useCollaborators';

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
  return {
    id: '1',
    name: 'team/exp ü',
    permission: 'MANAGE',
    can_manage: true,
    via: 'direct',
    role: null,
    pattern: false,
    ...overrides,
  };
}

/** A `GET /api/resources` answer. */
export function resourceListFixture(
  type: ResourceType = 'experiment',
  resources: SharedResource[] = [resourceFixture()],
  capabilities: SharingCapabilities = RBAC,
): ResourceList {
  return { type, capabilities, resources };
}

/**
 * A stand-in for `useCollaborators` frozen in one state, for the "Manage access" parts that only show it
 * and call its actions (which are `vi.fn()`s: `load` and `remove` resolve, the others return undefined).
 */
export function collaboratorsStub(
  state: { mode?: CollaboratorMode; rows?: AccessRow[]; loading?: boolean; loadError?: ApiError | null } = {},
): Collaborators {
  return {
    mode: computed(() => state.mode ?? 'list'),
    rows: computed(() => state.rows ?? []),
    loading: computed(() => state.loading ?? false),
    loadError: computed(() => state.loadError ?? null),
    load: vi.fn(async () => {}),
    lookup: vi.fn(),
    share: vi.fn(),
    remove: vi.fn(async () => {}),
  };
}
