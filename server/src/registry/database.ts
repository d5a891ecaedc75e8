/**
 * The service's own database: the account registry, the activity log and the maintenance lease.
 *
 * One schema, two engines behind Kysely: PostgreSQL when `DATABASE_URL` (or `SESSION_DATABASE_URL`) is set,
 * which several replicas share; otherwise a SQLite file in `DATA_DIR`, created on first start, through
 * Node's built-in `node:sqlite` (no native add-on to build). Timestamps are epoch milliseconds in a
 * `bigint` column on both engines, so comparisons and the controllable clock of the tests work alike.
 * @see https://kysely.dev/docs/dialects
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql, type Generated } from 'kysely';
import type { DatabaseSync } from 'node:sqlite';
import type { Config } from '../config.js';

/** An MLflow account this service knows the owner of: one row per account, one account per identity. */
export interface AccountsTable {
  /** The MLflow username, exactly as MLflow spells it (accounts from before the registry may hold capitals). */
  username: string;
  /** `username` lower-cased, unique: look-ups by email tolerate letter case. */
  username_key: string;
  /** The OpenID provider's `iss` and the person's `sub` there: who owns the account. */
  issuer: string;
  subject: string;
  /** The email the owner last signed in with (it may differ from `username` after a change at the provider). */
  email: string;
  bound_at: number;
  /** How the binding was made: at registration, by proving the MLflow password, by the Vault copy, or by an operator. */
  bound_by: 'registration' | 'claim' | 'vault' | 'operator';
  /** The last time the owner signed in while eligible; deprovisioning counts from here. */
  last_eligible_at: number;
  /** Set while the account is disabled (its MLflow password replaced by a random one). */
  disabled_at: number | null;
  disabled_reason: 'inactive' | 'ineligible' | null;
  /** 1 when a disabling could not remove the Vault copy (it needs the owner's token): done at their next visit. */
  vault_cleanup_pending: number;
}

/** One state change, as it happened. Never a password or a token. */
export interface ActivityTable {
  id: Generated<number>;
  at: number;
  request_id: string | null;
  /** The acting identity; all null when the service itself acted (the deprovisioning sweep, an operator command). */
  actor_issuer: string | null;
  actor_subject: string | null;
  actor_email: string | null;
  action: string;
  /** `account`, or the resource type of a sharing change. */
  target_type: string;
  /** The account's username, or the resource id. */
  target_id: string;
  /** The resource's name when it has one besides its id (experiments). */
  target_name: string | null;
  /** For sharing: whose grant changed. */
  subject_username: string | null;
  /** For sharing: the permission granted (null on revoke). */
  permission: string | null;
  /** A word more about the action where it has variants (why an account was disabled). */
  detail: string | null;
  /** `ok`, or the error code the action ended with. */
  outcome: string;
}

/** A named job that one replica at a time may run, until `expires_at`. */
interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/**
 * An MLflow user a person owns for pipelines. Its username is `<owner username>/<label>`: an MLflow
 * username can hold a `/`, an email address cannot, so it is never anyone's email and never another's.
 */
export interface MachineAccountsTable {
  username: string;
  /** The owner's MLflow username (`accounts.username`): they go with it. */
  owner: string;
  /** What the owner calls it: 1–32 of a-z, 0-9 and `-`, starting with a letter or digit. */
  label: string;
  created_at: number;
  rotated_at: number | null;
  /** Set while disabled with its owner (random MLflow password). */
  disabled_at: number | null;
}

/** A grant waiting for an email that has no MLflow account yet; applied when that email registers. */
export interface InvitationsTable {
  id: Generated<number>;
  resource_type: string;
  resource_id: string;
  /** The invited email, lower-cased (the username it will register as). */
  email_key: string;
  permission: string;
  /** The MLflow username of the manager who invited. */
  invited_by: string;
  created_at: number;
  expires_at: number;
}

/** The MLflow role this service made for a shareable group (`groups/patterns.ts`), made when first shared. */
interface GroupRolesTable {
  /** `<kind>:<value>`, e.g. `realm_role:team-vision`. */
  group_id: string;
  role_id: number;
  role_name: string;
  created_at: number;
  /** The MLflow username of the manager who first shared with the group. */
  created_by: string;
}

