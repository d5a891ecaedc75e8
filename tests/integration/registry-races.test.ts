/**
 * Processes racing on one registry database, each in its own process: BFF replicas (`server/src/main.ts`)
 * starting together on a fresh database apply every migration once and all become ready, and two
 * maintenance rounds at once (two `cli sweep`) disable a stale account once.
 *
 * Processes never start in the same millisecond, and a migration takes a few, so on their own one mostly
 * finishes before the other looks. Hence two ways of making them meet: processes that load first and then
 * open the registry on one cue (support/open-registry-on-cue.ts), and, for the sweeps, the database held
 * back while they start and let go once both wait on it (the SQLite file's write lock; on PostgreSQL a lock
 * on the `leases` table). Runs once per registry backend, against one real MLflow behind a counting proxy,
 * so the password changes the sweeps made are counted.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { DatabaseSync } from 'node:sqlite';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Config } from '../../server/src/index.js';
import { openDatabase, type Database } from '../../server/src/registry/database.js';
import { openRegistry } from '../../server/src/registry/index.js';
import { startMlflow, type MlflowServer } from '../support/mlflow.js';
import { startMlflowCallCounter, type MlflowCallCounter } from '../support/mlflow-call-counter.js';
import { mlflowAs, signInStatus } from '../support/mlflow-direct.js';
import { repoRoot } from '../support/mlflow-venv.js';
import { REQUIRED_REALM_ROLES_FOR_TESTS } from '../support/oidc-provider.js';
import { runCli } from '../support/operator-cli.js';
import { createDatabase, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startReplicas } from '../support/replicas.js';
import { CLIENT_ID } from '../support/stack.js';
import { sleep } from '../support/timing.js';

const DAY = 86_400_000;
const IDLE_PW = 'idle-account-password-01';

/** `node:sqlite` through `require`: jest's ESM loader does not know the newer `node:` built-ins. */
const require = createRequire(import.meta.url);

let mlflow: MlflowServer;
let counter: MlflowCallCounter;
let postgres: PostgresServer;
/** Every migration the service has, by name: what one lone process records on an empty database. */
let allMigrations: string[];

beforeAll(async () => {
  [mlflow, postgres] = await Promise.all([startMlflow(), startPostgres()]);
  counter = await startMlflowCallCounter(mlflow.url);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'registry-alone-'));
  try {
    const alone = await openRegistry({ kind: 'sqlite', file: path.join(dir, 'registry.sqlite') });
    allMigrations = await migrationNames(alone.database.db);
    await alone.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  expect(allMigrations.length).toBeGreaterThan(0);
});

afterAll(async () => {
  await counter?.close();
  await mlflow?.stop();
  await postgres?.stop();
});

/** The migrations recorded in the database, one row each. */
async function migrationNames(db: Database['db']): Promise<string[]> {
  const rows = await db
    .withTables<{ kysely_migration: { name: string } }>()
    .selectFrom('kysely_migration')
    .select('name')
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

/**
 * Starts `count` processes that each open the registry at `target` (a SQLite file or a PostgreSQL URL) once
 * cued, cues them all at once when all have loaded, and resolves with how each ended.
 */
async function openAllAtOnce(target: string, count: number): Promise<Array<{ code: number | null; stderr: string }>> {
  const children = Array.from({ length: count }, () =>
    spawn(
      path.join(repoRoot, 'tests/node_modules/.bin/tsx'),
      [path.join(repoRoot, 'tests/support/open-registry-on-cue.ts'), target],
      { env: { PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] },
    ),
  );
  const ended = children.map(
    (child) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.once('close', (code) => resolve({ code, stderr }));
      }),
  );
  const ready = children.map(
    (child) =>
      new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ready\n')) resolve();
        });
        child.once('close', () => reject(new Error(`a process ended before it was ready: ${out}`)));
      }),
  );
  try {
    await Promise.all(ready);
  } catch (err) {
    for (const child of children) child.kill('SIGKILL');
    throw err;
  }
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(ended);
}

/** How many processes besides this one hold `file` open (Linux: their `/proc/<pid>/fd` links). */
async function openersOf(file: string): Promise<number> {
  let count = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === file) {
        count++;
        break;
      }
    }
  }
  return count;
}

