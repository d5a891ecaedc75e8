/**
 * The sharing rules, as pure functions over what MLflow reported: which permission a person holds on a
 * resource (directly, through a role, or through a pattern such as `*`), who manages it, and which
 * resources a person sees on the Sharing page. No I/O here, so every rule has a unit test.
 */
import type { EffectivePermission, HeldGrant, ResourceType, UserAccess } from '../mlflow/permissions.js';

const RANK = new Map<string, number>([
  ['NO_PERMISSIONS', 0],
  ['READ', 1],
  ['USE', 2],
  ['EDIT', 3],
  ['MANAGE', 4],
]);
/** Levels that take access away (MLflow 3.17's explicit deny): they outrank every grant. */
const DENYING = new Set(['DENY']);

/** The rank of a permission; levels this service does not know rank as no access, never as access. */
const rankOf = (permission: string): number => RANK.get(permission) ?? 0;
const canManage = (permission: string): boolean => rankOf(permission) >= rankOf('MANAGE');

/** Whether a role grant's resource pattern (an id, `*`, or a glob with `*`) covers the id. */
export function patternMatches(pattern: string, id: string): boolean {
  if (pattern === id || pattern === '*') return true;
  if (!pattern.includes('*')) return false;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
    's',
  );
  return re.test(id);
}

const covers = (g: HeldGrant, type: ResourceType, id: string) =>
  g.resourceType === type && patternMatches(g.resourceId, id);

/** The best of the grants that cover the resource; a deny among them wins, whatever else is held. */
export function effectivePermission(access: UserAccess, type: ResourceType, id: string): EffectivePermission {
  const matching = access.grants.filter((g) => covers(g, type, id));
  if (matching.some((g) => DENYING.has(g.permission))) return 'NO_PERMISSIONS';
  return matching.reduce<EffectivePermission>(
    (best, g) => (rankOf(g.permission) > rankOf(best) ? g.permission : best),
    'NO_PERMISSIONS',
  );
}

/** Whether the person may share the resource: an MLflow admin, or MANAGE through any grant. */
export function mayManage(access: UserAccess, type: ResourceType, id: string): boolean {
  return access.isAdmin || canManage(effectivePermission(access, type, id));
}

/** The user's own direct grant on exactly this resource, or `null`. */
export function directPermission(access: UserAccess, type: ResourceType, id: string): EffectivePermission | null {
  return (
    access.grants.find((g) => g.via === 'direct' && g.resourceType === type && g.resourceId === id)?.permission ?? null
  );
}

export interface Collaborator {
  username: string;
  permission: EffectivePermission;
  via: 'direct' | 'role';
  roleName: string | null;
}

/** Everyone holding a grant that covers the resource, one row per grant. */
export function collaboratorsOf(everyone: readonly UserAccess[], type: ResourceType, id: string): Collaborator[] {
  return everyone.flatMap((user) =>
    user.grants
      .filter((g) => covers(g, type, id))
      .map((g) => ({ username: user.username, permission: g.permission, via: g.via, roleName: g.roleName })),
  );
}

/**
 * Whether someone still manages the resource once `target`'s direct grant is gone: another person with
 * MANAGE, or the target themselves through a role. Denied users count for nothing.
 */
export function anotherManagerRemains(
  everyone: readonly UserAccess[],
  type: ResourceType,
  id: string,
  target: string,
): boolean {
  return everyone.some((user) => {
    const rest =
      user.username === target
        ? {
            ...user,
            grants: user.grants.filter((g) => !(g.via === 'direct' && g.resourceType === type && g.resourceId === id)),
          }
        : user;
    return canManage(effectivePermission(rest, type, id));
  });
}

/**
 * Whether someone still manages the resource once the role `roleName` (a group's role) no longer grants on
 * it. A group's MANAGE counts only through its members: MLflow reports role grants on the users assigned
 * to the role, so a group nobody has joined yet manages nothing.
 */
export function managerRemainsWithoutRole(
  everyone: readonly UserAccess[],
  type: ResourceType,
  id: string,
  roleName: string,
): boolean {
  return everyone.some((user) =>
    canManage(
      effectivePermission(
        { ...user, grants: user.grants.filter((g) => !(g.roleName === roleName && covers(g, type, id))) },
        type,
        id,
      ),
    ),
  );
}

/** How many people a role has, as far as MLflow's users list tells: the users carrying any of its grants. */
export function membersOfRole(everyone: readonly UserAccess[], roleName: string): number {
  return everyone.filter((u) => u.grants.some((g) => g.via === 'role' && g.roleName === roleName)).length;
}

/** One row of the Sharing page: a resource the person holds a grant on, or a pattern grant. */
export interface HeldResource {
  id: string;
  permission: EffectivePermission;
  canManage: boolean;
  via: 'direct' | 'role';
  roleName: string | null;
  pattern: boolean;
}

/**
 * The resources of one type the person holds grants on: one row per resource with the best grant that
 * names it (a direct grant wins a tie, since that is the one the person can change), its permission
 * raised by any pattern grant that covers it, and one row per pattern grant shown as what it is.
 */
export function heldResources(access: UserAccess, type: ResourceType): HeldResource[] {
  const grants = access.grants.filter((g) => g.resourceType === type);
  const byId = new Map<string, HeldGrant>();
  for (const g of grants) {
    if (g.pattern) continue;
    const prev = byId.get(g.resourceId);
    if (
      !prev ||
      rankOf(g.permission) > rankOf(prev.permission) ||
      (rankOf(g.permission) === rankOf(prev.permission) && g.via === 'direct')
    ) {
      byId.set(g.resourceId, g);
    }
  }
  const rows: HeldResource[] = [...byId.values()].map((g) => {
    const permission = effectivePermission({ ...access, grants }, type, g.resourceId);
    return {
      id: g.resourceId,
      permission,
      canManage: access.isAdmin || canManage(permission),
      via: g.via,
      roleName: g.roleName,
      pattern: false,
    };
  });
  for (const p of grants.filter((g) => g.pattern)) {
    rows.push({
      id: p.resourceId,
      permission: p.permission,
      canManage: false,
      via: p.via,
      roleName: p.roleName,
      pattern: true,
    });
  }
  return rows;
}
