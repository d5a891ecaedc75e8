/**
 * Where sessions live. With SESSION_DATABASE_URL: PostgreSQL through connect-pg-simple, so several
 * replicas share sessions (the table is created on first use, expired rows pruned periodically).
 * Without it: an in-memory store bounded by bytes that prunes expired sessions — for a single instance only.
 *
 * `pg` and `connect-pg-simple` are loaded only when SESSION_DATABASE_URL is set: a single instance with
 * in-memory sessions never pays for them (their code, a few MB of memory and start-up time).
 */
import { createRequire } from 'node:module';
import session from 'express-session';
import { MemorySessionStore, type SessionOwner, type SessionSummary } from './memory-session-store.js';
import './session-data.js';

export type { SessionOwner, SessionSummary } from './memory-session-store.js';

/** Both packages are CommonJS: `require` loads them synchronously, on first use. */
const require = createRequire(import.meta.url);

/**
 * A person's sessions, across replicas when they share the store: what "Your sign-in sessions"
 * (`sessions/`) lists and ends. It hands out session ids, which are bearer secrets: they stay on the server.
 */
export interface SessionDirectory {
  /** The live (unexpired) sessions signed in as this identity, in no particular order. */
  sessionsOf(owner: SessionOwner): Promise<SessionSummary[]>;
  /** Ends one session: its next request is not signed in. */
  destroy(sid: string): Promise<void>;
}

export interface SessionStoreHandle {
  store: session.Store;
  /** The same sessions, found by whose they are. */
  directory: SessionDirectory;
  kind: 'postgres' | 'memory';
  /** Readiness: can the store be reached? */
  check(): Promise<{ ok: boolean; message: string }>;
  close(): Promise<void>;
}

export interface SessionStoreOptions {
  databaseUrl: string | undefined;
  /** How often expired sessions are deleted, in seconds. */
  pruneIntervalSeconds?: number;
  onError?: (err: Error) => void;
}

const TABLE = 'signup_sessions';
/**
 * In-memory sessions hold at most this much JSON: about 13,000 sessions of typical claims (~2.4 KB), and
 * room left in the image's 64 MB old space for everything else.
 */
const MEMORY_SESSION_BYTES = 32 * 1024 * 1024;

