/**
 * Where sessions live. With SESSION_DATABASE_URL: PostgreSQL through connect-pg-simple, so several
 * replicas share sessions (the table is created on first use, expired rows pruned periodically).
 * Without it: a bounded in-memory store that prunes expired sessions — for a single instance only.
 *
 * `pg` and `connect-pg-simple` are loaded only when SESSION_DATABASE_URL is set: a single instance with
 * in-memory sessions never pays for them (their code, a few MB of memory and start-up time).
 */
import { createRequire } from 'node:module';
import session from 'express-session';
import createMemoryStore from 'memorystore';

/** Both packages are CommonJS: `require` loads them synchronously, on first use. */
const require = createRequire(import.meta.url);

export interface SessionStoreHandle {
  store: session.Store;
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
      tableName: 'signup_sessions',
      createTableIfMissing: true,
      pruneSessionInterval: pruneSeconds,
      errorLog: (...args: unknown[]) => options.onError?.(args[0] instanceof Error ? args[0] : new Error(String(args.join(' ')))),
    });
    return {
      store,
      kind: 'postgres',
      async check() {
        try {
          // A read through the store also creates its table on first use, so a ready replica has it.
          await new Promise<void>((resolve, reject) => store.get('readiness-probe', (err) => (err ? reject(err) : resolve())));
          return { ok: true, message: 'The session database answers.' };
        } catch (err) {
          return { ok: false, message: `The session database cannot be reached (SESSION_DATABASE_URL): ${(err as Error).message}` };
        }
      },
      async close() {
        store.close();
        await pool.end().catch(() => undefined);
      },
    };
  }
  const MemoryStore = createMemoryStore(session);
  const store = new MemoryStore({ checkPeriod: pruneSeconds * 1000, max: 10_000 });
  return {
    store,
    kind: 'memory',
    check: async () => ({ ok: true, message: 'Sessions are kept in memory (single instance).' }),
    async close() {
      (store as unknown as { stopInterval(): void }).stopInterval();
    },
  };
}
