/**
 * The BFF's registry database read directly, bypassing the BFF, as an operator with the database at hand
 * would: the SQLite file in the stack's `DATA_DIR` (opened with `node:sqlite`, which the BFF uses too) or
 * the PostgreSQL database of `DATABASE_URL`. Tests check with it what the BFF stored, and what it must
 * never store (passwords, tokens).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { Config } from '../../server/src/index.js';

export interface RegistryReader {
  /** Every row of one table, in the engine's natural order. */
  rows(table: string): Promise<Array<Record<string, unknown>>>;
  /**
   * Every table as text (its rows as JSON), by table name; for SQLite also the raw bytes of the database
   * file and its write-ahead log (as `file:<name>`), so deleted rows and pages not yet checkpointed count too.
   */
  dump(): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** `node:sqlite` through `require`: jest's ESM loader does not know the newer `node:` built-ins. */
const require = createRequire(import.meta.url);

/** Opens the registry the BFF was configured with (`stack().config.database`). */
export async function openRegistryReader(settings: Config['database']): Promise<RegistryReader> {
  if (settings.kind === 'postgres') {
    const client = new pg.Client({ connectionString: settings.url });
    await client.connect();
    const rows = async (table: string) =>
      (await client.query(`SELECT * FROM ${client.escapeIdentifier(table)}`)).rows as Array<Record<string, unknown>>;
    return {
      rows,
      async dump() {
        const tables = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        );
        const out: Record<string, string> = {};
        for (const { table_name } of tables.rows) out[table_name] = JSON.stringify(await rows(table_name));
        return out;
      },
      close: () => client.end(),
    };
  }

  const { DatabaseSync: Sqlite } = require('node:sqlite') as { DatabaseSync: typeof DatabaseSync };
  const db = new Sqlite(settings.file);
  db.exec('PRAGMA busy_timeout = 5000;');
  const rows = async (table: string) =>
    db.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}"`).all() as Array<Record<string, unknown>>;
  return {
    rows,
    async dump() {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
      const out: Record<string, string> = {};
      for (const { name } of tables) {
        out[name] = JSON.stringify(await rows(name), (_key, value: unknown) =>
          typeof value === 'bigint' ? value.toString() : value,
        );
      }
      for (const suffix of ['', '-wal']) {
        const bytes = await readFile(settings.file + suffix).catch(() => undefined);
        if (bytes) out[`file:registry.sqlite${suffix}`] = bytes.toString('latin1');
      }
      return out;
    },
    async close() {
      db.close();
    },
  };
}