/** Polls `condition` until it holds; fails naming `what` when `gaveUp` says the processes ended first. */
async function waitUntil(what: string, condition: () => Promise<boolean>, gaveUp: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return;
    if (gaveUp()) throw new Error(`the processes ended before ${what}`);
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/**
 * Runs `start` (which launches processes using the registry) while holding the database back, and lets go
 * once two of them wait on it. Resolves with what `start` resolves with.
 */
async function heldBack<T>(settings: Config['database'], start: () => Promise<T>): Promise<T> {
  let settled = false;
  if (settings.kind === 'sqlite') {
    const { DatabaseSync: Sqlite } = require('node:sqlite') as { DatabaseSync: typeof DatabaseSync };
    const holder = new Sqlite(settings.file);
    holder.exec('PRAGMA journal_mode = WAL; BEGIN IMMEDIATE;');
    const file = await realpath(settings.file);
    const started = start().finally(() => (settled = true));
    try {
      await waitUntil(
        'both had the registry file open',
        async () => (await openersOf(file)) >= 2,
        () => settled,
      );
      // From opening the file to waiting for its write lock is a few statements: give them time to get there.
      await sleep(500);
    } finally {
      holder.exec('COMMIT');
      holder.close();
    }
    return started;
  }
  const holder = new pg.Client({ connectionString: settings.url });
  await holder.connect();
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE leases IN ACCESS EXCLUSIVE MODE');
  const started = start().finally(() => (settled = true));
  try {
    await waitUntil(
      'both waited for the leases table',
      async () => {
        const r = await holder.query(
          "SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'leases'::regclass AND NOT granted",
        );
        return r.rows[0].n >= 2;
      },
      () => settled,
    );
  } finally {
    await holder.query('COMMIT');
    await holder.end();
  }
  return started;
}

describe.each(['sqlite', 'postgres'] as const)('with the registry in %s', (backend) => {
  let dataDir: string;
  let settings: Config['database'];
  /** The variables that put a process's registry in this block's database. */
  let databaseEnv: Record<string, string>;
  let database: Database;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'registry-race-'));
    if (backend === 'sqlite') {
      settings = { kind: 'sqlite', file: path.join(dataDir, 'registry.sqlite') };
      databaseEnv = { DATA_DIR: dataDir };
    } else {
      const url = await createDatabase(postgres, 'registry_race');
      settings = { kind: 'postgres', url };
      databaseEnv = { DATA_DIR: dataDir, DATABASE_URL: url };
    }
  });

  afterAll(async () => {
    await database?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when four processes open a fresh registry on one cue, then every one succeeds and each migration is recorded once', async () => {
    const target =
      backend === 'sqlite' ? path.join(dataDir, 'cued.sqlite') : await createDatabase(postgres, 'registry_cued');
    const results = await openAllAtOnce(target, 4);
    expect(results).toEqual(Array.from({ length: 4 }, () => ({ code: 0, stderr: '' })));
    const cued = openDatabase(
      backend === 'sqlite' ? { kind: 'sqlite', file: target } : { kind: 'postgres', url: target },
    );
    try {
      expect(await migrationNames(cued.db)).toEqual(allMigrations);
    } finally {
      await cued.close();
    }
  });

  it('when two replicas start together on a fresh database, then both become ready and each migration is recorded once', async () => {
    const replicas = await startReplicas({
      mlflow,
      sessionDatabaseUrl: settings.kind === 'postgres' ? settings.url : undefined,
      env: databaseEnv,
    });
    try {
      expect(replicas.origins).toHaveLength(2);
      for (const origin of replicas.origins) expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    } finally {
      await replicas.stop();
    }
    database = openDatabase(settings);
    expect(await migrationNames(database.db)).toEqual(allMigrations);
  });

  it('when two maintenance rounds run at once (two `cli sweep`), then the stale account is disabled once: one password change in MLflow, one deprovision record', async () => {
    const username = `idle-${backend}@example.org`;
    const created = await mlflowAs(
      mlflow,
      mlflow.adminUsername,
      mlflow.adminPassword,
      'POST',
      '/api/2.0/mlflow/users/create',
      {
        username,
        password: IDLE_PW,
      },
    );
    expect(created.status).toBe(200);
    const longAgo = Date.now() - 40 * DAY;
    await database.db
      .insertInto('accounts')
      .values({
        username,
        username_key: username,
        issuer: 'https://idp.example.org',
        subject: `idle-${backend}-sub`,
        email: username,
        bound_at: longAgo,
        bound_by: 'registration',
        last_eligible_at: longAgo,
        disabled_at: null,
        disabled_reason: null,
        vault_cleanup_pending: 0,
      })
      .execute();

    const env = {
      MLFLOW_HOSTNAME: counter.url,
      MLFLOW_USERNAME: mlflow.adminUsername,
      MLFLOW_PASSWORD: mlflow.adminPassword,
      // Never contacted: a sweep signs nobody in.
      OIDC_AUTHORITY: 'https://idp.example.org',
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_REDIRECT_URI: 'http://127.0.0.1:9/signup/auth/callback',
      REQUIRED_REALM_ROLES: REQUIRED_REALM_ROLES_FOR_TESTS,
      SESSION_SECRET: 'shared-by-every-replica-0123456789abcdef',
      DEPROVISION_AFTER_DAYS: '30',
      ...databaseEnv,
    };
    counter.reset();
    const results = await heldBack(settings, () => Promise.all([runCli(['sweep'], env), runCli(['sweep'], env)]));

    for (const result of results) expect(result).toMatchObject({ code: 0 });
    const lines = results.flatMap((r) => r.stdout.split('\n'));
    expect(lines.filter((line) => line === `disable ${username}`)).toHaveLength(1);
    expect(counter.count((c) => c.path === '/api/2.0/mlflow/users/update-password')).toBe(1);
    expect(await signInStatus(mlflow, username, IDLE_PW)).toBe(401);

    const account = await database.db
      .selectFrom('accounts')
      .selectAll()
      .where('username', '=', username)
      .executeTakeFirstOrThrow();
    expect(account).toMatchObject({ disabled_reason: 'inactive' });
    expect(account.disabled_at).not.toBeNull();
    const records = await database.db
      .selectFrom('activity')
      .selectAll()
      .where('action', '=', 'deprovision')
      .where('target_id', '=', username)
      .execute();
    expect(records).toEqual([
      expect.objectContaining({ actor_issuer: null, actor_subject: null, detail: 'inactive', outcome: 'ok' }),
    ]);
  });
});
