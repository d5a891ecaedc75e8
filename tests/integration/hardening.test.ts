/**
 * Hardening regressions on the real stack (MLflow 3.18.0, the OpenID provider, real PostgreSQL): a sign-in
 * start keeps nothing on the server, several pending sign-ins per browser, forged callback states,
 * malformed percent-encoding, control characters in passwords, token refresh under concurrency and with
 * the provider down, the last manager under concurrent changes (one BFF and two BFF processes), returnTo
 * under both base paths, and what /readyz reveals and costs.
 *
 * Every request stays on 127.0.0.1: redirects are followed only while they point at the BFF itself, so a
 * redirect to `evil.example` is reported, never requested.
 */

import { parse } from 'node-html-parser';
import pg from 'pg';

import { BrowserAgent } from '../support/browser-agent.js';
import { useForAll } from '../support/lifecycle.js';
import { startMlflow } from '../support/mlflow.js';
import { directExperimentPermission, mlflowAs, mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { startMlflowCallCounter, type MlflowCallCounter } from '../support/mlflow-call-counter.js';
import { startReplicas, type Replicas } from '../support/replicas.js';
import { startPostgres } from '../support/postgres.js';
import { ApiSession, startStack, type Stack } from '../support/stack.js';
import { sleep } from '../support/timing.js';

const A = 'frank@example.org';
const B = 'grace@example.org';
const PASSWORD_A = 'frank-mlflow-password-1';
const PASSWORD_B = 'grace-mlflow-password-2';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/* ------------------------------------------------------------------------------------------------ */
/* Helpers                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

/** The body as JSON when it is JSON, else its text (so a 500 page shows up in the failure). */
async function bodyOf(res: Response): Promise<any> {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `GET <base>/auth/login[?returnTo=…]` in `agent`'s browser: the provider URL it redirects to (not followed). */
async function startSignIn(agent: BrowserAgent, stack: Stack, returnTo?: string): Promise<string> {
  const res = await agent.fetch(
    `${stack.baseUrl}/auth/login${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`,
  );
  await res.arrayBuffer();
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!, stack.baseUrl).href;
}

/**
 * Goes through the provider from its authorization URL (login form when the browser has no provider
 * session, automatic consent) until it redirects back to the BFF's callback, and returns that callback URL
 * without requesting it.
 */
async function throughProvider(
  agent: BrowserAgent,
  authorizeUrl: string,
  login: string,
  stack: Stack,
): Promise<string> {
  const callbackPrefix = `${stack.baseUrl}/auth/callback?`;
  let url = authorizeUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 15; step++) {
    if (url.startsWith(callbackPrefix)) return url;
    if (new URL(url).origin !== new URL(stack.oidc.issuer).origin)
      throw new Error(`the provider sent the browser to ${url}`);
    const res = await agent.fetch(url, init);
    const location = res.headers.get('location');
    if (REDIRECTS.has(res.status) && location) {
      await res.arrayBuffer();
      url = new URL(location, url).href;
      init = {};
      continue;
    }
    const html = await res.text();
    const form = parse(html)
      .querySelectorAll('form')
      .find((f) => f.querySelector('input[name="username"]'));
    if (!form)
      throw new Error(`expected the provider's login form at ${url} (HTTP ${res.status}):\n${html.slice(0, 1500)}`);
    const action = new URL(form.getAttribute('action') || url, url);
    url = action.href;
    init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: action.origin },
      body: new URLSearchParams({ username: login, password: `${login}-password-123` }).toString(),
    };
  }
  throw new Error(`the provider did not send the browser back to ${callbackPrefix}`);
}

/**
 * Requests `url` and follows redirects only while they stay on the BFF's origin; returns every Location,
 * resolved against the URL that answered it (as a browser resolves it). A Location on another origin
 * ends the list and is never requested.
 */
async function sameOriginRedirects(agent: BrowserAgent, url: string, stack: Stack): Promise<string[]> {
  const locations: string[] = [];
  let current = url;
  for (let hop = 0; hop < 6; hop++) {
    const res = await agent.fetch(current, { headers: { Accept: 'text/html' } });
    await res.arrayBuffer();
    const location = res.headers.get('location');
    if (!REDIRECTS.has(res.status) || location === null) break;
    const next = new URL(location, current);
    locations.push(next.href);
    if (next.origin !== stack.origin) break;
    current = next.href;
  }
  return locations;
}

