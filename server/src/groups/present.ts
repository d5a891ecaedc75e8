/** Group sharing's wire format (snake_case, as in docs/api.md). */
import type { GroupGrant, GroupService } from './service.js';

type Overview = Awaited<ReturnType<GroupService['overview']>>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const presentGroups = (o: Overview) => ({
  enabled: o.enabled,
  supported: o.supported,
  groups: o.groups.map((g) => ({ id: g.id, kind: g.kind, value: g.value, role: g.role, shared: g.role !== null })),
  sync: o.sync
    ? {
        outcome: o.sync.outcome,
        attempted_at: iso(o.sync.attemptedAt),
        synced_at: iso(o.sync.syncedAt),
        groups: o.sync.groups,
      }
    : null,
});

export const presentGroupGrant = (g: GroupGrant) => ({
  group: g.group,
  role: g.roleName,
  permission: g.permission,
  members: g.members,
});