/** How the last sign-in's group membership sync of an account ended. */
interface GroupSyncTable {
  username: string;
  /** `ok`, or the error code of the failure (retried at the next sign-in). */
  outcome: string;
  attempted_at: number;
  /** The last sync that ended `ok`. */
  synced_at: number | null;
  /** The group ids whose roles the account held after the last sync that ended `ok` (JSON array). */
  groups: string;
}

export interface Schema {
  accounts: AccountsTable;
  group_roles: GroupRolesTable;
  group_sync: GroupSyncTable;
  activity: ActivityTable;
  leases: LeasesTable;
  machine_accounts: MachineAccountsTable;
  invitations: InvitationsTable;
}

export interface Database {
  db: Kysely<Schema>;
  kind: 'postgres' | 'sqlite';
  /** Readiness: can the database be reached? */
  check(): Promise<{ ok: boolean; message: string }>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** How long opening the SQLite file waits for another process that holds it. */
const SQLITE_OPEN_WAIT_MS = 15_000;

/** Runs `step` until it no longer meets a locked file, for at most {@link SQLITE_OPEN_WAIT_MS}. */
function retryWhileLocked(step: () => void): void {
  const deadline = Date.now() + SQLITE_OPEN_WAIT_MS;
  for (;;) {
    try {
      step();
      return;
    } catch (err) {
      if (!/database is locked|SQLITE_BUSY/i.test(String(err)) || Date.now() > deadline) throw err;
      // A synchronous pause: this runs once per process, while it opens its database.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
}

/**
 * Kysely's SQLite dialect speaks to a better-sqlite3-shaped object; `node:sqlite` needs only this adapter.
 * `busy_timeout` makes a second process wait for the file's write lock instead of failing at once.
 */
function nodeSqlite(file: string) {
  const { DatabaseSync: Sqlite } = require('node:sqlite') as { DatabaseSync: typeof DatabaseSync };
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Sqlite(file);
  db.exec('PRAGMA busy_timeout = 15000');
  // Switching to WAL needs the file to itself, and SQLite answers "database is locked" at once, without its
  // busy handler, while another process holds it (replicas opening a fresh file together): wait and retry.
  retryWhileLocked(() => db.exec('PRAGMA journal_mode = WAL'));
  db.exec('PRAGMA synchronous = NORMAL');
  type Param = null | number | bigint | string | Uint8Array;
  const params = (values: ReadonlyArray<unknown>) => values as Param[];
  return {
    close: () => db.close(),
    prepare(query: string) {
      const statement = db.prepare(query);
      return {
        reader: statement.columns().length > 0,
        all: (values: ReadonlyArray<unknown>) => statement.all(...params(values)),
        run: (values: ReadonlyArray<unknown>) => {
          const { changes, lastInsertRowid } = statement.run(...params(values));
          return { changes, lastInsertRowid };
        },
        iterate: (values: ReadonlyArray<unknown>) => statement.iterate(...params(values)),
      };
    },
  };
}

export function openDatabase(settings: Config['database']): Database {
  if (settings.kind === 'sqlite') {
    const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: nodeSqlite(settings.file) }) });
    return {
      db,
      kind: 'sqlite',
      async check() {
        try {
          await sql`select 1`.execute(db);
          return { ok: true, message: 'ok' };
        } catch {
          return {
            ok: false,
            message: 'The registry file in DATA_DIR cannot be read: check the directory and its permissions.',
          };
        }
      },
      close: () => db.destroy(),
    };
  }
  // Loaded only here: a single instance on SQLite never pays for the PostgreSQL driver.
  const pg = require('pg') as typeof import('pg');
  const int8 = 20;
  const defaultParser = pg.types.getTypeParser.bind(pg.types) as (oid: number, format?: 'text' | 'binary') => unknown;
  const pool = new pg.Pool({
    connectionString: settings.url,
    max: 5,
    connectionTimeoutMillis: 5_000,
    // Epoch milliseconds and ids fit a double exactly; without this, pg hands bigint columns over as strings.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === int8 ? Number : defaultParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => undefined);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    async check() {
      try {
        await sql`select 1`.execute(db);
        return { ok: true, message: 'ok' };
      } catch {
        return { ok: false, message: 'The registry database cannot be reached: check DATABASE_URL.' };
      }
    },
    close: () => db.destroy(),
  };
}