/** connect-pg-simple's table, created once by whichever replica takes the lock first. */
async function createTable(pool: import('pg').Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('mlflow-signup:sessions-table', 0))");
    await client.query(`CREATE TABLE IF NOT EXISTS "${TABLE}" (
      "sid" varchar NOT NULL COLLATE "default" PRIMARY KEY,
      "sess" json NOT NULL,
      "expire" timestamp(6) NOT NULL)`);
    await client.query(`CREATE INDEX IF NOT EXISTS "IDX_${TABLE}_expire" ON "${TABLE}" ("expire")`);
    // Finds one person's sessions (`sessionsOf`) without reading every row. Added to existing tables on the
    // next start: the table holds only live sessions, so building it takes moments.
    await client.query(`CREATE INDEX IF NOT EXISTS "IDX_${TABLE}_user_sub" ON "${TABLE}" ((sess -> 'user' ->> 'sub'))`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Every store operation waits for the table (the first request of a new deployment included). */
function waitForTable(store: session.Store, ready: () => Promise<void>): void {
  const methods = store as unknown as Record<'get' | 'set' | 'destroy' | 'touch', (...args: unknown[]) => void>;
  for (const name of ['get', 'set', 'destroy', 'touch'] as const) {
    const original = methods[name].bind(store);
    methods[name] = (...args: unknown[]) => {
      const callback = args.at(-1);
      ready().then(
        () => original(...args),
        (err: unknown) => (typeof callback === 'function' ? (callback as (e: unknown) => void)(err) : undefined),
      );
    };
  }
}

type SetMethod = (sid: string, data: session.SessionData, callback?: (err?: unknown) => void) => void;

/**
 * A session that was read from the store and is saved back is only updated, never stored anew: once it has
 * been ended (signed out, or ended from the list of sign-ins on any replica), a request of that session
 * still in flight cannot bring it back by saving it at its end. New sessions (a sign-in's, after
 * `regenerate`) are made by express-session's `generate`, not read from the store, and are stored as usual.
 */
function keepEndedSessionsEnded(store: session.Store, update: SetMethod): void {
  const loaded = new WeakSet<object>();
  const createSession = store.createSession.bind(store);
  store.createSession = (req, data) => {
    const made = createSession(req, data);
    loaded.add(made);
    return made;
  };
  const set: SetMethod = store.set.bind(store);
  store.set = (sid, data, callback) => (loaded.has(data) ? update(sid, data, callback) : set(sid, data, callback));
}

/** When a stored session expires, in seconds since the epoch, as connect-pg-simple computes it. */
function expiresAt(data: session.SessionData): number {
  const expires = data.cookie?.expires;
  return Math.ceil((expires ? new Date(expires).getTime() : Date.now() + 24 * 60 * 60 * 1000) / 1000);
}

export function createSessionStore(options: SessionStoreOptions): SessionStoreHandle {
  const pruneSeconds = options.pruneIntervalSeconds ?? 15 * 60;
  if (options.databaseUrl) {
    const connectPgSimple = require('connect-pg-simple') as typeof import('connect-pg-simple');
    const pg = require('pg') as typeof import('pg');
    const PgStore = connectPgSimple(session);
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 5, connectionTimeoutMillis: 5_000 });
    pool.on('error', (err) => options.onError?.(err));
    const store = new PgStore({
      pool,
      tableName: TABLE,
      // Created here instead, under a lock: replicas starting together would race connect-pg-simple's
      // own CREATE TABLE and fail on PostgreSQL's catalogue ("duplicate key … pg_type_typname_nsp_index").
      createTableIfMissing: false,
      pruneSessionInterval: pruneSeconds,
      errorLog: (...args: unknown[]) =>
        options.onError?.(args[0] instanceof Error ? args[0] : new Error(String(args.join(' ')))),
    });
    let table: Promise<void> | undefined;
    const ensureTable = (): Promise<void> =>
      (table ??= createTable(pool).catch((err: unknown) => {
        table = undefined;
        throw err;
      }));
    keepEndedSessionsEnded(store, (sid, data, callback) => {
      pool
        .query(`UPDATE "${TABLE}" SET sess = $1, expire = to_timestamp($2) WHERE sid = $3`, [
          data,
          expiresAt(data),
          sid,
        ])
        .then(
          () => callback?.(),
          (err: unknown) => callback?.(err),
        );
    });
    waitForTable(store, ensureTable);
    const directory: SessionDirectory = {
      async sessionsOf(owner) {
        await ensureTable();
        // Only what the list shows: the tokens and claims in `sess` never leave the database here.
        const { rows } = await pool.query<{
          sid: string;
          createdAt: unknown;
          lastSeenAt: unknown;
          device: unknown;
        }>(
          `SELECT sid, sess -> 'createdAt' AS "createdAt", sess -> 'lastSeenAt' AS "lastSeenAt",
                  sess -> 'device' AS "device"
             FROM "${TABLE}"
            WHERE sess -> 'user' ->> 'sub' = $1 AND sess -> 'user' ->> 'issuer' = $2
              AND expire >= to_timestamp($3)`,
          [owner.sub, owner.issuer, Date.now() / 1000],
        );
        return rows.map((row) => ({
          sid: row.sid,
          createdAt: typeof row.createdAt === 'number' ? row.createdAt : undefined,
          lastSeenAt: typeof row.lastSeenAt === 'number' ? row.lastSeenAt : undefined,
          device: typeof row.device === 'string' ? row.device : undefined,
        }));
      },
      async destroy(sid) {
        await ensureTable();
        await pool.query(`DELETE FROM "${TABLE}" WHERE sid = $1`, [sid]);
      },
    };
    return {
      store,
      directory,
      kind: 'postgres',
      async check() {
        try {
          await ensureTable();
          await new Promise<void>((resolve, reject) =>
            store.get('readiness-probe', (err: unknown) =>
              err ? reject(err instanceof Error ? err : new Error('session read failed')) : resolve(),
            ),
          );
          return { ok: true, message: 'The session database answers.' };
        } catch (err) {
          options.onError?.(err instanceof Error ? err : new Error('session database check failed'));
          return { ok: false, message: 'The session database cannot be reached: check SESSION_DATABASE_URL.' };
        }
      },
      async close() {
        store.close();
        await pool.end().catch(() => undefined);
      },
    };
  }
  const store = new MemorySessionStore({
    maxBytes: MEMORY_SESSION_BYTES,
    pruneIntervalMs: pruneSeconds * 1000,
    defaultTtlMs: 12 * 60 * 60 * 1000,
  });
  keepEndedSessionsEnded(store, (sid, data, callback) => store.replace(sid, data, callback));
  return {
    store,
    directory: {
      sessionsOf: (owner) => Promise.resolve(store.sessionsOf(owner)),
      destroy: (sid) => new Promise<void>((resolve) => store.destroy(sid, () => resolve())),
    },
    kind: 'memory',
    check: () => Promise.resolve({ ok: true, message: 'Sessions are kept in memory (single instance).' }),
    close() {
      store.close();
      return Promise.resolve();
    },
  };
}
