/**
 * deploy/database/init/10-create-databases.sh and deploy/mlflow/entrypoint.sh, run for real: a local
 * PostgreSQL (Debian's), the pinned MLflow, no Docker. What the mlflow container does at start.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MLFLOW_CURRENT } from '../support/mlflow-venv.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import type { MlflowServer } from '../support/mlflow.js';
import { startStack } from '../support/stack.js';
import { createStackDatabases, query, type StackDatabases } from './databases.js';
import { startEntrypointMlflow, type EntrypointMlflow } from './entrypoint-mlflow.js';
import { baseEnv, describeResult, pgToolsEnv, repoRoot, runScript, scripts } from './scripts.js';

// Every authenticated MLflow request verifies a PBKDF2 hash (about a second here), hence the generous bound.
const T = 120_000;

let server: PostgresServer;
let databases: StackDatabases;
let mlflow: EntrypointMlflow | undefined;

beforeAll(async () => {
  server = await startPostgres();
  databases = await createStackDatabases(server);
  mlflow = await startEntrypointMlflow({ server, databases });
}, 300_000);

afterAll(async () => {
  await mlflow?.stop();
  await server?.stop();
}, 60_000);

describe('database init script', () => {
  it('creates three databases, each owned by its own role', async () => {
    const rows = await query<{ datname: string; owner: string }>(
      server,
      'postgres',
      `SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = ANY($1) ORDER BY datname`,
      [['mlflow', 'mlflow_auth', 'signup']],
    );
    expect(rows).toEqual([
      { datname: 'mlflow', owner: 'mlflow' },
      { datname: 'mlflow_auth', owner: 'mlflow_auth' },
      { datname: 'signup', owner: 'signup' },
    ]);
  }, T);

  it('gives each role its password (checked over TCP) and access to its own database only', async () => {
    for (const db of [databases.mlflow, databases.auth, databases.signup]) {
      const [row] = await query<{ u: string }>(server, db.name, 'SELECT current_user AS u', [], db);
      expect(row?.u).toBe(db.user);
    }
    await expect(query(server, databases.mlflow.name, 'SELECT 1', [], databases.signup)).rejects.toThrow(/permission denied/);
    await expect(query(server, databases.signup.name, 'SELECT 1', [], { ...databases.signup, password: 'wrong' })).rejects.toThrow(
      /password authentication failed/,
    );
  }, T);

  it('is idempotent and re-applies passwords from the environment', async () => {
    const env = pgToolsEnv(server, { ...databases.env, SIGNUP_DB_PASSWORD: 'rotated-signup-pw' });
    const r = await runScript(scripts.createDatabases, [], env);
    expect(r.code).toBe(0);
    await query(server, databases.signup.name, 'SELECT 1', [], { ...databases.signup, password: 'rotated-signup-pw' });
    expect((await runScript(scripts.createDatabases, [], pgToolsEnv(server, databases.env))).code).toBe(0);
    await query(server, databases.signup.name, 'SELECT 1', [], databases.signup);
  }, T);

  it.each([
    ['MLFLOW_DB_PASSWORD', { MLFLOW_DB_PASSWORD: '' }, /MLFLOW_DB_PASSWORD is required/],
    ['MLFLOW_AUTH_DB_PASSWORD', { MLFLOW_AUTH_DB_PASSWORD: '' }, /MLFLOW_AUTH_DB_PASSWORD is required/],
    ['SIGNUP_DB_PASSWORD', { SIGNUP_DB_PASSWORD: '' }, /SIGNUP_DB_PASSWORD is required/],
    ['a SIGNUP_DB_PASSWORD that is not URL-safe', { SIGNUP_DB_PASSWORD: 'a@b/c' }, /SIGNUP_DB_PASSWORD may only contain/],
    ['a bad database name', { MLFLOW_DB_NAME: 'Robert"; DROP' }, /MLFLOW_DB_NAME must be a lowercase SQL identifier/],
    ['the same database twice', { SIGNUP_DB_NAME: 'mlflow' }, /must be three different databases/],
  ])('fails naming the variable: %s', async (_label, override, message) => {
    const r = await runScript(scripts.createDatabases, [], pgToolsEnv(server, { ...databases.env, ...override }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
  }, T);
});

describe('mlflow entrypoint', () => {
  it('upgraded the empty tracking database and created the auth schema in PostgreSQL', async () => {
    const [tracking] = await query<{ version_num: string }>(server, databases.mlflow.name, 'SELECT version_num FROM alembic_version');
    expect(tracking?.version_num).toMatch(/^[0-9a-f]+$/);
    const tables = await query<{ tablename: string }>(server, databases.mlflow.name, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    expect(tables.map((t) => t.tablename)).toEqual(expect.arrayContaining(['experiments', 'runs', 'registered_models']));
    // The tables belong to the service's own role, not to the superuser.
    const [owner] = await query<{ tableowner: string }>(server, databases.mlflow.name, `SELECT tableowner FROM pg_tables WHERE tablename = 'experiments'`);
    expect(owner?.tableowner).toBe(databases.mlflow.user);
    const authTables = await query<{ tablename: string; tableowner: string }>(
      server,
      databases.auth.name,
      `SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'`,
    );
    expect(authTables.map((t) => t.tablename)).toContain('users');
    expect(new Set(authTables.map((t) => t.tableowner))).toEqual(new Set([databases.auth.user]));
  }, T);

  it('serves with basic-auth: anonymous requests get 401, the admin signs in', async () => {
    const anonymous = await mlflow!.request('GET', '/api/2.0/mlflow/users/current');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
    const current = await mlflow!.request('GET', '/api/2.0/mlflow/users/current', { auth: [mlflow!.admin.username, mlflow!.admin.password] });
    expect(current.status).toBe(200);
    expect(current.json.user).toMatchObject({ username: mlflow!.admin.username, is_admin: true });
    const wrong = await mlflow!.request('GET', '/api/2.0/mlflow/users/current', { auth: [mlflow!.admin.username, 'not-the-password'] });
    expect(wrong.status).toBe(401);
  }, T);

  it('stores a user created through MLflow in the auth database in PostgreSQL', async () => {
    const created = await mlflow!.request('POST', '/api/2.0/mlflow/users/create', {
      auth: [mlflow!.admin.username, mlflow!.admin.password],
      body: { username: 'alice@example.org', password: 'alice-password-123' },
    });
    expect(created.status).toBe(200);
    const rows = await query<{ username: string; is_admin: boolean; password_hash: string }>(
      server,
      databases.auth.name,
      'SELECT username, is_admin, password_hash FROM users WHERE username = $1',
      ['alice@example.org'],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ username: 'alice@example.org', is_admin: false });
    expect(rows[0]!.password_hash).not.toContain('alice-password-123');
    const signedIn = await mlflow!.request('GET', '/api/2.0/mlflow/users/current', { auth: ['alice@example.org', 'alice-password-123'] });
    expect(signedIn.status).toBe(200);
  }, T);

  it('keeps experiments in the tracking database, private by default (NO_PERMISSIONS)', async () => {
    const alice: [string, string] = ['alice@example.org', 'alice-password-123'];
    const exp = await mlflow!.request('POST', '/api/2.0/mlflow/experiments/create', { auth: alice, body: { name: 'alice-private' } });
    expect(exp.status).toBe(200);
    const rows = await query(server, databases.mlflow.name, 'SELECT name FROM experiments WHERE experiment_id = $1', [Number(exp.json.experiment_id)]);
    expect(rows).toEqual([{ name: 'alice-private' }]);
    await mlflow!.request('POST', '/api/2.0/mlflow/users/create', {
      auth: [mlflow!.admin.username, mlflow!.admin.password],
      body: { username: 'bob@example.org', password: 'bob-password-1234' },
    });
    const bobReads = await mlflow!.request('GET', '/api/2.0/mlflow/experiments/get', {
      auth: ['bob@example.org', 'bob-password-1234'],
      query: { experiment_id: exp.json.experiment_id },
    });
    expect(bobReads.status).toBe(403);
  }, T);

  it('accepts the public host name and rejects foreign Host headers', async () => {
    const auth: [string, string] = [mlflow!.admin.username, mlflow!.admin.password];
    expect((await mlflow!.request('GET', '/api/2.0/mlflow/users/current', { auth, host: 'mlflow.deploy.test' })).status).toBe(200);
    expect((await mlflow!.request('GET', '/api/2.0/mlflow/users/current', { auth, host: 'mlflow:5000' })).status).toBe(200);
    expect((await mlflow!.request('GET', '/api/2.0/mlflow/users/current', { auth, host: 'evil.example' })).status).toBe(403);
  }, T);

  it('writes the auth configuration to a private file with the deployment settings', async () => {
    const dirs = (await readdir(mlflow!.workDir)).filter((d) => d.startsWith('mlflow-auth.'));
    expect(dirs).toHaveLength(1);
    const ini = path.join(mlflow!.workDir, dirs[0]!, 'basic_auth.ini');
    expect((await stat(ini)).mode & 0o077).toBe(0);
    expect((await stat(path.dirname(ini))).mode & 0o077).toBe(0);
    const text = await readFile(ini, 'utf8');
    expect(text).toMatch(/^\[mlflow\]$/m);
    expect(text).toMatch(/^default_permission = NO_PERMISSIONS$/m);
    expect(text).toMatch(/^database_uri = postgresql\+psycopg2:\/\/mlflow_auth:.*@127\.0\.0\.1:\d+\/mlflow_auth$/m);
    expect(text).toMatch(/^admin_username = admin$/m);
    expect(text).toMatch(/^authorization_function = mlflow\.server\.auth:authenticate_request_basic_auth$/m);
    // configparser interpolation: every % doubled.
    expect(text).toContain('admin_password = Adm1n %%pass$word#with spaces');
  }, T);

  it('resets the admin password to MLFLOW_PASSWORD on restart, so signup and MLflow never drift apart', async () => {
    const oldPassword = mlflow!.admin.password;
    await mlflow!.stop();
    mlflow = await startEntrypointMlflow({ server, databases, admin: { username: 'admin', password: 'a-new-admin-password-42' } });
    expect((await mlflow.request('GET', '/api/2.0/mlflow/users/current', { auth: ['admin', 'a-new-admin-password-42'] })).status).toBe(200);
    expect((await mlflow.request('GET', '/api/2.0/mlflow/users/current', { auth: ['admin', oldPassword] })).status).toBe(401);
    // Users created before the restart are still there (the restart did not re-create the schema).
    expect((await mlflow.request('GET', '/api/2.0/mlflow/users/current', { auth: ['alice@example.org', 'alice-password-123'] })).status).toBe(200);
    expect(mlflow.logs()).toMatch(/reset the password of admin user 'admin'/);
  }, 240_000);
});

describe('mlflow entrypoint validation', () => {
  const valid = () =>
    baseEnv({
      ...databases.env,
      MLFLOW_BIN: path.join(repoRoot, '.cache', 'mlflow', MLFLOW_CURRENT, 'bin', 'mlflow'),
      MLFLOW_USERNAME: 'admin',
      MLFLOW_PASSWORD: 'long-enough-password',
      MLFLOW_FLASK_SERVER_SECRET_KEY: 'a-static-secret-key-0123456789',
      DATABASE_HOST: '127.0.0.1',
      DATABASE_PORT: String(server.port),
    });

  it.each([
    ['MLFLOW_USERNAME missing', { MLFLOW_USERNAME: '' }, /MLFLOW_USERNAME is required/],
    ['MLFLOW_PASSWORD missing', { MLFLOW_PASSWORD: '' }, /MLFLOW_PASSWORD is required/],
    ['MLFLOW_PASSWORD too short', { MLFLOW_PASSWORD: 'short-pw' }, /MLFLOW_PASSWORD must have 12 or more characters/],
    ['MLFLOW_PASSWORD the old default', { MLFLOW_PASSWORD: 'password1234' }, /MLFLOW_PASSWORD must not be MLflow's old default/],
    ['MLFLOW_FLASK_SERVER_SECRET_KEY missing', { MLFLOW_FLASK_SERVER_SECRET_KEY: '' }, /MLFLOW_FLASK_SERVER_SECRET_KEY is required/],
    ['MLFLOW_DEFAULT_PERMISSION invalid', { MLFLOW_DEFAULT_PERMISSION: 'ALL' }, /MLFLOW_DEFAULT_PERMISSION must be one of/],
    ['MLFLOW_PORT invalid', { MLFLOW_PORT: '99999' }, /MLFLOW_PORT must be a port number/],
    ['MLFLOW_WORKERS invalid', { MLFLOW_WORKERS: '0' }, /MLFLOW_WORKERS must be a positive integer/],
    ['MLFLOW_DB_PASSWORD missing', { MLFLOW_DB_PASSWORD: '' }, /MLFLOW_DB_PASSWORD is required/],
    ['MLFLOW_AUTH_DB_PASSWORD missing', { MLFLOW_AUTH_DB_PASSWORD: '' }, /MLFLOW_AUTH_DB_PASSWORD is required/],
    ['MLFLOW_BIN wrong', { MLFLOW_BIN: '/nonexistent/mlflow' }, /MLFLOW_BIN: '\/nonexistent\/mlflow' is not an executable/],
  ])('fails before starting anything: %s', async (_label, override, message) => {
    const r = await runScript(scripts.mlflowEntrypoint, [], { ...valid(), ...override }, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
  }, T);

  it('fails, within its bound, when the database is unreachable', async () => {
    const r = await runScript(
      scripts.mlflowEntrypoint,
      [],
      { ...valid(), DATABASE_PORT: '1', MLFLOW_DB_WAIT_SECONDS: '2' },
      60_000,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BACKEND_STORE_URI: OperationalError/);
    expect(r.stderr).toMatch(/the databases are not reachable/);
    // The URI (with its password) is not printed.
    expect(r.stderr).not.toContain(databases.mlflow.password);
    expect(describeResult(r)).not.toContain('tr%40ck');
  }, 60_000);
});

describe('with the sign-up service in front', () => {
  it('when a person registers through the BFF, then their user lands in the auth database in PostgreSQL', async () => {
    const stack = await startStack({
      vault: false,
      // startStack only needs the URL and admin credentials of an MLflow it did not start.
      mlflow: { url: mlflow!.url, adminUsername: mlflow!.admin.username, adminPassword: mlflow!.admin.password } as MlflowServer,
    });
    try {
      const grace = await stack.signIn('grace');
      expect((await grace.register('registered-through-bff-1')).status).toBe(201);
      const rows = await query<{ username: string; is_admin: boolean }>(server, databases.auth.name, 'SELECT username, is_admin FROM users WHERE username = $1', ['grace@example.org']);
      expect(rows).toEqual([{ username: 'grace@example.org', is_admin: false }]);
    } finally {
      await stack.stop();
    }
  }, 300_000);
});