const collaborator = (id: string, username: string) =>
  `/api/experiment/${encodeURIComponent(id)}/collaborators/${encodeURIComponent(username)}`;

/** A person signed in at `origin` (a BFF replica mounted at /signup), talking JSON like the SPA. */
async function signInAt(origin: string, login: string): Promise<ApiSession> {
  const agent = new BrowserAgent();
  await agent.signIn(`${origin}/signup/auth/login`, login, `${login}-password-123`);
  const session = new ApiSession(agent, `${origin}/signup`, origin);
  expect((await session.me()).status).toBe(200);
  return session;
}

/* ------------------------------------------------------------------------------------------------ */
/* The services every block shares: one MLflow 3.18.0 and the main stack (BASE_PATH /signup)         */
/* ------------------------------------------------------------------------------------------------ */

const mlflow = useForAll(
  'MLflow',
  () => startMlflow(),
  (m) => m.destroy(),
);
const main = useForAll(
  'stack',
  () => startStack({ mlflow: mlflow(), vault: false, rule: 'realm_roles' }),
  (s) => s.stop(),
);

/** The direct grant `username` holds on experiment `id`, as MLflow's admin sees it. */
const directPermission = (username: string, id: string) => directExperimentPermission(mlflow(), username, id);

/** Frank (A) and Grace (B), registered through the main stack once, with the MLflow passwords above. */
let sharers: Promise<{ a: ApiSession; b: ApiSession }> | undefined;
function registeredSharers() {
  sharers ??= (async () => {
    const a = await main().signIn('frank');
    const b = await main().signIn('grace');
    for (const [session, password] of [
      [a, PASSWORD_A],
      [b, PASSWORD_B],
    ] as const) {
      const res = await session.register(password);
      expect([201, 409]).toContain(res.status);
    }
    expect(await signInStatus(mlflow(), A, PASSWORD_A)).toBe(200);
    expect(await signInStatus(mlflow(), B, PASSWORD_B)).toBe(200);
    return { a, b };
  })();
  return sharers;
}

/**
 * A creates an experiment with their own MLflow credentials, makes B a second manager through `a`, then
 * A lowers B and B lowers A at the same moment (through `a` and `b`). Checked against MLflow: somebody
 * still manages the experiment, every 200 is in effect, and every refusal changed nothing.
 */
