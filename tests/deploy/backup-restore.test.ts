/**
 * deploy/backup/{backup,restore,backup-loop}.sh, run for real against a local PostgreSQL (Debian's, with
 * its own pg_dump / pg_restore) and an MLflow started through deploy/mlflow/entrypoint.sh.
 *
 * The disaster drill: MLflow users, their passwords and a shared permission exist; a backup is taken;
 * afterwards more changes happen; then the databases AND their roles are lost (a new, empty volume),
 * the init script runs again (as the postgres container would) and restore.sh brings the backup back.
 * After MLflow restarts, exactly the backed-up state is there.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { sleep } from '../support/timing.js';
import { createStackDatabases, query, type StackDatabases } from './databases.js';
import { startEntrypointMlflow, type EntrypointMlflow } from './entrypoint-mlflow.js';
import { describeResult, pgToolsEnv, runScript, runScriptOk, scripts } from './scripts.js';

const T = 120_000; // see mlflow-entrypoint.test.ts
const BACKUP_NAME = /^\d{8}T\d{6}Z(-\d+)?$/;

let server: PostgresServer;
let databases: StackDatabases;
let mlflow: EntrypointMlflow | undefined;
let backupDir: string;

const alice: [string, string] = ['alice@example.org', 'alice-pa$$word %1'];
const bob: [string, string] = ['bob@example.org', "bob's password 2"];

beforeAll(async () => {
  server = await startPostgres();
  databases = await createStackDatabases(server);
  backupDir = await mkdtemp(path.join(os.tmpdir(), 'backups-'));
}, 300_000);

afterAll(async () => {
  await mlflow?.stop();
  await server?.stop();
  if (backupDir) await rm(backupDir, { recursive: true, force: true });
}, 60_000);

function backupEnv(extra: Record<string, string> = {}): Record<string, string> {
  return pgToolsEnv(server, { BACKUP_DIR: backupDir, ...extra });
}

async function backupDirs(dir = backupDir): Promise<string[]> {
  return (await readdir(dir)).filter((d) => BACKUP_NAME.test(d)).sort();
}

describe('backup and restore of the whole stack', () => {
  let experimentId: string;
  let backupPath: string;

  it('sets up users, a shared experiment and a signup session', async () => {
    mlflow = await startEntrypointMlflow({ server, databases });
    const admin: [string, string] = [mlflow.admin.username, mlflow.admin.password];
    for (const [username, password] of [alice, bob]) {
      const r = await mlflow.request('POST', '/api/2.0/mlflow/users/create', { auth: admin, body: { username, password } });
      expect(r.status).toBe(200);
    }
    // Creating an experiment makes alice its manager; she shares it with bob (READ).
    const exp = await mlflow.request('POST', '/api/2.0/mlflow/experiments/create', { auth: alice, body: { name: 'shared-experiment' } });
    expect(exp.status).toBe(200);
    experimentId = exp.json.experiment_id;
    const grant = await mlflow.request('POST', '/api/3.0/mlflow/users/permissions/grant', {
      auth: alice,
      body: { username: bob[0], resource_type: 'experiment', resource_id: experimentId, permission: 'READ' },
    });
    expect(grant.status).toBe(200);
    expect((await mlflow.request('GET', '/api/2.0/mlflow/experiments/get', { auth: bob, query: { experiment_id: experimentId } })).status).toBe(200);
    const bobsPermission = await mlflow.request('GET', '/api/3.0/mlflow/users/permissions/get', {
      auth: admin,
      query: { username: bob[0], resource_type: 'experiment', resource_id: experimentId },
    });
    expect(bobsPermission.json).toMatchObject({ permission: 'READ' });
    // What connect-pg-simple keeps in the signup database.
    await query(server, databases.signup.name, 'CREATE TABLE session (sid varchar PRIMARY KEY, sess json NOT NULL, expire timestamp(6) NOT NULL)', [], databases.signup);
    await query(server, databases.signup.name, `INSERT INTO session VALUES ('sid-1', '{"user":"alice"}', now() + interval '1 day')`, [], databases.signup);
  }, 300_000);

  it('backs up every database with pg_dump -Fc', async () => {
    const r = await runScriptOk(scripts.backup, [], backupEnv());
    const made = await backupDirs();
    expect(made).toHaveLength(1);
    backupPath = path.join(backupDir, made[0]!);
    const files = (await readdir(backupPath)).sort();
    expect(files).toEqual(['MANIFEST', 'SHA256SUMS', 'mlflow.dump', 'mlflow_auth.dump', 'signup.dump']);
    for (const f of files.filter((x) => x.endsWith('.dump'))) {
      // Custom-format archives start with the magic "PGDMP".
      expect((await readFile(path.join(backupPath, f))).subarray(0, 5).toString()).toBe('PGDMP');
    }
    expect(await readFile(path.join(backupPath, 'MANIFEST'), 'utf8')).toMatch(/database: mlflow_auth \d+ bytes/);
    expect(r.stderr).toMatch(/backup .* complete/);
    // No half-made backup is left behind.
    expect((await readdir(backupDir)).filter((d) => d.includes('partial'))).toEqual([]);
  }, T);

  it('changes things after the backup (to be undone by the restore)', async () => {
    const admin: [string, string] = [mlflow!.admin.username, mlflow!.admin.password];
    const carol = await mlflow!.request('POST', '/api/2.0/mlflow/users/create', {
      auth: admin,
      body: { username: 'carol@example.org', password: 'carol-password-3' },
    });
    expect(carol.status).toBe(200);
    const changed = await mlflow!.request('PATCH', '/api/2.0/mlflow/users/update-password', {
      auth: admin,
      body: { username: bob[0], password: 'bobs-new-password-4' },
    });
    expect(changed.status).toBe(200);
    const revoked = await mlflow!.request('POST', '/api/3.0/mlflow/users/permissions/revoke', {
      auth: alice,
      body: { username: bob[0], resource_type: 'experiment', resource_id: experimentId },
    });
    expect(revoked.status).toBe(200);
    await mlflow!.stop();
    mlflow = undefined;
  }, T);

  it('refuses to restore while the databases’ owner roles are missing, naming the fix', async () => {
    // Disaster: a new, empty cluster — no databases, no roles.
    for (const db of [databases.mlflow, databases.auth, databases.signup]) {
      await query(server, 'postgres', `DROP DATABASE ${db.name} WITH (FORCE)`);
      await query(server, 'postgres', `DROP ROLE ${db.user}`);
    }
    const r = await runScript(scripts.restore, [backupPath], backupEnv());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/role '\w+', owner of database '\w+', does not exist; create the roles first \(10-create-databases\.sh\)/);
  }, T);

  it('restores every database onto the re-initialised cluster', async () => {
    // What the postgres container does on a fresh volume: roles and empty databases.
    await createStackDatabases(server);
    const r = await runScript(scripts.restore, [backupPath], backupEnv());
    expect({ code: r.code, output: describeResult(r) }).toMatchObject({ code: 0 });
    expect(r.stderr).toMatch(/restored 3 database\(s\)/);
    const owners = await query<{ datname: string; owner: string }>(
      server,
      'postgres',
      `SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname IN ('mlflow', 'mlflow_auth', 'signup') ORDER BY 1`,
    );
    expect(owners).toEqual([
      { datname: 'mlflow', owner: 'mlflow' },
      { datname: 'mlflow_auth', owner: 'mlflow_auth' },
      { datname: 'signup', owner: 'signup' },
    ]);
    // Privileges are back too: the signup role still cannot reach MLflow's database.
    await expect(query(server, databases.mlflow.name, 'SELECT 1', [], databases.signup)).rejects.toThrow(/permission denied/);
    const sessions = await query(server, databases.signup.name, 'SELECT sid, sess FROM session', [], databases.signup);
    expect(sessions).toEqual([{ sid: 'sid-1', sess: { user: 'alice' } }]);
  }, T);

  it('brings back users, passwords and permissions as they were at backup time', async () => {
    mlflow = await startEntrypointMlflow({ server, databases });
    const admin: [string, string] = [mlflow.admin.username, mlflow.admin.password];
    expect((await mlflow.request('GET', '/api/2.0/mlflow/users/current', { auth: alice })).status).toBe(200);
    expect((await mlflow.request('GET', '/api/2.0/mlflow/users/current', { auth: bob })).status).toBe(200);
    expect((await mlflow.request('GET', '/api/2.0/mlflow/users/current', { auth: [bob[0], 'bobs-new-password-4'] })).status).toBe(401);
    const carol = await mlflow.request('GET', '/api/2.0/mlflow/users/get', { auth: admin, query: { username: 'carol@example.org' } });
    expect(carol.status).toBe(404);
    // alice manages the experiment, bob's READ grant is back.
    const permissionOf = async (username: string) =>
      (
        await mlflow!.request('GET', '/api/3.0/mlflow/users/permissions/get', {
          auth: admin,
          query: { username, resource_type: 'experiment', resource_id: experimentId },
        })
      ).json;
    expect(await permissionOf(alice[0])).toMatchObject({ permission: 'MANAGE' });
    expect(await permissionOf(bob[0])).toMatchObject({ permission: 'READ' });
    const bobReads = await mlflow.request('GET', '/api/2.0/mlflow/experiments/get', { auth: bob, query: { experiment_id: experimentId } });
    expect(bobReads.status).toBe(200);
    expect(bobReads.json.experiment.name).toBe('shared-experiment');
    await mlflow.stop();
    mlflow = undefined;
  }, 300_000);

  it('restores a single database from its dump file', async () => {
    await query(server, databases.signup.name, `INSERT INTO session VALUES ('sid-2', '{}', now())`, [], databases.signup);
    await runScriptOk(scripts.restore, [path.join(backupPath, 'signup.dump')], backupEnv());
    const sessions = await query<{ sid: string }>(server, databases.signup.name, 'SELECT sid FROM session', [], databases.signup);
    expect(sessions.map((s) => s.sid)).toEqual(['sid-1']);
  }, T);

  it('refuses a damaged backup before touching any database', async () => {
    const damaged = await mkdtemp(path.join(os.tmpdir(), 'backup-damaged-'));
    try {
      for (const f of await readdir(backupPath)) await writeFile(path.join(damaged, f), await readFile(path.join(backupPath, f)));
      const dump = await readFile(path.join(damaged, 'mlflow_auth.dump'));
      const at = dump.length - 10;
      dump.writeUInt8(dump.readUInt8(at) ^ 0xff, at);
      await writeFile(path.join(damaged, 'mlflow_auth.dump'), dump);
      const r = await runScript(scripts.restore, [damaged], backupEnv());
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/checksums .* do not match/);
      expect(await query(server, databases.signup.name, 'SELECT sid FROM session', [], databases.signup)).toEqual([{ sid: 'sid-1' }]);
    } finally {
      await rm(damaged, { recursive: true, force: true });
    }
  }, T);
});

describe('backup retention and schedule', () => {
  let dir: string;
  const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'backups-retention-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function fakeBackup(name: string, ageDays: number): Promise<void> {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'signup.dump'), 'old');
    await utimes(path.join(dir, name), daysAgo(ageDays), daysAgo(ageDays));
  }

  it('deletes backups older than BACKUP_RETENTION_DAYS and nothing else', async () => {
    await fakeBackup('20200101T000000Z', 30);
    await fakeBackup('20200102T000000Z', 8);
    await fakeBackup('20200103T000000Z', 2);
    // Not backups: left alone whatever their age.
    await mkdir(path.join(dir, 'keep-me'));
    await utimes(path.join(dir, 'keep-me'), daysAgo(90), daysAgo(90));
    await writeFile(path.join(dir, 'notes.txt'), 'x');
    const r = await runScriptOk(scripts.backup, [], backupEnv({ BACKUP_DIR: dir, BACKUP_RETENTION_DAYS: '7', BACKUP_DATABASES: 'signup' }));
    const left = await backupDirs(dir);
    expect(left).toHaveLength(2);
    expect(left[0]).toBe('20200103T000000Z');
    expect(existsSync(path.join(dir, left[1]!, 'signup.dump'))).toBe(true);
    expect(existsSync(path.join(dir, 'keep-me'))).toBe(true);
    expect(existsSync(path.join(dir, 'notes.txt'))).toBe(true);
    expect(r.stderr).toMatch(/deleting .*20200101T000000Z \(older than BACKUP_RETENTION_DAYS=7 days\)/);
  }, T);

  it('keeps at most BACKUP_RETENTION_COUNT backups, the newest ones', async () => {
    await fakeBackup('20200101T000000Z', 3);
    await fakeBackup('20200102T000000Z', 2);
    await fakeBackup('20200103T000000Z', 1);
    await runScriptOk(scripts.backup, [], backupEnv({ BACKUP_DIR: dir, BACKUP_RETENTION_DAYS: '0', BACKUP_RETENTION_COUNT: '2', BACKUP_DATABASES: 'signup' }));
    const left = await backupDirs(dir);
    expect(left).toHaveLength(2);
    expect(left[0]).toBe('20200103T000000Z');
  }, T);

  it('never deletes the only (newest) backup, even with extreme settings', async () => {
    await runScriptOk(scripts.backup, [], backupEnv({ BACKUP_DIR: dir, BACKUP_RETENTION_DAYS: '0', BACKUP_RETENTION_COUNT: '1', BACKUP_DATABASES: 'signup' }));
    expect(await backupDirs(dir)).toHaveLength(1);
  }, T);

  it('fails without a half-made backup when a database cannot be dumped', async () => {
    const r = await runScript(scripts.backup, [], backupEnv({ BACKUP_DIR: dir, BACKUP_DATABASES: 'signup,no_such_db' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pg_dump of 'no_such_db' failed/);
    expect(await readdir(dir)).toEqual([]);
  }, T);

  it('runs on schedule (BACKUP_INTERVAL), reports health, and stops at once on SIGTERM', async () => {
    const env = backupEnv({ BACKUP_DIR: dir, BACKUP_INTERVAL: '2', BACKUP_DATABASES: 'signup' });
    expect((await runScript(scripts.backupLoop, ['--check'], env)).code).toBe(1); // nothing yet
    const { spawn } = await import('node:child_process');
    const loop = spawn(scripts.backupLoop, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    loop.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => loop.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 40 && (await backupDirs(dir)).length < 2; i++) await sleep(250);
      expect((await backupDirs(dir)).length).toBeGreaterThanOrEqual(2);
      expect((await runScript(scripts.backupLoop, ['--check'], env)).code).toBe(0);
    } finally {
      loop.kill('SIGTERM');
    }
    const started = Date.now();
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(output).toMatch(/next backup in \d+s/);
  }, T);
});
