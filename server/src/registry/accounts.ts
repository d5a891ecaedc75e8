/**
 * Who owns which MLflow account: `(issuer, sub)` ↔ username. The database enforces both directions of
 * "one": the username is the primary key (and its lower-cased form is unique), the identity is unique.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AccountsTable, Schema } from './database.js';

export type AccountBinding = Selectable<AccountsTable>;

export interface IdentityRef {
  issuer: string;
  subject: string;
}

/** Look-ups by email or username tolerate letter case: `Grace@Example.org` finds `grace@example.org`. */
export const usernameKey = (username: string) => username.trim().toLowerCase();

export function createAccountRegistry(db: Kysely<Schema>, now: () => number = Date.now) {
  return {
    /** The account bound to this identity, if any. */
    async byIdentity(identity: IdentityRef): Promise<AccountBinding | undefined> {
      return db
        .selectFrom('accounts')
        .selectAll()
        .where('issuer', '=', identity.issuer)
        .where('subject', '=', identity.subject)
        .executeTakeFirst();
    },

    /** The binding of this username (any letter case), if any. */
    async byUsername(username: string): Promise<AccountBinding | undefined> {
      return db.selectFrom('accounts').selectAll().where('username_key', '=', usernameKey(username)).executeTakeFirst();
    },

    /**
     * Binds `username` to the identity. Returns false, changing nothing, when the username or the identity
     * is bound already (two requests racing to bind lose nothing: one wins, the other is told).
     */
    async bind(
      identity: IdentityRef & { email: string },
      username: string,
      boundBy: AccountBinding['bound_by'],
    ): Promise<boolean> {
      const at = now();
      const result = await db
        .insertInto('accounts')
        .values({
          username,
          username_key: usernameKey(username),
          issuer: identity.issuer,
          subject: identity.subject,
          email: identity.email,
          bound_at: at,
          bound_by: boundBy,
          last_eligible_at: at,
          disabled_at: null,
          disabled_reason: null,
          vault_cleanup_pending: 0,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    /** Forgets the owner of `username` (any letter case). Returns whether a binding was removed. */
    async unbind(username: string): Promise<boolean> {
      const result = await db
        .deleteFrom('accounts')
        .where('username_key', '=', usernameKey(username))
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async list(): Promise<AccountBinding[]> {
      return db.selectFrom('accounts').selectAll().orderBy('username_key').execute();
    },

    /** The owner signed in eligible: the deprovisioning clock starts again; the email they use now is kept. */
    async sawEligible(username: string, email: string): Promise<void> {
      await db
        .updateTable('accounts')
        .set({ last_eligible_at: now(), email })
        .where('username', '=', username)
        .execute();
    },

    /** Accounts not disabled whose owner was last seen eligible before `before`. */
    async staleSince(before: number): Promise<AccountBinding[]> {
      return db
        .selectFrom('accounts')
        .selectAll()
        .where('disabled_at', 'is', null)
        .where('last_eligible_at', '<', before)
        .orderBy('username_key')
        .execute();
    },

    async markDisabled(username: string, reason: 'inactive' | 'ineligible', vaultCleanupPending: boolean) {
      await db
        .updateTable('accounts')
        .set({ disabled_at: now(), disabled_reason: reason, vault_cleanup_pending: vaultCleanupPending ? 1 : 0 })
        .where('username', '=', username)
        .execute();
    },

    /** Enabled again with a new password (which Vault now holds): no pending removal of the Vault copy. */
    async markEnabled(username: string): Promise<void> {
      await db
        .updateTable('accounts')
        .set({ disabled_at: null, disabled_reason: null, last_eligible_at: now(), vault_cleanup_pending: 0 })
        .where('username', '=', username)
        .execute();
    },

    async vaultCleaned(username: string): Promise<void> {
      await db.updateTable('accounts').set({ vault_cleanup_pending: 0 }).where('username', '=', username).execute();
    },

    /** The account was deleted in MLflow: its binding goes too, so the email can register afresh. */
    async remove(username: string): Promise<void> {
      await db.deleteFrom('accounts').where('username', '=', username).execute();
    },
  };
}

export type AccountRegistry = ReturnType<typeof createAccountRegistry>;
