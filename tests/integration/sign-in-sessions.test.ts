/**
 * "Your sign-in sessions" (`/api/me/sessions`) against the real OpenID provider, signed in through its real
 * login form from several "browsers" (cookie jars posing with a browser's User-Agent):
 *
 * - with the in-memory store, one BFF: a person's browsers are listed (newest first, the current one
 *   flagged, a coarse device, when each started and was last seen); ending one makes its next request 401;
 *   ending the others; a password change that ends the others; another identity (even one presenting the
 *   same email) sees none of them and ending one of them answers exactly like an unknown id; the routes need
 *   a session and the CSRF token; no session id reaches an answer or the log;
 * - across two BFF processes on one real PostgreSQL: a session started on replica A is listed and ended
 *   from replica B, and A refuses it from then on.
 */
import pg from 'pg';
import { pino } from 'pino';
import { createSessionStore } from '../../server/src/auth/session-store.js';
import { BrowserAgent } from '../support/browser-agent.js';
import { createDatabase, startPostgres, type PostgresServer } from '../support/postgres.js';
import { startReplicas, type Replicas } from '../support/replicas.js';
import { ApiSession, useStack } from '../support/stack.js';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
type Store = ReturnType<typeof createSessionStore>['store'];
type StoredSession = Parameters<Store['set']>[1];
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface SessionRow {
  id: string;
  created_at: string | null;
  last_seen_at: string | null;
  device: string | null;
  current: boolean;
}

const logLines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
const stack = useStack({ rule: 'realm_roles', vault: false, logger });

/** Every session id handed out in this file (from the cookie jars): none may appear in an answer or the log. */
const sids = new Set<string>();

async function sidOf(agent: BrowserAgent, url: string): Promise<string> {
  const cookie = (await agent.cookiesFor(url)).find((c) => c.key === 'mlflow_signup.sid');
  if (!cookie) throw new Error(`no session cookie for ${url}`);
  // `s:<sid>.<signature>`, URL-encoded.
  const signed = decodeURIComponent(cookie.value);
  return signed.slice(2, signed.lastIndexOf('.'));
}

/** One browser of `login`, signed in at `origin` (a replica, or the stack's BFF) with that User-Agent. */
async function browser(login: string, userAgent: string, origin = stack().origin): Promise<ApiSession> {
  const agent = new BrowserAgent(undefined, { userAgent });
  await agent.signIn(`${origin}/signup/auth/login`, login, `${login}-password-123`);
  sids.add(await sidOf(agent, `${origin}/signup/`));
  const session = new ApiSession(agent, `${origin}/signup`, origin);
  expect((await session.me()).status).toBe(200);
  return session;
}

async function list(session: ApiSession): Promise<SessionRow[]> {
  const res = await session.call<{ sessions: SessionRow[] }>('GET', '/api/me/sessions');
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  for (const sid of sids) expect(JSON.stringify(res.body)).not.toContain(sid);
  return res.body.sessions;
}

const meStatus = async (session: ApiSession) => (await session.call('GET', '/api/me')).status;

