/**
 * Starts a throw-away PostgreSQL server from the machine's Debian packages (`postgresql`), for tests that
 * need a real database: the deployment scripts (database init, MLflow entrypoint, backup/restore) and the
 * BFF's session store.
 *
 * - Binaries come from `/usr/lib/postgresql/<major>/bin` (the newest installed major), or `PG_BIN_DIR`.
 *   Nothing is skipped when PostgreSQL is missing: `startPostgres()` throws and says what to install.
 * - The cluster lives in a fresh temp dir (data dir + unix socket dir) and listens on a free port on
 *   127.0.0.1 only. TCP connections need the superuser's password (scram-sha-256), like a real server, so
 *   role passwords set by the scripts under test are really checked; the unix socket trusts local users.
 * - initdb refuses to run as root: as root the cluster runs as the `postgres` OS user (via `runuser`),
 *   and the temp dir is handed to that user.
 * - `stop()` stops the server (fast shutdown, then SIGKILL as a last resort) and removes the temp dir.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

export interface PostgresServer {
  /** Always 127.0.0.1. */
  host: string;
  port: number;
  /** Name of the bootstrap superuser (`postgres`). */
  superuser: string;
  /** The superuser's password (TCP connections need it). */
  password: string;
  /** Directory of the server's unix socket (`psql -h <socketDir>` connects without a password). */
  socketDir: string;
  /** The server binaries of the running major version (psql, pg_dump, pg_restore… of the same version). */
  binDir: string;
  /** Major version of the running server, e.g. 15. */
  version: number;
  /** `postgresql://postgres:<pw>@127.0.0.1:<port>/<db>` as the superuser; `db` defaults to `postgres`. */
  url(db?: string): string;
  /** libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) for the superuser over TCP. */
  env(): Record<string, string>;
  /** Stops the server and removes its data. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<{ dataDir: string; binDir: string; root: string; asUser: string | null }>();

/** Newest `/usr/lib/postgresql/<major>/bin` that holds initdb and pg_ctl, or `PG_BIN_DIR`. */
export function findPostgresBinDir(): string {
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) {
    if (!existsSync(path.join(fromEnv, 'initdb'))) throw new Error(`PG_BIN_DIR=${fromEnv} has no initdb`);
    return fromEnv;
  }
  const base = '/usr/lib/postgresql';
  const majors = existsSync(base)
    ? readdirSync(base)
        .filter(
          (d) =>
            /^\d+$/.test(d) &&
            existsSync(path.join(base, d, 'bin', 'initdb')) &&
            existsSync(path.join(base, d, 'bin', 'pg_ctl')),
        )
        .map(Number)
        .sort((a, b) => b - a)
    : [];
  if (majors.length === 0) {
    throw new Error(
      'PostgreSQL server binaries not found (looked for /usr/lib/postgresql/<major>/bin/initdb). ' +
        'Install them: apt-get install -y postgresql (or set PG_BIN_DIR).',
    );
  }
  return path.join(base, String(majors[0]), 'bin');
}

function run(cmd: string, args: string[], asUser: string | null, timeoutMs: number): Promise<string> {
  const [file, argv] = asUser ? ['runuser', ['-u', asUser, '--', cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    execFile(
      file,
      argv,
      { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
        else resolve(stdout + stderr);
      },
    );
  });
}

function postgresOsUser(): { name: string; uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { name: 'postgres', uid, gid };
  } catch {
    throw new Error(
      'Running as root but there is no `postgres` OS user to run PostgreSQL as (apt-get install -y postgresql creates it).',
    );
  }
}

async function killFromPidFile(dataDir: string): Promise<void> {
  try {
    const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    /* not running */
  }
}

export async function startPostgres(options: { attempts?: number } = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const version =
    Number(path.basename(path.dirname(binDir))) ||
    Number((await run(path.join(binDir, 'pg_ctl'), ['--version'], null, 10_000)).match(/(\d+)/)?.[1]);
  const isRoot = process.getuid?.() === 0;
  const pgUser = isRoot ? postgresOsUser() : null;
  const asUser = pgUser?.name ?? null;
  const superuser = 'postgres';
  const password = randomBytes(18).toString('base64url');

  const root = await mkdtemp(path.join(os.tmpdir(), 'pg-test-'));
  const dataDir = path.join(root, 'data');
  const socketDir = root;
  const pwFile = path.join(root, 'pwfile');
  const logFile = path.join(root, 'server.log');
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (pgUser) {
    await chown(root, pgUser.uid, pgUser.gid);
    await chown(pwFile, pgUser.uid, pgUser.gid);
  }
  await chmod(root, 0o700);

  const entry = { dataDir, binDir, root, asUser };
  try {
    await run(
      path.join(binDir, 'initdb'),
      [
        '-D',
        dataDir,
        '-U',
        superuser,
        `--pwfile=${pwFile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ],
      asUser,
      120_000,
    );
    await rm(pwFile, { force: true });

    let lastError: unknown;
    for (let attempt = 1; attempt <= (options.attempts ?? 3); attempt++) {
      const port = await freePort();
      const serverOpts = [
        `-p ${port}`,
        `-k ${socketDir}`,
        `-c listen_addresses=127.0.0.1`,
        // A throw-away test cluster: durability is not needed, speed is.
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
      ].join(' ');
      try {
        running.add(entry);
        await run(
          path.join(binDir, 'pg_ctl'),
          ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', serverOpts, 'start'],
          asUser,
          90_000,
        );
        const url = (db = 'postgres') =>
          `postgresql://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;
        let stopped = false;
        return {
          host: '127.0.0.1',
          port,
          superuser,
          password,
          socketDir,
          binDir,
          version,
          url,
          env: () => ({
            PGHOST: '127.0.0.1',
            PGPORT: String(port),
            PGUSER: superuser,
            PGPASSWORD: password,
            PGDATABASE: 'postgres',
          }),
          async stop() {
            if (stopped) return;
            stopped = true;
            await stopCluster(entry);
          },
        };
      } catch (err) {
        lastError = err;
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        lastError = new Error(`${(err as Error).message}\n--- server log ---\n${log.slice(-3000)}`);
        await killFromPidFile(dataDir);
        if (!/could not bind|Address already in use/i.test(log)) break; // only a lost port race is worth a retry
      }
    }
    throw lastError;
  } catch (err) {
    await stopCluster(entry);
    throw err;
  }
}

async function stopCluster(entry: {
  dataDir: string;
  binDir: string;
  root: string;
  asUser: string | null;
}): Promise<void> {
  running.delete(entry);
  if (existsSync(path.join(entry.dataDir, 'postmaster.pid'))) {
    try {
      await run(
        path.join(entry.binDir, 'pg_ctl'),
        ['-D', entry.dataDir, '-m', 'fast', '-w', '-t', '30', 'stop'],
        entry.asUser,
        45_000,
      );
    } catch {
      await killFromPidFile(entry.dataDir);
    }
  }
  await rm(entry.root, { recursive: true, force: true });
}

// Last resort when a test run dies without calling stop(): do not leave servers behind.
process.once('exit', () => {
  for (const entry of running) {
    try {
      const pid = Number(readFileSync(path.join(entry.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      /* already gone */
    }
  }
});

/**
 * Creates an empty database `name` on `server` and returns its URL (as the superuser): one fresh database
 * per stack or per test, so a BFF's registry starts without tables, as at a first deployment.
 */
export async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: server.url() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  return server.url(name);
}
