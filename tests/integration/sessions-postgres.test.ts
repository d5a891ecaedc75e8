/**
 * Several replicas: two BFF processes (the real `server/src/main.ts`, each its own process) share sessions
 * through one real PostgreSQL. A session made through one is honoured by the other, sign-out on one ends
 * it on both, and expired sessions are neither honoured nor kept.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { repoRoot } from '../support/mlflow-venv.js';
import { startMlflow, type MlflowServer } from '../support/mlflow.js';
import { startOidcProvider, REQUIRED_REALM_ROLES_FOR_TESTS, type OidcServer } from '../support/oidc-provider.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { freePort } from '../support/ports.js';
import { BrowserAgent } from '../support/browser-agent.js';

const CLIENT_ID = 'mlflow-signup';
let postgres: PostgresServer;
let mlflow: MlflowServer;
let oidc: OidcServer;
let sessionDb: pg.Client;
const replicas: Array<{ origin: string; child: ChildProcess; log: string[] }> = [];

async function startReplica(port: number, env: Record<string, string>) {
  const origin = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child = spawn(path.join(repoRoot, 'tests/node_modules/.bin/tsx'), [path.join(repoRoot, 'server/src/main.ts')], {
    env: {
      PATH: process.env.PATH ?? '',
      ...env,
      PORT: String(port),
      OIDC_REDIRECT_URI: `${origin}/signup/auth/callback`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => log.push(d.toString()));
  child.stderr.on('data', (d: Buffer) => log.push(d.toString()));
  replicas.push({ origin, child, log });
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(5000) })
      .then((r) => r.status)
      .catch(() => 0);
    if (ready === 200) return origin;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`replica on ${port} did not become ready:\n${log.join('').slice(-3000)}`);
}

async function sessionRows(): Promise<number> {
  const r = await sessionDb.query('SELECT count(*)::int AS n FROM signup_sessions');
  return r.rows[0].n as number;
}

async function apiMe(agent: BrowserAgent, origin: string) {
  const res = await agent.fetch(`${origin}/signup/api/me`, { headers: { Accept: 'application/json' } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  postgres = await startPostgres();
  const admin = new pg.Client({ connectionString: postgres.url() });
  await admin.connect();
  await admin.query('CREATE DATABASE signup_sessions');
  await admin.end();
  sessionDb = new pg.Client({ connectionString: postgres.url('signup_sessions') });
  await sessionDb.connect();

  mlflow = await startMlflow();
  const ports = [await freePort(), await freePort()];
  oidc = await startOidcProvider({
    clients: [
      {
        client_id: CLIENT_ID,
        redirect_uris: ports.map((p) => `http://127.0.0.1:${p}/signup/auth/callback`),
        post_logout_redirect_uris: ports.map((p) => `http://127.0.0.1:${p}/signup/`),
      },
    ],
  });
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    MLFLOW_HOSTNAME: mlflow.url,
    MLFLOW_USERNAME: mlflow.adminUsername,
    MLFLOW_PASSWORD: mlflow.adminPassword,
    OIDC_AUTHORITY: oidc.issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_SCOPE: 'openid email profile offline_access',
    OIDC_ALLOW_INSECURE_HTTP: 'true',
    REQUIRED_REALM_ROLES: REQUIRED_REALM_ROLES_FOR_TESTS,
    SESSION_SECRET: 'shared-by-every-replica-0123456789abcdef',
    SESSION_DATABASE_URL: postgres.url('signup_sessions'),
    SESSION_PRUNE_INTERVAL_SECONDS: '1',
  };
  await Promise.all(ports.map((p) => startReplica(p, env)));
});

afterAll(async () => {
  for (const r of replicas) r.child.kill('SIGTERM');
  await Promise.all(
    replicas.map((r) => new Promise((res) => (r.child.exitCode !== null ? res(null) : r.child.once('exit', res)))),
  );
  await sessionDb?.end();
  await oidc?.stop();
  await mlflow?.stop();
  await postgres?.stop();
});

describe('when two replicas share PostgreSQL sessions', () => {
  it('then the session table was created by the store itself', async () => {
    expect(await sessionRows()).toBe(0);
  });

  it('then a session made through one replica is honoured by the other, and sign-out on one ends it on both', async () => {
    const [a, b] = replicas.map((r) => r.origin) as [string, string];
    const agent = new BrowserAgent();
    await agent.signIn(`${a}/signup/auth/login`, 'alice', 'alice-password-123');
    const viaA = await apiMe(agent, a);
    expect(viaA.status).toBe(200);
    const viaB = await apiMe(agent, b);
    expect(viaB.status).toBe(200);
    expect(viaB.body.user.email).toBe('alice@example.org');
    expect(viaB.body.csrf_token).toBe(viaA.body.csrf_token);
    expect(await sessionRows()).toBeGreaterThan(0);

    const logout = await agent.fetch(`${b}/signup/auth/logout`, {
      method: 'POST',
      headers: { Accept: 'application/json', 'X-CSRF-Token': viaB.body.csrf_token, Origin: b },
    });
    expect(logout.status).toBe(200);
    expect((await apiMe(agent, a)).status).toBe(401);
    expect((await apiMe(agent, b)).status).toBe(401);
  });

  it('then an expired session is refused by both and pruned from the table', async () => {
    const [a, b] = replicas.map((r) => r.origin) as [string, string];
    const agent = new BrowserAgent();
    await agent.signIn(`${a}/signup/auth/login`, 'frank', 'frank-password-123');
    expect((await apiMe(agent, b)).status).toBe(200);
    await sessionDb.query("UPDATE signup_sessions SET expire = now() - interval '1 minute'");
    expect((await apiMe(agent, a)).status).toBe(401);
    expect((await apiMe(agent, b)).status).toBe(401);
    let rows = await sessionRows();
    for (let i = 0; i < 100 && rows > 0; i++) {
      await new Promise((r) => setTimeout(r, 200));
      rows = await sessionRows();
    }
    expect(rows).toBe(0);
  });
});
