/**
 * Group sharing's own records: which MLflow role this service made for which shareable group (so a role of
 * the same name made by hand is never adopted), and how each account's last membership sync ended (shown
 * on the Sharing page, retried at the next sign-in).
 */
import type { Kysely } from 'kysely';
import type { Schema } from './database.js';
import type { GroupRole } from '../groups/sync-plan.js';

export interface GroupSyncState {
  outcome: string;
  attemptedAt: number;
  syncedAt: number | null;
  groups: string[];
}

const asGroupRole = (r: { group_id: string; role_id: number; role_name: string }): GroupRole => ({
  groupId: r.group_id,
  roleId: Number(r.role_id),
  roleName: r.role_name,
});

export function createGroupRegistry(db: Kysely<Schema>, now: () => number = Date.now) {
  return {
    async roleOf(groupId: string): Promise<GroupRole | undefined> {
      const row = await db.selectFrom('group_roles').selectAll().where('group_id', '=', groupId).executeTakeFirst();
      return row && asGroupRole(row);
    },

    /** Every group role this service made (one row per group that was ever shared with). */
    async allRoles(): Promise<GroupRole[]> {
      return (await db.selectFrom('group_roles').selectAll().orderBy('group_id').execute()).map(asGroupRole);
    },

    /** Records a role just made; a concurrent maker's row wins (the caller reads it back). */
    async addRole(role: GroupRole, createdBy: string): Promise<GroupRole> {
      await db
        .insertInto('group_roles')
        .values({
          group_id: role.groupId,
          role_id: role.roleId,
          role_name: role.roleName,
          created_at: now(),
          created_by: createdBy,
        })
        .onConflict((oc) => oc.doNothing())
        .execute();
      return (await this.roleOf(role.groupId)) ?? role;
    },

    /** Forgets a role MLflow no longer has (deleted by hand), so the next share makes it again. */
    async forgetRole(groupId: string): Promise<void> {
      await db.deleteFrom('group_roles').where('group_id', '=', groupId).execute();
    },

    async syncState(username: string): Promise<GroupSyncState | undefined> {
      const row = await db.selectFrom('group_sync').selectAll().where('username', '=', username).executeTakeFirst();
      if (!row) return undefined;
      let groups: string[] = [];
      try {
        const parsed: unknown = JSON.parse(row.groups);
        if (Array.isArray(parsed)) groups = parsed.filter((g): g is string => typeof g === 'string');
      } catch {
        groups = [];
      }
      return {
        outcome: row.outcome,
        attemptedAt: Number(row.attempted_at),
        syncedAt: row.synced_at === null ? null : Number(row.synced_at),
        groups,
      };
    },

    /** Records how a sync ended; `groups` only on success (a failure keeps the last good set). */
    async recordSync(username: string, outcome: string, groups?: readonly string[]): Promise<void> {
      const at = now();
      const ok = outcome === 'ok' && groups !== undefined;
      const values = {
        username,
        outcome,
        attempted_at: at,
        synced_at: ok ? at : null,
        groups: JSON.stringify(ok ? [...groups] : []),
      };
      await db
        .insertInto('group_sync')
        .values(values)
        .onConflict((oc) =>
          oc
            .column('username')
            .doUpdateSet(
              ok ? { outcome, attempted_at: at, synced_at: at, groups: values.groups } : { outcome, attempted_at: at },
            ),
        )
        .execute();
    },

    async forgetSync(username: string): Promise<void> {
      await db.deleteFrom('group_sync').where('username', '=', username).execute();
    },
  };
}

export type GroupRegistry = ReturnType<typeof createGroupRegistry>;
