/**
 * Pending grants for emails that have no MLflow account yet: one per resource and email, applied when that
 * email registers (see `sharing/invitations.ts` for the rules). An invitation past `expires_at` counts as
 * gone at once, even before the maintenance job deletes it.
 */
import type { Kysely, Selectable } from 'kysely';
import type { InvitationsTable, Schema } from './database.js';

export type InvitationRecord = Selectable<InvitationsTable>;

export interface InvitationKey {
  resourceType: string;
  resourceId: string;
  /** The invited email, lower-cased. */
  emailKey: string;
}

export function createInvitationRegistry(db: Kysely<Schema>, now: () => number = Date.now) {
  const live = () => db.selectFrom('invitations').selectAll().where('expires_at', '>', now());

  return {
    /** The live invitation of this email to this resource, if any. */
    async find(key: InvitationKey): Promise<InvitationRecord | undefined> {
      return live()
        .where('resource_type', '=', key.resourceType)
        .where('resource_id', '=', key.resourceId)
        .where('email_key', '=', key.emailKey)
        .executeTakeFirst();
    },

    /** The live invitations to one resource, by email. */
    async forResource(resourceType: string, resourceId: string): Promise<InvitationRecord[]> {
      return live()
        .where('resource_type', '=', resourceType)
        .where('resource_id', '=', resourceId)
        .orderBy('email_key')
        .execute();
    },

    /** How many live invitations `invitedBy` (an MLflow username) has out, on every resource. */
    async countBy(invitedBy: string): Promise<number> {
      const row = await db
        .selectFrom('invitations')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('invited_by', '=', invitedBy)
        .where('expires_at', '>', now())
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** The live invitations of one email (lower-cased), oldest first. */
    async forEmail(emailKey: string): Promise<InvitationRecord[]> {
      return live().where('email_key', '=', emailKey).orderBy('id').execute();
    },

    /**
     * Creates the invitation, or (one per resource and email) sets its permission, inviter and expiry.
     * Returns the stored row.
     */
    async put(
      key: InvitationKey,
      values: { permission: string; invitedBy: string; expiresAt: number },
    ): Promise<InvitationRecord> {
      const at = now();
      await db
        .insertInto('invitations')
        .values({
          resource_type: key.resourceType,
          resource_id: key.resourceId,
          email_key: key.emailKey,
          permission: values.permission,
          invited_by: values.invitedBy,
          created_at: at,
          expires_at: values.expiresAt,
        })
        .onConflict((oc) =>
          oc.columns(['resource_type', 'resource_id', 'email_key']).doUpdateSet({
            permission: values.permission,
            invited_by: values.invitedBy,
            expires_at: values.expiresAt,
          }),
        )
        .execute();
      return db
        .selectFrom('invitations')
        .selectAll()
        .where('resource_type', '=', key.resourceType)
        .where('resource_id', '=', key.resourceId)
        .where('email_key', '=', key.emailKey)
        .executeTakeFirstOrThrow();
    },

    /** Deletes one invitation by id; returns whether it was still there. */
    async remove(id: number): Promise<boolean> {
      const result = await db.deleteFrom('invitations').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    /** Invitations whose expiry has passed (still stored until the maintenance job deletes them). */
    async expired(): Promise<InvitationRecord[]> {
      return db.selectFrom('invitations').selectAll().where('expires_at', '<=', now()).orderBy('id').execute();
    },
  };
}

export type InvitationRegistry = ReturnType<typeof createInvitationRegistry>;
