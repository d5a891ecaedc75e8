import { jest } from '@jest/globals';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import type { Config } from '../config.js';
import { errorHandler, notAuthenticated } from '../errors.js';
import { createSessionStore, type SessionStoreHandle } from '../auth/session-store.js';
import { sessionMiddleware, sessionStep, SESSION_COOKIE } from '../security/session.js';
import { createSessionsRouter } from './routes.js';
import { createSessionService } from './service.js';

const ISSUER = 'https://idp.example.org';
const config = {
  basePath: '/signup',
  session: { secret: 'a-session-secret-of-at-least-32-characters', cookieSecure: false, maxAgeMs: 3_600_000 },
} as unknown as Config;

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** Stands in for auth/current-user.ts: the session's user is the identity. */
const currentUser: RequestHandler = (req, _res, next) => {
  const user = req.session.user;
  if (!user) return next(notAuthenticated());
  req.identity = {
    issuer: user.issuer,
    sub: user.sub,
    claims: {},
    eligibility: { eligible: true, email: `${user.sub}@example.org` },
    email: `${user.sub}@example.org`,
    name: undefined,
    accessToken: 'access-token',
  };
  next();
};

let handle: SessionStoreHandle;
let app: express.Express;
const logger = { error: jest.fn(), warn: jest.fn() };

beforeEach(() => {
  handle = createSessionStore({ databaseUrl: undefined });
  const service = createSessionService({
    directory: handle.directory,
    secret: config.session.secret,
    accounts: { byIdentity: async () => undefined },
    audit: { write: async () => undefined },
  });
  app = express();
  const base = express.Router();
  base.use(sessionMiddleware(config, handle.store));
  // Stands in for the sign-in callback (auth/routes.ts): a new session with what the list shows.
  base.get('/test-sign-in/:sub', async (req, res) => {
    await sessionStep(req, 'regenerate');
    req.session.user = { issuer: ISSUER, sub: req.params.sub } as never;
    req.session.createdAt = Date.now();
    req.session.device = req.get('user-agent') === SAFARI ? 'Safari on iOS' : 'Firefox on Linux';
    await sessionStep(req, 'save');
    res.status(204).end();
  });
  base.use('/api/me/sessions', currentUser, createSessionsRouter(config, service));
  app.use('/signup', base);
  app.use(errorHandler(logger));
});
afterEach(() => handle.close());

async function browser(sub: string, userAgent = FIREFOX) {
  const agent = request.agent(app);
  await agent.get(`/signup/test-sign-in/${sub}`).set('User-Agent', userAgent).expect(204);
  return agent;
}

describe('/api/me/sessions', () => {
  it('when a person signed in twice, then each browser lists both, itself flagged current, without a session id', async () => {
    const laptop = await browser('grace');
    const phone = await browser('grace', SAFARI);
    await browser('alan');
    const fromLaptop = await laptop.get('/signup/api/me/sessions').expect(200);
    expect(fromLaptop.headers['cache-control']).toBe('no-store');
    expect(fromLaptop.body.sessions).toHaveLength(2);
    const laptopRow = fromLaptop.body.sessions.find((s: { current: boolean }) => s.current);
    expect(laptopRow).toMatchObject({ device: 'Firefox on Linux', current: true });
    expect(laptopRow.created_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(laptopRow.last_seen_at).toBeNull();
    const fromPhone = await phone.get('/signup/api/me/sessions').expect(200);
    expect(fromPhone.body.sessions.find((s: { current: boolean }) => s.current).device).toBe('Safari on iOS');
    const sids = (await handle.directory.sessionsOf({ issuer: ISSUER, sub: 'grace' })).map((s) => s.sid);
    for (const sid of sids) expect(JSON.stringify([fromLaptop.body, fromPhone.body])).not.toContain(sid);
  });

  it('when a person ends their other browser’s session, then that browser is signed out and this one is not', async () => {
    const laptop = await browser('grace');
    const phone = await browser('grace', SAFARI);
    const list = (await laptop.get('/signup/api/me/sessions')).body.sessions as Array<{ id: string; current: boolean }>;
    const other = list.find((s) => !s.current)!;
    await laptop.delete(`/signup/api/me/sessions/${other.id}`).expect(204);
    await phone.get('/signup/api/me/sessions').expect(401);
    await laptop.get('/signup/api/me/sessions').expect(200);
  });

  it('when a person ends the current session, then it is signed out and its cookie cleared', async () => {
    const laptop = await browser('grace');
    const [row] = (await laptop.get('/signup/api/me/sessions')).body.sessions as Array<{ id: string }>;
    const res = await laptop.delete(`/signup/api/me/sessions/${row!.id}`).expect(204);
    expect(String(res.headers['set-cookie'])).toMatch(new RegExp(`${SESSION_COOKIE.replace('.', '\\.')}=;`));
    await laptop.get('/signup/api/me/sessions').expect(401);
  });

  it('when the id is another person’s, unknown or malformed, then the answer is the same 404 and nothing ends', async () => {
    const grace = await browser('grace');
    const alan = await browser('alan');
    const [alanRow] = (await alan.get('/signup/api/me/sessions')).body.sessions as Array<{ id: string }>;
    const answers = await Promise.all(
      [alanRow!.id, 'AAAAAAAAAAAAAAAAAAAAAA', '..%2F..', 'x'.repeat(65)].map((id) =>
        grace.delete(`/signup/api/me/sessions/${id}`),
      ),
    );
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual(answers[0]!.body);
    }
    expect(answers[0]!.body.error.code).toBe('session_not_found');
    await alan.get('/signup/api/me/sessions').expect(200);
  });

  it('when a person ends their other sessions, then the count is answered and only this one remains', async () => {
    const laptop = await browser('grace');
    await browser('grace', SAFARI);
    await browser('grace', SAFARI);
    const alan = await browser('alan');
    expect((await laptop.post('/signup/api/me/sessions/end-others').expect(200)).body).toEqual({ ended: 2 });
    expect((await laptop.get('/signup/api/me/sessions')).body.sessions).toHaveLength(1);
    await alan.get('/signup/api/me/sessions').expect(200);
    expect((await laptop.post('/signup/api/me/sessions/end-others').expect(200)).body).toEqual({ ended: 0 });
  });

  it('when nobody is signed in, then 401 and no session is stored', async () => {
    await request(app).get('/signup/api/me/sessions').expect(401);
    await request(app).post('/signup/api/me/sessions/end-others').expect(401);
    expect(await new Promise((r) => handle.store.length!((_e, n) => r(n)))).toBe(0);
  });
});
