/**
 * The registry as the rest of the service sees it: the database opened and migrated, and one object per
 * table family. `now` is the clock every timestamp comes from (tests move it forward to age accounts).
 */
import type { Config } from '../config.js';
import { createAccountRegistry } from './accounts.js';
import { createActivityLog } from './activity.js';
import { openDatabase, type Database } from './database.js';
import { createGroupRegistry } from './groups.js';
import { createInvitationRegistry } from './invitations.js';
import { createLeases } from './leases.js';
import { createMachineAccountRegistry } from './machine-accounts.js';
import { migrateToLatest } from './migrations.js';

export interface Registry {
  database: Database;
  accounts: ReturnType<typeof createAccountRegistry>;
  activity: ReturnType<typeof createActivityLog>;
  leases: ReturnType<typeof createLeases>;
  /** Pending grants for emails not registered yet. */
  invitations: ReturnType<typeof createInvitationRegistry>;
  machineAccounts: ReturnType<typeof createMachineAccountRegistry>;
  /** Group roles this service made, and each account's last group sync. */
  groups: ReturnType<typeof createGroupRegistry>;
  now: () => number;
  close(): Promise<void>;
}

/** Opens the database and applies pending migrations (safe when several replicas start together). */
export async function openRegistry(settings: Config['database'], now: () => number = Date.now): Promise<Registry> {
  const database = openDatabase(settings);
  try {
    await migrateToLatest(database);
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  return {
    database,
    accounts: createAccountRegistry(database.db, now),
    activity: createActivityLog(database.db, now),
    leases: createLeases(database.db, now),
    invitations: createInvitationRegistry(database.db, now),
    machineAccounts: createMachineAccountRegistry(database.db, now),
    groups: createGroupRegistry(database.db, now),
    now,
    close: () => database.close(),
  };
}
