/**
 * Machine accounts and their owners: one row per MLflow user a person owns for pipelines. The username
 * is the primary key and `(owner, label)` is unique, so two requests racing for one label cannot both
 * win. Rows go with the owner's account (`account/service.ts` removes them before the owner).
 */
import type { Kysely, Selectable } from 'kysely';
import type { MachineAccountsTable, Schema } from './database.js';

export type MachineAccountRow = Selectable<MachineAccountsTable>;

export function createMachineAccountRegistry(db: Kysely<Schema>, now: () => number = Date.now) {
  return {
    /** The owner's machine accounts, oldest first. */
    async ofOwner(owner: string): Promise<MachineAccountRow[]> {
      return db
        .selectFrom('machine_accounts')
        .selectAll()
        .where('owner', '=', owner)
        .orderBy('created_at')
        .orderBy('label')
        .execute();
    },

    async byLabel(owner: string, label: string): Promise<MachineAccountRow | undefined> {
      return db
        .selectFrom('machine_accounts')
        .selectAll()
        .where('owner', '=', owner)
        .where('label', '=', label)
        .executeTakeFirst();
    },

    async countOf(owner: string): Promise<number> {
      const result = await db
        .selectFrom('machine_accounts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('owner', '=', owner)
        .executeTakeFirstOrThrow();
      return Number(result.n);
    },

    /**
     * Records a new machine account. Returns false, changing nothing, when the username or the owner's
     * label is taken already.
     */
    async add(row: { username: string; owner: string; label: string }): Promise<boolean> {
      const result = await db
        .insertInto('machine_accounts')
        .values({ ...row, created_at: now(), rotated_at: null, disabled_at: null })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    /** A new password was set: the account works (again). */
    async markRotated(username: string): Promise<void> {
      await db
        .updateTable('machine_accounts')
        .set({ rotated_at: now(), disabled_at: null })
        .where('username', '=', username)
        .execute();
    },

    /** Disabled with its owner: its MLflow password is one nobody knows. */
    async markDisabled(username: string): Promise<void> {
      await db.updateTable('machine_accounts').set({ disabled_at: now() }).where('username', '=', username).execute();
    },

    async remove(username: string): Promise<void> {
      await db.deleteFrom('machine_accounts').where('username', '=', username).execute();
    },
  };
}

export type MachineAccountRegistry = ReturnType<typeof createMachineAccountRegistry>;
