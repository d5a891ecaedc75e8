/**
 * The security properties the product stands on, each tried against the running system: CSRF, state,
 * open redirects, session fixation, cookie flags, tokens never reaching the browser, sign-out, refresh.
 */
import { useStack } from '../support/stack.js';
import { mlflowUser } from '../support/mlflow-direct.js';

const PASSWORD = 'a-good-password-1234';

const stack = useStack({ rule: 'realm_roles', vault: false });

describe('CSRF', () => {
  it('when a state-changing request has no CSRF token, then 403 csrf and nothing changes', async () => {
    const alice = await stack().signIn('alice');
    for (const [method, path] of [
      ['POST', '/api/me'],
      ['PUT', '/api/me/password'],
      ['DELETE', '/api/me'],
    ] as const) {
      const res = await alice.call(method, path, { password: PASSWORD }, { csrf: false });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('csrf');
    }
    expect(await mlflowUser(stack().mlflow, 'alice@example.org')).toBeNull();
  });

  it('when the CSRF token is wrong or from another session, then 403 csrf', async () => {
    const alice = await stack().signIn('alice');
    const frank = await stack().signIn('frank');
    alice.csrfToken = frank.csrfToken;
    const res = await alice.register(PASSWORD);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf');
  });

  it('when the token is right but the Origin is foreign, then 403 csrf', async () => {
    const alice = await stack().signIn('alice');
    const res = await alice.call('POST', '/api/me', { password: PASSWORD }, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf');
    expect(await mlflowUser(stack().mlflow, 'alice@example.org')).toBeNull();
  });

  it('when sign-out is posted without a token, then 403 and the session survives', async () => {
    const alice = await stack().signIn('alice');
    const res = await alice.call('POST', '/auth/logout', undefined, { csrf: false });
    expect(res.status).toBe(403);
    expect((await alice.me()).status).toBe(200);
  });
});

describe('sign-in callback', () => {
  it('when the state is forged or missing, then 400 invalid_state, not a 500', async () => {
    const agent = stack().newAgent();
    for (const query of ['?state=forged&code=abc', '?code=abc', '']) {
      const res = await agent.fetch(`${stack().baseUrl}/auth/callback${query}`, {
        headers: { Accept: 'application/json' },
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error.code).toBe('invalid_state');
    }
    const page = await agent.fetch(`${stack().baseUrl}/auth/callback?state=forged&code=abc`);
    expect(page.status).toBe(400);
    expect(page.headers.get('content-type')).toMatch(/html/);
    expect(await page.text()).toMatch(/Start again/);
  });

  it('when a completed callback is replayed, then 400 invalid_state', async () => {
    const agent = stack().newAgent();
    const { visited } = await agent.signIn(`${stack().baseUrl}/auth/login`, 'alice', 'alice-password-123');
    const callback = visited.find((u) => u.includes('/auth/callback'));
    expect(callback).toBeDefined();
    const replay = await agent.fetch(callback!, { headers: { Accept: 'application/json' } });
    expect(replay.status).toBe(400);
    expect((await replay.json()).error.code).toBe('invalid_state');
  });

  it('when the provider reports an error, then 400 with its words, not a 500', async () => {
    const agent = stack().newAgent();
    const login = await agent.fetch(`${stack().baseUrl}/auth/login`);
    const state = new URL(login.headers.get('location')!).searchParams.get('state');
    const res = await agent.fetch(
      `${stack().baseUrl}/auth/callback?state=${state}&error=access_denied&error_description=User%20cancelled`,
      { headers: { Accept: 'application/json' } },
    );
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({
      code: 'sign_in_refused',
      message: expect.stringContaining('access_denied'),
    });
  });
});

describe('open redirects', () => {
  it.each(['https://evil.example/', '//evil.example/signup/', '/\\evil.example', '/elsewhere'])(
    'when returnTo is %p, then sign-in lands on the service start page instead',
    async (returnTo) => {
      const agent = stack().newAgent();
      const { finalUrl } = await agent.signIn(
        `${stack().baseUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
        'alice',
        'alice-password-123',
      );
      expect(finalUrl).toBe(`${stack().baseUrl}/`);
    },
  );

  it('when returnTo is a path of this service, then sign-in lands there', async () => {
    const agent = stack().newAgent();
    const { finalUrl } = await agent.signIn(
      `${stack().baseUrl}/auth/login?returnTo=${encodeURIComponent('/signup/account?x=1')}`,
      'alice',
      'alice-password-123',
    );
    expect(finalUrl).toBe(`${stack().origin}/signup/account?x=1`);
  });
});

describe('session', () => {
  it('when a sign-in starts, then no session is created: only the encrypted pending-login cookie, scoped to the auth routes', async () => {
    const agent = stack().newAgent();
    const login = await agent.fetch(`${stack().baseUrl}/auth/login`);
    expect(login.status).toBe(302);
    const cookies = login.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^mlflow_signup\.login=/);
    expect(cookies[0]).toMatch(/HttpOnly/i);
    expect(cookies[0]).toMatch(/SameSite=Lax/i);
    expect(cookies[0]).toMatch(/Path=\/signup\/auth(;|$)/);
    expect(cookies[0]).toMatch(/Max-Age=600/);
  });

  it('when signing in, then the session cookie is HttpOnly, SameSite=Lax, scoped to the base path, and a new id at every sign-in', async () => {
    const agent = stack().newAgent();
    await agent.signIn(`${stack().baseUrl}/auth/login`, 'alice', 'alice-password-123');
    const first = (await agent.cookiesFor(`${stack().baseUrl}/`)).find((c) => c.key === 'mlflow_signup.sid');
    expect(first).toMatchObject({ httpOnly: true, sameSite: 'lax', path: '/signup' });
    // The same browser, already holding a session, signs in again: its session id must be replaced.
    await agent.signIn(`${stack().baseUrl}/auth/login`, 'alice', 'alice-password-123');
    const second = (await agent.cookiesFor(`${stack().baseUrl}/`)).find((c) => c.key === 'mlflow_signup.sid');
    expect(second).toBeDefined();
    expect(second!.value).not.toBe(first!.value);
  });

  it('when the browser is signed in, then no token reaches it: not in JSON, not in cookies', async () => {
    const alice = await stack().signIn('alice');
    const me = await alice.me();
    const text = JSON.stringify(me.body);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
    expect(Object.keys(me.body)).not.toEqual(
      expect.arrayContaining(['access_token', 'id_token', 'refresh_token', 'tokens']),
    );
    const cookies = await alice.agent.cookiesFor(stack().baseUrl + '/');
    expect(cookies.map((c) => c.key)).toEqual(['mlflow_signup.sid']);
  });

  it('when not signed in, then the API answers 401 not_authenticated', async () => {
    const res = await stack()
      .newAgent()
      .fetch(`${stack().baseUrl}/api/me`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('not_authenticated');
  });

  it('when signing out, then the session ends and the browser is sent to the provider with id_token_hint', async () => {
    const alice = await stack().signIn('alice');
    const res = await alice.call('POST', '/auth/logout');
    expect(res.status).toBe(200);
    const target = new URL(res.body.redirect_to);
    expect(target.origin).toBe(new URL(stack().oidc.issuer).origin);
    expect(target.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect(target.searchParams.get('post_logout_redirect_uri')).toBe(`${stack().baseUrl}/`);
    expect((await alice.me()).status).toBe(401);
  });
});

describe('token refresh', () => {
  it('when the access token expires, then it is refreshed; when refresh fails, then 401 session_expired', async () => {
    await stack().restartBff();
    stack().oidc.setAccessTokenTtl(5); // below the refresh margin: every API call refreshes
    try {
      const alice = await stack().signIn('alice');
      expect((await alice.me()).status).toBe(200);
      expect((await alice.me()).status).toBe(200);
      await stack().oidc.revokeAllGrants();
      const res = await alice.me();
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('session_expired');
    } finally {
      stack().oidc.setAccessTokenTtl(600);
    }
  });
});

describe('readiness and a provider that is down', () => {
  it('when the admin password is wrong, then /readyz is 503 and names the variables to check', async () => {
    await stack().restartBff({ MLFLOW_PASSWORD: 'wrong-admin-password' });
    const res = await fetch(`${stack().origin}/readyz`);
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.checks.mlflow).toMatchObject({ ok: false, message: expect.stringContaining('MLFLOW_PASSWORD') });
    expect((await fetch(`${stack().baseUrl}/readyz`)).status).toBe(503);
  });

  it('when the provider cannot be reached, then the service still starts, /readyz says so, and sign-in answers 503', async () => {
    await stack().restartBff({ OIDC_AUTHORITY: 'http://127.0.0.1:9' });
    const ready = await (await fetch(`${stack().origin}/readyz`)).json();
    expect(ready.checks.provider.ok).toBe(false);
    expect(ready.checks.provider.message).toMatch(/OIDC_AUTHORITY/);
    const login = await stack()
      .newAgent()
      .fetch(`${stack().baseUrl}/auth/login`, { headers: { Accept: 'application/json' } });
    expect(login.status).toBe(503);
    expect((await login.json()).error.code).toBe('provider_unavailable');
    expect((await fetch(`${stack().origin}/healthz`)).status).toBe(200);
  });

  it('when everything is up, then /readyz is 200', async () => {
    await stack().restartBff();
    expect((await fetch(`${stack().origin}/readyz`)).status).toBe(200);
  });
});