describe('with the in-memory store (one BFF)', () => {
  it('when a person signs in from two browsers, then each lists both, newest first, itself flagged current', async () => {
    const laptop = await browser('frank', FIREFOX_LINUX);
    const phone = await browser('frank', SAFARI_IPHONE);

    const fromLaptop = await list(laptop);
    expect(fromLaptop.map((s) => [s.device, s.current])).toEqual([
      ['Safari on iOS', false],
      ['Firefox on Linux', true],
    ]);
    for (const s of fromLaptop) {
      expect(s.created_at).toMatch(ISO);
      expect(s.last_seen_at).toMatch(ISO);
      expect(s.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
    expect(Date.parse(fromLaptop[0]!.created_at!)).toBeGreaterThanOrEqual(Date.parse(fromLaptop[1]!.created_at!));

    const fromPhone = await list(phone);
    expect(fromPhone.map((s) => [s.id, s.current])).toEqual([
      [fromLaptop[0]!.id, true],
      [fromLaptop[1]!.id, false],
    ]);
  });

  it('when the person ends the other browser’s session, then its next request is 401 and this one goes on', async () => {
    const laptop = await browser('grace', FIREFOX_LINUX);
    const phone = await browser('grace', SAFARI_IPHONE);
    const other = (await list(laptop)).find((s) => !s.current)!;

    const ended = await laptop.call('DELETE', `/api/me/sessions/${other.id}`);
    expect(ended.status).toBe(204);
    expect(await meStatus(phone)).toBe(401);
    expect((await phone.call('GET', '/api/me/sessions')).status).toBe(401);
    expect(await meStatus(laptop)).toBe(200);
    expect((await list(laptop)).map((s) => s.current)).toEqual([true]);

    const again = await laptop.call('DELETE', `/api/me/sessions/${other.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('session_not_found');
  });

  it('when another identity asks, even one with the same email, then it sees none of them and ending one is 404 like an unknown id', async () => {
    const grace = await browser('grace', FIREFOX_LINUX);
    const gracie = await browser('gracie', CHROME_WINDOWS);
    const graces = await list(grace);
    const gracies = await list(gracie);
    expect(gracies.map((s) => s.device)).toEqual(['Chrome on Windows']);
    expect(gracies.map((s) => s.id)).not.toContain(graces[0]!.id);

    const foreign = await gracie.call('DELETE', `/api/me/sessions/${graces[0]!.id}`);
    const unknown = await gracie.call('DELETE', `/api/me/sessions/${'A'.repeat(22)}`);
    const malformed = await gracie.call('DELETE', '/api/me/sessions/not%20an%20id');
    for (const res of [foreign, unknown, malformed]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(unknown.body);
    }
    expect(unknown.body.error.code).toBe('session_not_found');
    expect(await meStatus(grace)).toBe(200);
    expect((await gracie.call('POST', '/api/me/sessions/end-others')).body).toEqual({ ended: 0 });
    expect(await meStatus(grace)).toBe(200);
  });

  it('when the person ends the current session, then they are signed out here and the session cookie is cleared', async () => {
    const laptop = await browser('ivan', FIREFOX_LINUX);
    const [own] = await list(laptop);
    const res = await laptop.call('DELETE', `/api/me/sessions/${own!.id}`);
    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie().join('\n')).toMatch(/^mlflow_signup\.sid=;/m);
    expect(await meStatus(laptop)).toBe(401);
  });

  it('when the person ends the others, then every other browser is signed out, the count answered, and the end recorded', async () => {
    const first = await browser('alice', FIREFOX_LINUX);
    const second = await browser('alice', SAFARI_IPHONE);
    const third = await browser('alice', CHROME_WINDOWS);
    expect((await first.register('alice-first-password-1234')).status).toBe(201);

    const res = await third.call('POST', '/api/me/sessions/end-others');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ended: 2 });
    expect(await meStatus(first)).toBe(401);
    expect(await meStatus(second)).toBe(401);
    expect((await list(third)).map((s) => s.device)).toEqual(['Chrome on Windows']);

    const activity = await third.call('GET', '/api/me/activity');
    expect(activity.body.entries[0]).toMatchObject({
      action: 'sessions_end',
      detail: 'others',
      target: { type: 'account', id: 'alice@example.org' },
      actor: { you: true },
      outcome: 'ok',
    });
  });

  it('when the password changes with end_other_sessions, then the other browsers are signed out and this one is not', async () => {
    const laptop = await browser('heidi', FIREFOX_LINUX);
    const phone = await browser('heidi', SAFARI_IPHONE);
    expect((await laptop.register('heidi-first-password-1234')).status).toBe(201);

    const invalid = await laptop.call('PUT', '/api/me/password', {
      password: 'heidi-second-password-5678',
      end_other_sessions: 'yes',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.fields).toEqual([{ field: 'end_other_sessions', message: expect.any(String) }]);

    const without = await laptop.call('PUT', '/api/me/password', { password: 'heidi-second-password-5678' });
    expect(without.status).toBe(204);
    expect(await meStatus(phone)).toBe(200);

    const weak = await laptop.call('PUT', '/api/me/password', { password: 'short', end_other_sessions: true });
    expect(weak.status).toBe(422);
    expect(await meStatus(phone)).toBe(200);

    const changed = await laptop.call('PUT', '/api/me/password', {
      password: 'heidi-third-password-9012',
      end_other_sessions: true,
    });
    expect(changed.status).toBe(204);
    expect(await meStatus(phone)).toBe(401);
    expect(await meStatus(laptop)).toBe(200);
    const activity = await laptop.call('GET', '/api/me/activity');
    expect(activity.body.entries.slice(0, 2)).toMatchObject([
      { action: 'sessions_end', detail: 'password_change', target: { type: 'account', id: 'heidi@example.org' } },
      { action: 'password_change', outcome: 'ok' },
    ]);
  });

  it('when someone is not eligible, then they still see and end their own sessions (nothing recorded: no account)', async () => {
    const first = await browser('carol', FIREFOX_LINUX);
    const second = await browser('carol', SAFARI_IPHONE);
    expect(await list(first)).toHaveLength(2);
    expect((await first.call('POST', '/api/me/sessions/end-others')).body).toEqual({ ended: 1 });
    expect(await meStatus(second)).toBe(401);
  });

  it('when nobody is signed in, or the CSRF token or Origin is wrong, then nothing is listed or ended', async () => {
    const anonymous = new ApiSession(new BrowserAgent(), stack().baseUrl, stack().origin);
    expect((await anonymous.call('GET', '/api/me/sessions')).status).toBe(401);
    expect((await anonymous.call('POST', '/api/me/sessions/end-others', undefined, { csrf: false })).status).toBe(403);
    expect(await anonymous.agent.cookiesFor(stack().baseUrl)).toEqual([]);

    const laptop = await browser('bob', FIREFOX_LINUX);
    const phone = await browser('bob', SAFARI_IPHONE);
    const other = (await list(laptop)).find((s) => !s.current)!;
    const noToken = await laptop.call('DELETE', `/api/me/sessions/${other.id}`, undefined, { csrf: false });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('csrf');
    const foreignOrigin = await laptop.call('POST', '/api/me/sessions/end-others', undefined, {
      origin: 'https://evil.example',
    });
    expect(foreignOrigin.status).toBe(403);
    expect(await meStatus(phone)).toBe(200);
  });

  it('then no log line holds a session id', () => {
    expect(sids.size).toBeGreaterThan(10);
    const log = logLines.join('');
    for (const sid of sids) expect(log).not.toContain(sid);
  });
});

describe('across two BFF processes sharing one PostgreSQL', () => {
  let postgres: PostgresServer;
  let sessionDb: pg.Client;
  let replicas: Replicas;
  let url: string;

  beforeAll(async () => {
    postgres = await startPostgres();
    url = await createDatabase(postgres, 'sign_in_sessions');
    sessionDb = new pg.Client({ connectionString: url });
    await sessionDb.connect();
    replicas = await startReplicas({ mlflow: stack().mlflow, sessionDatabaseUrl: url });
  });

  afterAll(async () => {
    await replicas?.stop();
    await sessionDb?.end();
    await postgres?.stop();
  });

  it('when a session is started on replica A, then replica B lists it and ends it, and A refuses it from then on', async () => {
    const [a, b] = replicas.origins as [string, string];
    const onA = await browser('frank', FIREFOX_LINUX, a);
    const onB = await browser('frank', SAFARI_IPHONE, b);
    const someoneElse = await browser('grace', CHROME_WINDOWS, a);

    const fromB = await list(onB);
    expect(fromB.map((s) => [s.device, s.current])).toEqual([
      ['Safari on iOS', true],
      ['Firefox on Linux', false],
    ]);
    // The same ids on both replicas: they are derived with the shared SESSION_SECRET.
    expect((await list(onA)).map((s) => s.id)).toEqual(fromB.map((s) => s.id));

    const ended = await onB.call('DELETE', `/api/me/sessions/${fromB[1]!.id}`);
    expect(ended.status).toBe(204);
    expect(await meStatus(onA)).toBe(401);
    expect(await meStatus(onB)).toBe(200);
    expect(await meStatus(someoneElse)).toBe(200);
    expect((await list(onB)).map((s) => s.device)).toEqual(['Safari on iOS']);
  });

  it('when the others are ended from one replica, then the person’s sessions on the other are refused, and no one else’s', async () => {
    const [a, b] = replicas.origins as [string, string];
    const onA1 = await browser('ivan', FIREFOX_LINUX, a);
    const onA2 = await browser('ivan', CHROME_WINDOWS, a);
    const onB = await browser('ivan', SAFARI_IPHONE, b);
    const someoneElse = await browser('alice', FIREFOX_LINUX, a);

    expect((await onB.call('POST', '/api/me/sessions/end-others')).body).toEqual({ ended: 2 });
    expect(await meStatus(onA1)).toBe(401);
    expect(await meStatus(onA2)).toBe(401);
    expect(await meStatus(onB)).toBe(200);
    expect(await meStatus(someoneElse)).toBe(200);
  });

  it('when a session read by a request is ended before the request saves it, then the save does not bring it back', async () => {
    const handle = createSessionStore({ databaseUrl: url });
    const call = (fn: (done: (err?: unknown, data?: unknown) => void) => void) =>
      new Promise<unknown>((resolve, reject) =>
        fn((err, data) =>
          err ? reject(err instanceof Error ? err : new Error('session store call failed')) : resolve(data),
        ),
      );
    try {
      const owner = { issuer: 'https://idp.example.org', sub: 'race-sub' };
      const fresh = {
        cookie: { expires: new Date(Date.now() + 60_000), originalMaxAge: 60_000 },
        user: owner,
        createdAt: 1,
      } as unknown as StoredSession;
      await call((done) => handle.store.set('race-sid', fresh, done));
      // What express-session does with a session a request read: createSession makes req.session of it.
      const read = (await call((done) => handle.store.get('race-sid', done))) as StoredSession;
      const inFlight = handle.store.createSession({} as Parameters<Store['createSession']>[0], read);
      expect((await handle.directory.sessionsOf(owner)).map((s) => s.sid)).toEqual(['race-sid']);

      await handle.directory.destroy('race-sid');
      inFlight.lastSeenAt = Date.now();
      await call((done) => handle.store.set('race-sid', inFlight, done));
      expect(await call((done) => handle.store.get('race-sid', done))).toBeFalsy();
      expect(await handle.directory.sessionsOf(owner)).toEqual([]);
    } finally {
      await handle.close();
    }
  });

  it('when a session has expired but is not pruned yet, then it is not listed', async () => {
    const [a] = replicas.origins as [string, string];
    const first = await browser('heidi', FIREFOX_LINUX, a);
    const second = await browser('heidi', SAFARI_IPHONE, a);
    await sessionDb.query(
      "UPDATE signup_sessions SET expire = now() - interval '1 minute' WHERE sess -> 'user' ->> 'sub' = 'heidi-sub' AND sess ->> 'device' = 'Safari on iOS'",
    );
    expect((await list(first)).map((s) => s.device)).toEqual(['Firefox on Linux']);
    expect(await meStatus(second)).toBe(401);
  });

  it('then the session table has the index that finds a person’s sessions', async () => {
    const { rows } = await sessionDb.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'signup_sessions' AND indexname = 'IDX_signup_sessions_user_sub'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.indexdef).toMatch(/'user'.*'sub'/);
  });
});
