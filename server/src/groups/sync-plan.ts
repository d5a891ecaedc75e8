/**
 * What one sign-in changes in MLflow: a pure function of the groups the person holds now, the group roles
 * this service made (the registry), and the roles MLflow says the person's user holds (read once).
 * Roles this service did not make (hand-made ones, MLflow's hidden `__user_<id>__`) are never touched.
 */
export interface GroupRole {
  groupId: string;
  roleId: number;
  roleName: string;
}

export interface SyncPlan {
  join: GroupRole[];
  leave: GroupRole[];
}

export function planSync(
  heldGroups: readonly string[],
  groupRoles: readonly GroupRole[],
  currentRoleIds: readonly number[],
): SyncPlan {
  const held = new Set(heldGroups);
  const current = new Set(currentRoleIds);
  return {
    join: groupRoles.filter((r) => held.has(r.groupId) && !current.has(r.roleId)),
    leave: groupRoles.filter((r) => !held.has(r.groupId) && current.has(r.roleId)),
  };
}
