/**
 * Several replicas: two BFF processes (the real `server/src/main.ts`, each its own process) share sessions
 * through one real PostgreSQL. A session made through one is honoured by the other, sign-out on one ends
 * it on both, and expired sessions are neither honoured nor kept.
 */
import pg from 'pg';
import { startMlflow, type MlflowServer } from '../support/mlflow.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startReplicas, type Replicas } from '../support/replicas.js';
import { BrowserAgent } from '../support/browser-agent.js';

let postgres: PostgresServer;
let mlflow: MlflowServer;
let sessionDb: pg.Client;
let replicas: Replicas;

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
  replicas = await startReplicas({
    mlflow,
    sessionDatabaseUrl: postgres.url('signup_sessions'),
    env: { SESSION_PRUNE_INTERVAL_SECONDS: '1' },
  });
});

afterAll(async () => {
  await replicas?.stop();
  await sessionDb?.end();
  await mlflow?.stop();
  await postgres?.stop();
});

describe('when two replicas share PostgreSQL sessions', () => {
  it('then the session table was created by the store itself', async () => {
    expect(await sessionRows()).toBe(0);
  });

  it('then a session made through one replica is honoured by the other, and sign-out on one ends it on both', async () => {
    const [a, b] = replicas.origins as [string, string];
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
    const [a, b] = replicas.origins as [string, string];
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
