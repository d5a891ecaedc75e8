/**
 * Serialises changes to one resource's grants, so that the last-manager check and the change it guards
 * happen as one step: two managers demoting each other at once must not leave nobody managing it.
 *
 * In-process, a promise chain per resource (removed when idle, so it costs nothing at rest). With several
 * replicas sharing a PostgreSQL database (SESSION_DATABASE_URL), a PostgreSQL advisory lock as well, held
 * on one pooled connection for the duration of the change.
 * @see https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 */
import type pg from 'pg';
import { temporarilyUnavailable } from '../errors.js';

export interface ResourceLock {
  /** Runs `fn` while no other change to `key` runs, here or in another replica. */
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** How long a change waits for another one to the same resource before giving up. */
const LOCK_WAIT_MS = 15_000;

export function createResourceLock(options: { databaseUrl?: string } = {}): ResourceLock {
  const tails = new Map<string, Promise<unknown>>();
  let pool: Promise<pg.Pool> | undefined;

  function getPool(url: string): Promise<pg.Pool> {
    // Imported on first use: a single-instance deployment never loads the PostgreSQL driver for this.
    pool ??= import('pg').then(
      ({ default: pgModule }) => new pgModule.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000 }),
    );
    return pool;
  }

  async function acrossReplicas<T>(key: string, fn: () => Promise<T>): Promise<T> {
    if (!options.databaseUrl) return fn();
    let client: pg.PoolClient;
    try {
      client = await (await getPool(options.databaseUrl)).connect();
      await client.query(`SET lock_timeout = ${LOCK_WAIT_MS}`);
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [`mlflow-signup:sharing:${key}`]);
    } catch (err) {
      throw temporarilyUnavailable(err);
    }
    try {
      return await fn();
    } finally {
      await client
        .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`mlflow-signup:sharing:${key}`])
        .catch(() => undefined);
      client.release();
    }
  }

  return {
    run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const result = previous.catch(() => undefined).then(() => acrossReplicas(key, fn));
      const tail = result.catch(() => undefined);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return result;
    },
    async close() {
      if (pool) await (await pool).end().catch(() => undefined);
    },
  };
}
