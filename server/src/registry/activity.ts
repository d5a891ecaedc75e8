/**
 * The activity log: every state change, who made it, on what, and how it ended. Written by the account
 * and sharing services and by the maintenance job; read by `GET /api/me/activity` and the operator's
 * export. Records hold no password, token or secret: the columns have no place for one.
 */
import type { Insertable, Kysely, Selectable } from 'kysely';
import type { ActivityTable, Schema } from './database.js';

export type ActivityRecord = Selectable<ActivityTable>;

export type Action =
  | 'register'
  | 'claim'
  | 'password_change'
  | 'vault_repair'
  | 'reenable'
  | 'delete'
  | 'share_grant'
  | 'share_change'
  | 'share_revoke'
  | 'deprovision'
  | 'bind'
  | 'unbind'
  | 'invite'
  | 'invite_change'
  | 'invite_revoke'
  | 'invite_apply'
  | 'invite_expire'
  | 'machine_create'
  | 'machine_rotate'
  | 'machine_delete'
  | 'machine_disable'
  | 'sessions_end'
  | 'group_join'
  | 'group_leave'
  | 'group_grant'
  | 'group_change'
  | 'group_revoke';

/** Who acted: a signed-in identity, or the service itself (null fields). */
export interface Actor {
  issuer: string | null;
  subject: string | null;
  email: string | null;
}

export const SERVICE_ACTOR: Actor = { issuer: null, subject: null, email: null };

export interface ActivityEntry {
  actor: Actor;
  action: Action;
  target: { type: string; id: string; name?: string | null };
  subject?: string | null;
  permission?: string | null;
  detail?: string | null;
  /** `ok`, or the error code. */
  outcome: string;
  requestId?: string | null;
}

/** What one person may read: their own doings, what happened to their account, and to what they manage. */
export interface ActivityScope {
  actor: { issuer: string; subject: string };
  username: string | null;
  managed: Array<{ type: string; id: string }>;
  /**
   * The owner whose machine accounts' records are theirs to read too (`<owner>/<label>`, target type
   * `machine_account`, or the subject of a grant); usually `username`. Deleted ones included.
   */
  machineAccountsOf?: string | null;
}

export function createActivityLog(db: Kysely<Schema>, now: () => number = Date.now) {
  function row(entry: ActivityEntry): Insertable<ActivityTable> {
    return {
      at: now(),
      request_id: entry.requestId ?? null,
      actor_issuer: entry.actor.issuer,
      actor_subject: entry.actor.subject,
      actor_email: entry.actor.email,
      action: entry.action,
      target_type: entry.target.type,
      target_id: entry.target.id,
      target_name: entry.target.name ?? null,
      subject_username: entry.subject ?? null,
      permission: entry.permission ?? null,
      detail: entry.detail ?? null,
      outcome: entry.outcome,
    };
  }

  return {
    async record(entry: ActivityEntry): Promise<void> {
      await db.insertInto('activity').values(row(entry)).execute();
    },

    /** Newest first, `limit` at a time; `before` is the id of the last record of the previous page. */
    async page(scope: ActivityScope, options: { limit: number; before?: number }): Promise<ActivityRecord[]> {
      let query = db
        .selectFrom('activity')
        .selectAll()
        .where((eb) => {
          const mine = [
            eb.and([eb('actor_issuer', '=', scope.actor.issuer), eb('actor_subject', '=', scope.actor.subject)]),
          ];
          if (scope.username) {
            mine.push(eb.and([eb('target_type', '=', 'account'), eb('target_id', '=', scope.username)]));
            mine.push(eb('subject_username', '=', scope.username));
          }
          if (scope.machineAccountsOf) {
            const prefix = `${scope.machineAccountsOf}/`;
            // substr, not LIKE: exact and case-sensitive alike on SQLite and PostgreSQL, no escaping.
            const startsWithPrefix = (column: 'target_id' | 'subject_username') =>
              eb(eb.fn('substr', [column, eb.lit(1), eb.lit(prefix.length)]), '=', prefix);
            mine.push(eb.and([eb('target_type', '=', 'machine_account'), startsWithPrefix('target_id')]));
            mine.push(startsWithPrefix('subject_username'));
          }
          for (const resource of scope.managed) {
            mine.push(eb.and([eb('target_type', '=', resource.type), eb('target_id', '=', resource.id)]));
          }
          return eb.or(mine);
        })
        .orderBy('id', 'desc')
        .limit(options.limit);
      if (options.before !== undefined) query = query.where('id', '<', options.before);
      return query.execute();
    },

    /**
     * Attempts of one action by one identity since `since` that ended with `outcome` (any failure when
     * omitted): the claim form's brute-force guard counts wrong passwords.
     */
    async failuresSince(
      actor: { issuer: string; subject: string },
      action: Action,
      since: number,
      outcome?: string,
    ): Promise<number> {
      let query = db
        .selectFrom('activity')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('actor_issuer', '=', actor.issuer)
        .where('actor_subject', '=', actor.subject)
        .where('action', '=', action)
        .where('at', '>=', since);
      query = outcome === undefined ? query.where('outcome', '!=', 'ok') : query.where('outcome', '=', outcome);
      const result = await query.executeTakeFirstOrThrow();
      return Number(result.n);
    },

    /** Every record since `since`, oldest first, in batches: the export never holds the whole log in memory. */
    async *since(since: number, batch = 500): AsyncGenerator<ActivityRecord> {
      let after = 0;
      for (;;) {
        const rows = await db
          .selectFrom('activity')
          .selectAll()
          .where('at', '>=', since)
          .where('id', '>', after)
          .orderBy('id', 'asc')
          .limit(batch)
          .execute();
        yield* rows;
        if (rows.length < batch) return;
        after = rows.at(-1)!.id;
      }
    },

    /** How many records are older than `before`: what a prune would delete. */
    async countBefore(before: number): Promise<number> {
      const result = await db
        .selectFrom('activity')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('at', '<', before)
        .executeTakeFirstOrThrow();
      return Number(result.n);
    },

    /** Deletes records older than `before`; returns how many. */
    async prune(before: number): Promise<number> {
      const result = await db.deleteFrom('activity').where('at', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type ActivityLog = ReturnType<typeof createActivityLog>;