async function raceToLowerEachOther(a: ApiSession, b: ApiSession, rounds: number, label: string) {
  for (let round = 1; round <= rounds; round++) {
    const created = await mlflowAs(mlflow(), A, PASSWORD_A, 'POST', '/api/2.0/mlflow/experiments/create', {
      name: `${label} race ${round} ${Date.now()}`,
    });
    expect(created.status).toBe(200);
    const id = String(created.body.experiment_id);
    expect((await a.call('PUT', collaborator(id, B), { permission: 'MANAGE' })).status).toBe(201);
    expect(await directPermission(B, id)).toBe('MANAGE');

    const [aLowersB, bLowersA] = await Promise.all([
      a.call('PUT', collaborator(id, B), { permission: 'READ' }),
      b.call('PUT', collaborator(id, A), { permission: 'READ' }),
    ]);
    const after: Record<string, string | null> = {
      [A]: await directPermission(A, id),
      [B]: await directPermission(B, id),
    };
    const outcome = (res: { status: number; body: any }, target: string) => ({
      status: res.status,
      code: res.status === 200 ? null : res.body?.error?.code,
      target_now: after[target],
    });
    const seen = {
      round,
      managers: Object.keys(after).filter((u) => after[u] === 'MANAGE'),
      aLowersB: outcome(aLowersB, B),
      bLowersA: outcome(bLowersA, A),
    };
    // A success is in effect; a refusal is 409 last_manager (or 403 forbidden, for the one who was lowered
    // first and no longer manages) and changed nothing; and at least one manager is left.
    const ok = (o: ReturnType<typeof outcome>) =>
      (o.status === 200 && o.target_now === 'READ') ||
      (o.status === 409 && o.code === 'last_manager' && o.target_now === 'MANAGE') ||
      (o.status === 403 && o.code === 'forbidden' && o.target_now === 'MANAGE');
    expect({
      ...seen,
      consistent: ok(seen.aLowersB) && ok(seen.bLowersA),
      someone_manages: seen.managers.length > 0,
    }).toEqual({
      ...seen,
      consistent: true,
      someone_manages: true,
    });
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* 1. Starting a sign-in keeps nothing on the server                                                  */
/* ------------------------------------------------------------------------------------------------ */

describe('when a browser without cookies starts a sign-in', () => {
  it('then it is sent to the provider and the only cookie set is the short-lived, HttpOnly, Lax login cookie scoped to /signup/auth', async () => {
    const res = await fetch(`${main().baseUrl}/auth/login`, { redirect: 'manual' });
    await res.arrayBuffer();
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).origin).toBe(new URL(main().oidc.issuer).origin);

    const cookies = res.headers.getSetCookie();
    expect(cookies.map((c) => c.slice(0, c.indexOf('=')))).toEqual(['mlflow_signup.login']);
    const attributes = new Map(
      cookies[0]!
        .split(';')
        .slice(1)
        .map((part) => {
          const [key, ...value] = part.trim().split('=');
          return [key!.toLowerCase(), value.join('=')] as const;
        }),
    );
    expect(attributes.has('httponly')).toBe(true);
    expect(attributes.get('samesite')?.toLowerCase()).toBe('lax');
    expect(attributes.get('path')).toBe('/signup/auth');
    const maxAge = Number(attributes.get('max-age'));
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(600);
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* 2. Several pending sign-ins in one browser                                                         */
/* ------------------------------------------------------------------------------------------------ */

describe('when one browser has several sign-ins pending (tabs)', () => {
  it.each([
    ['the first started, then the second', [0, 1]],
    ['the second started, then the first', [1, 0]],
  ])(
    'when two tabs start signing in and finish %s, then both complete and land where each started',
    async (_order, order) => {
      const stack = main();
      const agent = new BrowserAgent();
      const returnTos = ['/signup/one', '/signup/two'];
      const authorizeUrls: string[] = [];
      for (const returnTo of returnTos) authorizeUrls.push(await startSignIn(agent, stack, returnTo));
      const callbacks: string[] = [];
      for (const url of authorizeUrls) callbacks.push(await throughProvider(agent, url, 'alice', stack));

      const landed: Array<{ tab: number; status: number; location: string | null }> = [];
      for (const tab of order) {
        const res = await agent.fetch(callbacks[tab]!, { headers: { Accept: 'text/html' } });
        await res.arrayBuffer();
        const location = res.headers.get('location');
        landed.push({
          tab,
          status: res.status,
          location: location === null ? null : new URL(location, callbacks[tab]).href,
        });
      }
      expect(landed).toEqual(order.map((tab) => ({ tab, status: 302, location: `${stack.origin}${returnTos[tab]}` })));

      const me = await agent.fetch(`${stack.baseUrl}/api/me`, { headers: { Accept: 'application/json' } });
      expect(me.status).toBe(200);
      expect((await bodyOf(me)).user.email).toBe('alice@example.org');
    },
  );

  it('when six sign-ins are started in one browser, then the five newest complete in any order and the oldest is refused as invalid_state', async () => {
    const stack = main();
    const agent = new BrowserAgent();
    const returnTos = [0, 1, 2, 3, 4, 5].map((i) => `/signup/tab-${i}`);
    const authorizeUrls: string[] = [];
    for (const returnTo of returnTos) authorizeUrls.push(await startSignIn(agent, stack, returnTo));
    const callbacks: string[] = [];
    for (const url of authorizeUrls) callbacks.push(await throughProvider(agent, url, 'alice', stack));

    const results: Array<{ tab: number; status: number; landed: string | null; code: string | null }> = [];
    for (const tab of [3, 5, 1, 4, 2, 0]) {
      const res = await agent.fetch(callbacks[tab]!, { headers: { Accept: 'application/json' } });
      const location = res.headers.get('location');
      const body = REDIRECTS.has(res.status) ? (await res.arrayBuffer(), undefined) : await bodyOf(res);
      results.push({
        tab,
        status: res.status,
        landed: location === null ? null : new URL(location, callbacks[tab]).href,
        code: body?.error?.code ?? null,
      });
    }
    expect(results).toEqual([
      ...[3, 5, 1, 4, 2].map((tab) => ({ tab, status: 302, landed: `${stack.origin}${returnTos[tab]}`, code: null })),
      { tab: 0, status: 400, landed: null, code: 'invalid_state' },
    ]);
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* 3. Callback states that this browser did not start                                                 */
/* ------------------------------------------------------------------------------------------------ */

describe('when the callback carries a state this browser did not start', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])(
    'when the state is %p (with a code, and a real pending sign-in in the browser), then 400 invalid_state and the provider is never asked for tokens',
    async (state) => {
      const stack = main();
      const agent = new BrowserAgent();
      await startSignIn(agent, stack, '/signup/account');
      const before = stack.oidc.tokenRequests.length;
      const url = `${stack.baseUrl}/auth/callback?state=${encodeURIComponent(state)}&code=forged-code-123&iss=${encodeURIComponent(stack.oidc.issuer)}`;

      const json = await agent.fetch(url, { headers: { Accept: 'application/json' } });
      expect({ status: json.status, body: await bodyOf(json) }).toEqual({
        status: 400,
        body: { error: expect.objectContaining({ code: 'invalid_state' }) },
      });
      const page = await agent.fetch(url, { headers: { Accept: 'text/html' } });
      await page.arrayBuffer();
      expect(page.status).toBe(400);
      expect(stack.oidc.tokenRequests.slice(before)).toEqual([]);
    },
  );

  it("when another browser brings this browser's real callback (valid state and code), then 400 invalid_state, no token is fetched, and the owner still signs in", async () => {
    const stack = main();
    const owner = new BrowserAgent();
    const callback = await throughProvider(owner, await startSignIn(owner, stack, '/signup/account'), 'alice', stack);

    for (const withOwnPendingSignIn of [false, true]) {
      const intruder = new BrowserAgent();
      if (withOwnPendingSignIn) await startSignIn(intruder, stack);
      const before = stack.oidc.tokenRequests.length;
      const res = await intruder.fetch(callback, { headers: { Accept: 'application/json' } });
      expect({ withOwnPendingSignIn, status: res.status, body: await bodyOf(res) }).toEqual({
        withOwnPendingSignIn,
        status: 400,
        body: { error: expect.objectContaining({ code: 'invalid_state' }) },
      });
      expect(stack.oidc.tokenRequests.slice(before)).toEqual([]);
      const me = await intruder.fetch(`${stack.baseUrl}/api/me`, { headers: { Accept: 'application/json' } });
      await me.arrayBuffer();
      expect(me.status).toBe(401);
    }

    const done = await owner.fetch(callback, { headers: { Accept: 'text/html' } });
    await done.arrayBuffer();
    expect(done.status).toBe(302);
    expect(new URL(done.headers.get('location')!, callback).href).toBe(`${stack.origin}/signup/account`);
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* 4. Malformed percent-encoding                                                                      */
/* ------------------------------------------------------------------------------------------------ */

describe('when a URL is not valid percent-encoding', () => {
  /** Paths whose own encoding is broken: 400 malformed_url, signed in or not. */
  const MALFORMED_PATHS = [
    '/signup/api/experiment/%E0%A4%A/collaborators',
    '/signup/api/experiment/1/collaborators/%E0%A4%A',
    '/signup/api/%ZZ/x/collaborators',
    '/signup/api/resources%ZZ',
    '/signup/%ZZ',
    '/signup/account/%C0%AF',
    '/signup/auth/%ZZ',
    '/signup/assets/%ZZ.js',
  ];
  /** A broken query may simply fall back; it must never be a server error. */
  const MALFORMED_QUERIES = [
    '/signup/auth/login?returnTo=%ZZ',
    '/signup/auth/login?returnTo=%E0%A4%A',
    '/signup/auth/callback?state=%ZZ&code=%E0%A4%A',
    '/signup/api/resources?type=%ZZ',
    '/signup/api/me?x=%ZZ',
    '/signup/?x=%ZZ',
    '/readyz?x=%ZZ',
    '/%ZZ',
  ];

  async function answers(
    fetchIt: (url: string, init: RequestInit) => Promise<Response>,
    paths: string[],
    init: RequestInit = {},
  ) {
    const out: Array<{ path: string; status: number; code: unknown }> = [];
    for (const p of paths) {
      const res = await fetchIt(`${main().origin}${p}`, {
        ...init,
        headers: { Accept: 'application/json', ...(init.headers as Record<string, string>) },
      });
      const body = await bodyOf(res);
      out.push({ path: p, status: res.status, code: body?.error?.code });
    }
    return out;
  }

  it('when anonymous, then every malformed path answers 400 malformed_url', async () => {
    const got = await answers((u, i) => fetch(u, { ...i, redirect: 'manual' }), MALFORMED_PATHS);
    expect(got).toEqual(MALFORMED_PATHS.map((p) => ({ path: p, status: 400, code: 'malformed_url' })));
  });

  it('when signed in, then every malformed path answers 400 malformed_url, for reads and for changes', async () => {
    const alice = await main().signIn('alice');
    const read = await answers((u, i) => alice.agent.fetch(u, i), MALFORMED_PATHS);
    expect(read).toEqual(MALFORMED_PATHS.map((p) => ({ path: p, status: 400, code: 'malformed_url' })));
    const changes = [
      '/signup/api/experiment/%E0%A4%A/collaborators/grace%40example.org',
      '/signup/api/experiment/1/collaborators/%ZZ',
    ];
    for (const method of ['PUT', 'DELETE']) {
      const got = await answers((u, i) => alice.agent.fetch(u, i), changes, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': alice.csrfToken!, Origin: main().origin },
        body: method === 'PUT' ? JSON.stringify({ permission: 'READ' }) : undefined,
      });
      expect(got).toEqual(changes.map((p) => ({ path: p, status: 400, code: 'malformed_url' })));
    }
    expect((await alice.me()).status).toBe(200);
  });

  it('when a browser asks for a malformed page, then it gets 400, not a server error', async () => {
    for (const p of ['/signup/%ZZ', '/signup/account/%E0%A4%A']) {
      const res = await fetch(`${main().origin}${p}`, { headers: { Accept: 'text/html' }, redirect: 'manual' });
      await res.arrayBuffer();
      expect({ path: p, status: res.status }).toEqual({ path: p, status: 400 });
    }
  });

  it('when only the query is malformed, then no answer is a server error, anonymous or signed in', async () => {
    const alice = await main().signIn('alice');
    const anonymous = await answers((u, i) => fetch(u, { ...i, redirect: 'manual' }), MALFORMED_QUERIES);
    const signedIn = await answers((u, i) => alice.agent.fetch(u, i), MALFORMED_QUERIES);
    const serverErrors = [...anonymous, ...signedIn].filter((a) => a.status >= 500);
    expect(serverErrors).toEqual([]);
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* 5. Control characters in passwords                                                                 */
/* ------------------------------------------------------------------------------------------------ */

describe('when a password holds control characters', () => {
  const BAD_PASSWORDS: Array<[string, string]> = [
    ['NUL and BEL', '\u0000\u0007-padded-password-1'],
    ['a tab', 'tabbed\tpassword-1234'],
    ['a line feed', 'two-lines\npassword-1'],
    ['DEL', 'deleted\u007fpassword-1234'],
    ['NEL (C1)', 'next-line\u0085password-1'],
    ['CSI (C1)', 'control\u009bpassword-12'],
  ];

  it.each(BAD_PASSWORDS)(
    'when registering with %s, then 422 password_invalid_characters and no MLflow user is created',
    async (_what, password) => {
      const alice = await main().signIn('alice');
      const res = await alice.register(password);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({
        status: 422,
        code: 'password_invalid_characters',
      });
      expect(await mlflowUser(mlflow(), 'alice@example.org')).toBeNull();
    },
  );

  it.each(BAD_PASSWORDS)(
    'when changing the password to one with %s, then 422 password_invalid_characters and the old password still works in MLflow',
    async (_what, password) => {
      const { a } = await registeredSharers();
      const res = await a.changePassword(password);
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({
        status: 422,
        code: 'password_invalid_characters',
      });
      expect(await signInStatus(mlflow(), A, PASSWORD_A)).toBe(200);
      expect(await signInStatus(mlflow(), A, password)).toBe(401);
    },
  );
});

/* ------------------------------------------------------------------------------------------------ */
/* 6. Token refresh                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

describe('when the access token has expired', () => {
  const TTL_SECONDS = 2;
  const stack = useForAll(
    'refresh stack',
    () => startStack({ mlflow: mlflow(), vault: false, accessTokenTtlSeconds: TTL_SECONDS }),
    (s) => s.stop(),
  );
  const afterExpiry = () => sleep(TTL_SECONDS * 1000 + 700);

  it('when five API requests arrive at once, then all answer 200 and the provider sees exactly one refresh', async () => {
    const alice = await stack().signIn('alice');
    await afterExpiry();
    const before = stack().oidc.tokenRequests.length;
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => alice.call('GET', '/api/me')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(
      stack()
        .oidc.tokenRequests.slice(before)
        .map((r) => [r.grantType, r.outcome]),
    ).toEqual([['refresh_token', 'issued']]);

    // The refresh token the provider rotated is the one kept: the next refresh works too.
    await afterExpiry();
    expect((await alice.me()).status).toBe(200);
  });

  it.each([
    ['drops the connection', 'drop' as const],
    ['answers 503', 503],
  ])(
    'when the token endpoint %s at refresh time, then 503 provider_unavailable, and once it answers again the same session works',
    async (_what, failure) => {
      const alice = await stack().signIn('alice');
      await afterExpiry();
      const before = stack().oidc.tokenRequests.length;
      stack().oidc.setTokenEndpointFailure(failure);
      try {
        const res = await alice.call('GET', '/api/me');
        expect({ status: res.status, code: res.body?.error?.code }).toEqual({
          status: 503,
          code: 'provider_unavailable',
        });
        expect(stack().oidc.tokenRequests.slice(before)).toContainEqual(
          expect.objectContaining({ grantType: 'refresh_token', outcome: 'failed' }),
        );
      } finally {
        stack().oidc.setTokenEndpointFailure(undefined);
      }
      const again = await alice.call('GET', '/api/me');
      expect(again.status).toBe(200);
      expect(again.body.user.email).toBe('alice@example.org');
    },
  );

  it('when the provider refuses the refresh (the grant was revoked), then 401 session_expired', async () => {
    const alice = await stack().signIn('alice');
    await afterExpiry();
    await stack().oidc.revokeAllGrants();
    const before = stack().oidc.tokenRequests.length;
    const res = await alice.call('GET', '/api/me');
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 401, code: 'session_expired' });
    expect(stack().oidc.tokenRequests.slice(before)).toContainEqual(
      expect.objectContaining({ grantType: 'refresh_token', outcome: 'refused', error: 'invalid_grant' }),
    );
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* 7. The last manager under concurrent changes (one BFF)                                             */
/* ------------------------------------------------------------------------------------------------ */

describe('when two managers lower each other at the same moment through one BFF', () => {
  it('then, every time, somebody still manages the experiment and each answer matches what MLflow holds', async () => {
    const { a, b } = await registeredSharers();
    await raceToLowerEachOther(a, b, 5, 'one-bff');
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* 8. returnTo never leaves the site                                                                  */
/* ------------------------------------------------------------------------------------------------ */

const EVIL_RETURN_TOS = [
  '/.//evil.example',
  '/..//evil.example',
  '/%2e//evil.example',
  '/%2e%2e//evil.example',
  '//evil.example',
  '/\\evil.example',
  '/%5Cevil.example',
  '/%2F%2Fevil.example',
  'https://evil.example',
];

/** Signs alice in with `returnTo` and returns every redirect after the callback (see {@link sameOriginRedirects}). */
async function redirectsAfterSignIn(stack: Stack, returnTo: string): Promise<string[]> {
  const agent = new BrowserAgent();
  const callback = await throughProvider(agent, await startSignIn(agent, stack, returnTo), 'alice', stack);
  return sameOriginRedirects(agent, callback, stack);
}

describe('when returnTo points off the site under BASE_PATH /signup', () => {
  it.each([...EVIL_RETURN_TOS, '/signup/..//evil.example', '/signup/.//evil.example', '/signup/%2e%2e//evil.example'])(
    'when returnTo is %p, then every redirect after sign-in stays on the BFF origin',
    async (returnTo) => {
      const redirects = await redirectsAfterSignIn(main(), returnTo);
      expect(redirects.length).toBeGreaterThan(0);
      expect(redirects.map((l) => new URL(l).origin)).toEqual(redirects.map(() => main().origin));
    },
  );

  it('when returnTo is a page of the service, then sign-in lands there', async () => {
    expect(await redirectsAfterSignIn(main(), '/signup/account?x=1')).toEqual([`${main().origin}/signup/account?x=1`]);
  });
});

describe('when returnTo points off the site under BASE_PATH / (served at the root)', () => {
  // BASE_PATH '' reads as "unset" (the default /signup): the root is written as "/".
  const root = useForAll(
    'root stack',
    () => startStack({ mlflow: mlflow(), vault: false, basePath: '', env: { BASE_PATH: '/' } }),
    (s) => s.stop(),
  );

  it.each(EVIL_RETURN_TOS)(
    'when returnTo is %p, then every redirect after sign-in stays on the BFF origin',
    async (returnTo) => {
      const redirects = await redirectsAfterSignIn(root(), returnTo);
      expect(redirects.length).toBeGreaterThan(0);
      expect(redirects.map((l) => new URL(l).origin)).toEqual(redirects.map(() => root().origin));
    },
  );

  it('when returnTo is a page of the service, then sign-in lands there', async () => {
    expect(root().config.basePath).toBe('');
    expect(await redirectsAfterSignIn(root(), '/account?x=1')).toEqual([`${root().origin}/account?x=1`]);
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* PostgreSQL: sessions not written by sign-in starts; two BFF processes sharing one database         */
/* ------------------------------------------------------------------------------------------------ */

describe('with sessions in PostgreSQL', () => {
  const postgres = useForAll(
    'PostgreSQL',
    () => startPostgres(),
    (p) => p.stop(),
  );
  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: postgres().url() });
    await admin.connect();
    await admin.query('CREATE DATABASE signup_sessions');
    await admin.query('CREATE DATABASE replica_sessions');
    await admin.end();
  });

  describe('when anonymous visitors start many sign-ins', () => {
    const stack = useForAll(
      'PostgreSQL stack',
      () =>
        startStack({
          mlflow: mlflow(),
          vault: false,
          env: { SESSION_DATABASE_URL: postgres().url('signup_sessions') },
        }),
      (s) => s.stop(),
    );
    const db = useForAll(
      'session database client',
      async () => {
        const client = new pg.Client({ connectionString: postgres().url('signup_sessions') });
        await client.connect();
        return client;
      },
      (client) => client.end(),
    );
    const sessionRows = async () =>
      (await db().query('SELECT count(*)::int AS n FROM signup_sessions')).rows[0].n as number;

    it('when 500 sign-ins are started, then no session row is added and a person signed in before is still signed in', async () => {
      const alice = await stack().signIn('alice');
      const before = await sessionRows();
      expect(before).toBeGreaterThan(0);
      for (let batch = 0; batch < 25; batch++) {
        const statuses = await Promise.all(
          Array.from({ length: 20 }, async () => {
            const res = await fetch(`${stack().baseUrl}/auth/login`, { redirect: 'manual' });
            await res.arrayBuffer();
            return res.status;
          }),
        );
        expect(statuses.filter((s) => s !== 302)).toEqual([]);
      }
      expect(await sessionRows()).toBe(before);
      const me = await alice.me();
      expect(me.status).toBe(200);
      expect(me.body.user.email).toBe('alice@example.org');
    });
  });

  describe('when two BFF processes share one PostgreSQL', () => {
    let replicas: Replicas | undefined;
    beforeAll(async () => {
      replicas = await startReplicas({ mlflow: mlflow(), sessionDatabaseUrl: postgres().url('replica_sessions') });
    });
    afterAll(async () => {
      await replicas?.stop();
    });

    it('when A (through one) and B (through the other) lower each other at once, then every time somebody still manages the experiment', async () => {
      await registeredSharers(); // both have MLflow accounts (the replicas share that MLflow)
      const [one, two] = replicas!.origins as [string, string];
      const a = await signInAt(one, 'frank');
      const b = await signInAt(two, 'grace');
      // The replicas' registry (in their PostgreSQL, under their own provider) knows no owner of those
      // accounts yet: each person claims theirs with its MLflow password, as after an upgrade.
      for (const [session, password] of [
        [a, PASSWORD_A],
        [b, PASSWORD_B],
      ] as const) {
        expect((await session.me()).body.ownership.status).toBe('claimable');
        expect((await session.call('POST', '/api/me/claim', { password })).status).toBe(200);
      }
      await raceToLowerEachOther(a, b, 3, 'two-bffs');
    });
  });
});

/* ------------------------------------------------------------------------------------------------ */
/* 9. /readyz: what it reveals and what it costs                                                      */
/* ------------------------------------------------------------------------------------------------ */

/** What an answer must not show: low-level error names, stack frames, file paths, credentials. */
function internalsIn(text: string, secrets: string[]): string[] {
  const patterns: Array<[string, RegExp]> = [
    ['an errno code', /\bE(?:CONN\w+|NOTFOUND|AI_AGAIN|PIPE|TIMEDOUT|HOSTUNREACH)\b/],
    ['"fetch failed"', /fetch failed/i],
    ['an undici error', /UND_ERR|other side closed/i],
    ['an exception class', /\b[A-Z][A-Za-z]*(?:Error|Exception)\b/],
    ['a stack frame', /\n\s*at\s|\bat\s+\S+\s+\(|node:internal|file:\/\//],
    ['a source file', /\/[\w./-]+\.(?:[cm]?[jt]s|py)\b/],
    ['a URL with credentials', /:\/\/[^\s/@"]+:[^\s/@"]*@/],
  ];
  return [
    ...patterns.filter(([, re]) => re.test(text)).map(([what]) => what),
    ...secrets.filter((s) => text.includes(s)).map(() => 'a password'),
  ];
}

describe('/readyz', () => {
  let counter: MlflowCallCounter | undefined;
  const stack = useForAll(
    'readiness stack',
    async () => {
      counter = await startMlflowCallCounter(mlflow().url);
      return startStack({ mlflow: mlflow(), vault: false, env: { MLFLOW_HOSTNAME: counter.url } });
    },
    async (s) => {
      await s.stop();
      await counter?.close();
    },
  );

  it('when /readyz is asked 10 times in a row, then MLflow is called at most twice', async () => {
    counter!.reset();
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${stack().origin}/readyz`);
      await res.arrayBuffer();
      expect(res.status).toBe(200);
    }
    expect(counter!.calls.length <= 2 ? 'at most 2' : counter!.calls.map((c) => `${c.method} ${c.path}`)).toBe(
      'at most 2',
    );
  });

  it('when the MLflow admin password is wrong, then /readyz says so without internal error text or the password', async () => {
    const wrong = 'wrong-admin-password-4321';
    await stack().restartBff({ MLFLOW_PASSWORD: wrong });
    for (const url of [`${stack().origin}/readyz`, `${stack().baseUrl}/readyz`]) {
      const res = await fetch(url);
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(JSON.parse(text).checks.mlflow.ok).toBe(false);
      expect({ url, leaks: internalsIn(text, [wrong, mlflow().adminPassword]), text }).toEqual({
        url,
        leaks: [],
        text,
      });
    }
  });

  it('when MLflow is stopped (nothing answers at MLFLOW_HOSTNAME), then /readyz says so without internal error text', async () => {
    await stack().restartBff();
    // The counting proxy is what the BFF knows as MLFLOW_HOSTNAME: closing it is MLflow gone, as the BFF
    // sees it (connection refused), without stopping the MLflow the other blocks share.
    await counter!.close();
    for (const url of [`${stack().origin}/readyz`, `${stack().baseUrl}/readyz`]) {
      // A readiness answer may be remembered for a few seconds (it is cheap on purpose): wait for it to see.
      let res = await fetch(url);
      for (let i = 0; i < 60 && res.status === 200; i++) {
        await res.arrayBuffer();
        await sleep(500);
        res = await fetch(url);
      }
      const text = await res.text();
      expect(res.status).toBe(503);
      expect(JSON.parse(text).checks.mlflow.ok).toBe(false);
      expect({ url, leaks: internalsIn(text, [mlflow().adminPassword]), text }).toEqual({ url, leaks: [], text });
    }
  });
});
