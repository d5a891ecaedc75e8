/**
 * Versioned schema migrations, applied at start by Kysely's migrator: each runs once, in order, inside a
 * transaction, and is recorded in `kysely_migration`. Replicas starting together are serialised: on
 * PostgreSQL by the migrator's advisory lock, on SQLite by the file's write lock (see {@link underWriteLock}).
 *
 * Never edit a migration that has shipped: add the next one.
 */
import { sql, type Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationResultSet } from 'kysely/migration';
import type { Database, Schema } from './database.js';

type Kind = Database['kind'];

/** An auto-incrementing id column in each engine's own words. */
const idColumn = (kind: Kind) => (kind === 'postgres' ? 'bigserial' : 'integer');

function migrations(kind: Kind): Record<string, Migration> {
  return {
    '2026-11-30-01-registry': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('accounts')
          .addColumn('username', 'text', (c) => c.primaryKey())
          .addColumn('username_key', 'text', (c) => c.notNull().unique())
          .addColumn('issuer', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('bound_at', 'bigint', (c) => c.notNull())
          .addColumn('bound_by', 'text', (c) => c.notNull())
          .addColumn('last_eligible_at', 'bigint', (c) => c.notNull())
          .addColumn('disabled_at', 'bigint')
          .addColumn('disabled_reason', 'text')
          .addColumn('vault_cleanup_pending', 'integer', (c) => c.notNull().defaultTo(0))
          .addUniqueConstraint('accounts_identity', ['issuer', 'subject'])
          .execute();
        await db.schema.createIndex('accounts_last_eligible').on('accounts').column('last_eligible_at').execute();

        await db.schema
          .createTable('activity')
          .addColumn('id', idColumn(kind), (c) =>
            kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('request_id', 'text')
          .addColumn('actor_issuer', 'text')
          .addColumn('actor_subject', 'text')
          .addColumn('actor_email', 'text')
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('target_type', 'text', (c) => c.notNull())
          .addColumn('target_id', 'text', (c) => c.notNull())
          .addColumn('target_name', 'text')
          .addColumn('subject_username', 'text')
          .addColumn('permission', 'text')
          .addColumn('detail', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('activity_at').on('activity').column('at').execute();
        await db.schema
          .createIndex('activity_actor')
          .on('activity')
          .columns(['actor_issuer', 'actor_subject'])
          .execute();
        await db.schema.createIndex('activity_target').on('activity').columns(['target_type', 'target_id']).execute();
        await db.schema.createIndex('activity_subject').on('activity').column('subject_username').execute();

        await db.schema
          .createTable('leases')
          .addColumn('name', 'text', (c) => c.primaryKey())
          .addColumn('holder', 'text', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },

    '2026-11-30-02-machine-accounts-and-invitations': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('machine_accounts')
          .addColumn('username', 'text', (c) => c.primaryKey())
          .addColumn('owner', 'text', (c) => c.notNull())
          .addColumn('label', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('rotated_at', 'bigint')
          .addColumn('disabled_at', 'bigint')
          .addUniqueConstraint('machine_accounts_owner_label', ['owner', 'label'])
          .execute();
        await db.schema.createIndex('machine_accounts_owner').on('machine_accounts').column('owner').execute();

        await db.schema
          .createTable('invitations')
          .addColumn('id', idColumn(kind), (c) =>
            kind === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('resource_type', 'text', (c) => c.notNull())
          .addColumn('resource_id', 'text', (c) => c.notNull())
          .addColumn('email_key', 'text', (c) => c.notNull())
          .addColumn('permission', 'text', (c) => c.notNull())
          .addColumn('invited_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('invitations_grant', ['resource_type', 'resource_id', 'email_key'])
          .execute();
        await db.schema.createIndex('invitations_email').on('invitations').column('email_key').execute();
        await db.schema.createIndex('invitations_expiry').on('invitations').column('expires_at').execute();
      },
    },

    '2026-11-30-03-groups': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('group_roles')
          .addColumn('group_id', 'text', (c) => c.primaryKey())
          .addColumn('role_id', 'bigint', (c) => c.notNull().unique())
          .addColumn('role_name', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('group_sync')
          .addColumn('username', 'text', (c) => c.primaryKey())
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('attempted_at', 'bigint', (c) => c.notNull())
          .addColumn('synced_at', 'bigint')
          .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
          .execute();
      },
    },

    // INVITATIONS_PER_USER counts a person's live invitations at every new one.
    '2026-11-30-04-invitations-by-inviter': {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex('invitations_inviter').on('invitations').column('invited_by').execute();
      },
    },
  };
}

/** How often a replica retries when another one held SQLite's write lock through its whole wait. */
const SQLITE_ATTEMPTS = 5;

/**
 * SQLite: the whole migration in one `BEGIN IMMEDIATE` transaction on the single connection, so the file's
 * write lock is held from before the migrator reads what ran until it has recorded what it ran; a second
 * process waits (busy_timeout), then finds the migrations applied. Kysely's SQLite adapter takes no lock
 * and runs each statement on its own, so without this two replicas both create the first table and one fails.
 */
async function underWriteLock(
  db: Kysely<Schema>,
  migrate: (db: Kysely<Schema>) => Promise<MigrationResultSet>,
): Promise<MigrationResultSet> {
  try {
    return await db.connection().execute(async (connection) => {
      await sql`begin immediate`.execute(connection);
      try {
        const result = await migrate(connection);
        await sql.raw(result.error ? 'rollback' : 'commit').execute(connection);
        return result;
      } catch (err) {
        await sql`rollback`.execute(connection).catch(() => undefined);
        throw err;
      }
    });
  } catch (error) {
    return { error };
  }
}

/** Brings the schema to the latest version; throws with the failing migration's name. */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const provider = { getMigrations: () => Promise.resolve(migrations(database.kind)) };
  const migrate = (db: Kysely<Schema>) => new Migrator({ db, provider }).migrateToLatest();
  for (let attempt = 1; ; attempt++) {
    const { error, results = [] } =
      database.kind === 'sqlite' ? await underWriteLock(database.db, migrate) : await migrate(database.db);
    if (!error) return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
    const reason = error instanceof Error ? String(error) : JSON.stringify(error);
    const busy = database.kind === 'sqlite' && /SQLITE_BUSY|database is locked/i.test(reason);
    if (!busy || attempt >= SQLITE_ATTEMPTS) {
      const failed = results.find((r) => r.status === 'Error')?.migrationName;
      throw new Error(`Migrating the registry database failed${failed ? ` at ${failed}` : ''}: ${reason}`, {
        cause: error,
      });
    }
  }
}

/** For tests and `cli`: the version the schema is at. */
export async function schemaVersion(database: Database): Promise<string | null> {
  const rows = await sql<{ name: string }>`select name from kysely_migration order by name desc limit 1`.execute(
    database.db,
  );
  return rows.rows[0]?.name ?? null;
}
