/**
 * A lease: one replica at a time runs a named job. Claimed with one conditional write that both engines
 * serialise (PostgreSQL's row lock, SQLite's file lock), so it needs no engine-specific lock, and a
 * replica that dies mid-job frees the job when the lease expires.
 */
import type { Kysely } from 'kysely';
import type { Schema } from './database.js';

export function createLeases(db: Kysely<Schema>, now: () => number = Date.now) {
  return {
    /** Takes `name` for `ttlMs` unless another holder has it; returns whether `holder` holds it now. */
    async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
      const at = now();
      await db
        .insertInto('leases')
        .values({ name, holder: '', expires_at: 0 })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const taken = await db
        .updateTable('leases')
        .set({ holder, expires_at: at + ttlMs })
        .where('name', '=', name)
        .where((eb) => eb.or([eb('expires_at', '<=', at), eb('holder', '=', holder)]))
        .executeTakeFirst();
      return Number(taken.numUpdatedRows) === 1;
    },

    async release(name: string, holder: string): Promise<void> {
      await db
        .updateTable('leases')
        .set({ holder: '', expires_at: 0 })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .execute();
    },
  };
}
