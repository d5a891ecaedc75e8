/**
 * The launchers in support/ work against the real things: MLflow (both pinned generations), the OpenID
 * provider (a full PKCE code flow driven by openid-client through the HTML login form), and the PAPI
 * double (with a real access token). Every other test builds on these.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';
import { parse } from 'node-html-parser';
import * as client from 'openid-client';

import { BrowserAgent } from './browser-agent.js';
import { startMlflow, type MlflowServer } from './mlflow.js';
import { MLFLOW_CURRENT, MLFLOW_LEGACY } from './mlflow-venv.js';
import {
  accounts,
  REQUIRED_ENTITLEMENT_FOR_TESTS,
  REQUIRED_REALM_ROLES_FOR_TESTS,
  startOidcProvider,
  type OidcServer,
} from './oidc-provider.js';
import { startPapiDouble, type PapiDouble } from './papi-double.js';
import { freePort, listen } from './ports.js';

describe('freePort', () => {
  it('gives distinct ports one can listen on', async () => {
    const [a, b] = await Promise.all([freePort(), freePort()]);
    expect(a).toBeGreaterThan(0);
    const server = http.createServer();
    expect(await listen(server, a)).toBe(a);
    await new Promise((resolve) => server.close(resolve));
    expect(typeof b).toBe('number');
  });
});

describe.each([MLFLOW_CURRENT, MLFLOW_LEGACY])('startMlflow(%s)', (version) => {
  let mlflow: MlflowServer;
  const legacy = version === MLFLOW_LEGACY;
  beforeAll(async () => {
    mlflow = await startMlflow({ version });
    process.stderr.write(`MLflow ${version} ready in ${mlflow.startupMs} ms\n`);
  }, 180_000);
  afterAll(async () => {
    await mlflow?.destroy();
  }, 60_000);

  const get = (path: string, auth?: string) =>
    fetch(mlflow.url + path, { headers: auth ? { Authorization: auth } : {} });

  it('serves /health and the version it was asked for', async () => {
    expect((await get('/health')).status).toBe(200);
    expect(mlflow.version).toBe(version);
    expect(mlflow.adminUsername).toBe('admin');
    expect(mlflow.adminPassword.length).toBeGreaterThanOrEqual(20);
  });

  it('lets the admin authenticate (users/current on 3.x; 2.x has no users/current, users/get instead)', async () => {
    const admin = mlflow.basicAuth(mlflow.adminUsername, mlflow.adminPassword);
    const current = await get('/api/2.0/mlflow/users/current', admin);
    if (legacy) {
      expect(current.status).toBe(404); // contradicts mlflow-auth-api.md, which lists users/current for 2.x too
    } else {
      expect(current.status).toBe(200);
      expect(await current.json()).toMatchObject({ user: { username: 'admin', is_admin: true }, is_basic_auth: true });
    }
    const self = await get('/api/2.0/mlflow/users/get?username=admin', admin);
    expect(self.status).toBe(200);
    expect(await self.json()).toMatchObject({ user: { username: 'admin', is_admin: true } });
    const wrong = await get(
      '/api/2.0/mlflow/users/get?username=admin',
      mlflow.basicAuth('admin', 'wrong-password-123'),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Basic realm="mlflow"');
  });

  it('creates a user with a JSON body (and refuses a body without the JSON content type)', async () => {
    const admin = mlflow.basicAuth(mlflow.adminUsername, mlflow.adminPassword);
    const body = JSON.stringify({ username: 'someone@example.org', password: 'a-long-password-1' });
    const plain = await fetch(`${mlflow.url}/api/2.0/mlflow/users/create`, {
      method: 'POST',
      headers: { Authorization: admin },
      body,
    });
    expect(plain.status).toBe(400);
    const res = await fetch(`${mlflow.url}/api/2.0/mlflow/users/create`, {
      method: 'POST',
      headers: { Authorization: admin, 'Content-Type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ user: { username: 'someone@example.org', is_admin: false } });
    const asUser = await get(
      '/api/2.0/mlflow/users/get?username=someone%40example.org',
      mlflow.basicAuth('someone@example.org', 'a-long-password-1'),
    );
    expect(asUser.status).toBe(200);
  });

  it('defaults to NO_PERMISSIONS: another user cannot read an experiment', async () => {
    const admin = mlflow.basicAuth(mlflow.adminUsername, mlflow.adminPassword);
    const created = await fetch(`${mlflow.url}/api/2.0/mlflow/experiments/create`, {
      method: 'POST',
      headers: { Authorization: admin, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `private-${version}` }),
    });
    const { experiment_id } = (await created.json()) as { experiment_id: string };
    const asUser = await get(
      `/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`,
      mlflow.basicAuth('someone@example.org', 'a-long-password-1'),
    );
    expect(asUser.status).toBe(403);
    expect(await asUser.text()).toBe('Permission denied');
  });

  it('restarts on the same port with the same data, and stop() really stops it', async () => {
    const url = mlflow.url;
    await mlflow.restart();
    expect(mlflow.url).toBe(url);
    const asUser = await get(
      '/api/2.0/mlflow/users/get?username=someone%40example.org',
      mlflow.basicAuth('someone@example.org', 'a-long-password-1'),
    );
    expect(asUser.status).toBe(200);
    await mlflow.stop();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
    await mlflow.restart();
    expect((await get('/health')).status).toBe(200);
  }, 180_000);
});

describe('BrowserAgent cookies', () => {
  /** A server that sets `name=<its port>` and echoes the Cookie header it receives. */
  async function cookieServer(name: string, attributes = 'Path=/; HttpOnly; SameSite=Lax') {
    const server = http.createServer((req, res) => {
      const port = (server.address() as AddressInfo).port;
      if (req.url === '/set') res.setHeader('Set-Cookie', `${name}=${port}; ${attributes}`);
      res.end(req.headers.cookie ?? '');
    });
    const origin = `http://127.0.0.1:${await listen(server)}`;
    return { origin, close: () => new Promise((resolve) => server.close(resolve)) };
  }

  it('shares cookies across ports of one host like a browser, so same-named cookies clash', async () => {
    const a = await cookieServer('sid');
    const b = await cookieServer('sid');
    const other = await cookieServer('op_session');
    try {
      const agent = new BrowserAgent();
      await agent.fetch(`${a.origin}/set`);
      await agent.fetch(`${other.origin}/set`);
      // Distinct names: both are sent everywhere on 127.0.0.1, and nothing is lost.
      expect(await (await agent.fetch(`${a.origin}/`)).text()).toMatch(/^(?=.*sid=)(?=.*op_session=).*$/);
      expect((await agent.cookiesFor(`${a.origin}/`)).map((c) => c.key)).toEqual(['sid']);
      // The same name from another port overwrites the first one: the reason the test provider's cookies are `op_*`.
      await agent.fetch(`${b.origin}/set`);
      const sid = (await agent.allCookiesFor(`${a.origin}/`)).filter((c) => c.key === 'sid');
      expect(sid.map((c) => c.value)).toEqual([new URL(b.origin).port]);
      expect((await agent.cookiesFor(`${a.origin}/`)).map((c) => c.key)).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close(), other.close()]);
    }
  });

  it('enforces SameSite=Lax: a cross-site POST does not carry the cookie, a cross-site navigation does', async () => {
    const site = await cookieServer('sid');
    try {
      const agent = new BrowserAgent();
      await agent.follow(`${site.origin}/set`);
      const elsewhere = site.origin.replace('127.0.0.1', 'localhost');
      agent.pageUrl = `${elsewhere}/page`; // now on another site
      expect(await (await agent.fetch(`${site.origin}/`, { method: 'POST' })).text()).toBe('');
      expect(await (await agent.fetch(`${site.origin}/`)).text()).toMatch(/^sid=/);
    } finally {
      await site.close();
    }
  });
});

/* ------------------------------------------------------------------------------------------------ */

/**
 * A minimal relying party on its own port, doing what the BFF does with openid-client: PKCE + state +
 * nonce in a cookie session, code exchange at the callback, then a redirect to a page of its own.
 */
async function startRelyingParty(oidc: OidcServer, clientId: string, secret: string | undefined, port: number) {
  const origin = `http://127.0.0.1:${port}`;
  const config = await client.discovery(
    new URL(oidc.issuer),
    clientId,
    secret,
    secret ? client.ClientSecretPost(secret) : client.None(),
    { execute: [client.allowInsecureRequests] },
  );
  const sessions = new Map<
    string,
    {
      verifier: string;
      state: string;
      nonce: string;
      tokens?: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    }
  >();
  const sid = (req: express.Request) => /(?:^|;\s*)rp_sid=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const app = express();
  app.get('/login', async (_req, res) => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const id = client.randomState();
    sessions.set(id, { verifier, state, nonce });
    res.cookie('rp_sid', id, { httpOnly: true, sameSite: 'lax', path: '/' });
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${origin}/callback`,
      scope: 'openid email profile eduperson_entitlement',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    res.redirect(302, url.href);
  });
  app.get('/callback', async (req, res) => {
    const session = sessions.get(sid(req) ?? '');
    if (!session) {
      res.status(400).send('no session');
      return;
    }
    session.tokens = await client.authorizationCodeGrant(config, new URL(req.originalUrl, origin), {
      pkceCodeVerifier: session.verifier,
      expectedState: session.state,
      expectedNonce: session.nonce,
    });
    res.redirect(302, '/done');
  });
  app.get('/done', (_req, res) => {
    res.type('html').send('<p>signed in</p>');
  });
  app.get('/bye', (_req, res) => {
    res.type('html').send('<p>signed out</p>');
  });
  const server = http.createServer(app);
  await listen(server, port);
  return {
    origin,
    config,
    /** The tokens of the last completed sign-in of this agent. */
    async tokensOf(agent: BrowserAgent) {
      const cookie = (await agent.cookiesFor(`${origin}/`)).find((c) => c.key === 'rp_sid');
      const tokens = sessions.get(cookie?.value ?? '')?.tokens;
      if (!tokens) throw new Error('no tokens for this agent');
      return tokens;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('startOidcProvider + BrowserAgent + openid-client', () => {
  let oidc: OidcServer;
  let rp: Awaited<ReturnType<typeof startRelyingParty>>;
  let publicRp: Awaited<ReturnType<typeof startRelyingParty>>;
  let papi: PapiDouble;

  beforeAll(async () => {
    const [rpPort, publicPort] = [await freePort(), await freePort()];
    oidc = await startOidcProvider({
      clients: [
        {
          client_id: 'confidential',
          client_secret: 'confidential-secret',
          redirect_uris: [`http://127.0.0.1:${rpPort}/callback`],
          post_logout_redirect_uris: [`http://127.0.0.1:${rpPort}/bye`],
        },
        { client_id: 'public', redirect_uris: [`http://127.0.0.1:${publicPort}/callback`] },
      ],
    });
    rp = await startRelyingParty(oidc, 'confidential', 'confidential-secret', rpPort);
    publicRp = await startRelyingParty(oidc, 'public', undefined, publicPort);
    papi = await startPapiDouble({ issuer: oidc.issuer });
  });
  afterAll(async () => {
    await papi?.stop();
    await rp?.stop();
    await publicRp?.stop();
    await oidc?.stop();
  });

  async function signedIn(login: keyof typeof accounts, party = rp) {
    const agent = new BrowserAgent(party.origin);
    const result = await agent.signIn('/login', login, accounts[login].password);
    return { agent, result, tokens: await party.tokensOf(agent) };
  }

  it('publishes discovery with code flow, S256 PKCE, RS256 ID tokens, userinfo and end_session', async () => {
    const meta = (await (await fetch(`${oidc.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(meta.issuer).toBe(oidc.issuer);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.id_token_signing_alg_values_supported).toContain('RS256');
    expect(meta.userinfo_endpoint).toBe(`${oidc.issuer}/me`);
    expect(meta.end_session_endpoint).toBe(`${oidc.issuer}/session/end`);
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'email', 'profile', 'eduperson_entitlement', 'offline_access']),
    );
  });

  it('signs alice in through the HTML form: ID token and userinfo carry roles, email and profile', async () => {
    const { result, tokens, agent } = await signedIn('alice');
    expect(result.finalUrl).toBe(`${rp.origin}/done`);
    expect(await result.response.text()).toContain('signed in');
    expect(result.visited.some((u) => u.startsWith(`${oidc.issuer}/interaction/`))).toBe(true);
    expect(result.visited).toContain(result.visited.find((u) => u.startsWith(`${rp.origin}/callback?`)));

    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0]!, 'base64url').toString()) as { alg: string };
    expect(header.alg).toBe('RS256');
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: oidc.issuer,
      sub: 'alice-sub',
      email: 'alice@example.org',
      email_verified: true,
      name: 'Alice Roles',
      preferred_username: 'alice',
      realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access'] },
    });
    expect(claims).not.toHaveProperty('eduperson_entitlement');

    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, 'alice-sub');
    expect(userinfo).toMatchObject({
      sub: 'alice-sub',
      email: 'alice@example.org',
      email_verified: true,
      name: 'Alice Roles',
      realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access'] },
    });
    expect(tokens.expires_in).toBe(600);

    // Cookies: the RP's and the provider's live side by side in one jar (ports do not isolate cookies).
    expect((await agent.cookiesFor(`${rp.origin}/`)).map((c) => c.key)).toEqual(['rp_sid']);
    const sentToRp = (await agent.allCookiesFor(`${rp.origin}/`)).map((c) => c.key);
    expect(sentToRp).toEqual(expect.arrayContaining(['rp_sid', 'op_session']));
    expect((await agent.cookiesFor(`${oidc.issuer}/`)).map((c) => c.key)).toEqual(
      expect.arrayContaining(['op_session']),
    );
  });

  it.each([
    [
      'bob',
      {
        eduperson_entitlement: [REQUIRED_ENTITLEMENT_FOR_TESTS],
        entitlements: [REQUIRED_ENTITLEMENT_FOR_TESTS],
        realm_access: { roles: ['offline_access'] },
      },
    ],
    [
      'carol',
      {
        eduperson_entitlement: ['urn:mace:egi.eu:group:vo.ai4eosc.eu:sub:role=member#aai.egi.eu'],
        realm_access: { roles: ['access:vo.other.eu:ap-u'] },
      },
    ],
    ['dave', { email: 'dave@example.org', email_verified: false }],
    [
      'frank',
      { email: 'frank@example.org', email_verified: true, eduperson_entitlement: [REQUIRED_ENTITLEMENT_FOR_TESTS] },
    ],
    [
      'grace',
      {
        email: 'grace@example.org',
        email_verified: true,
        realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access'] },
      },
    ],
  ] as const)('signs %s in with the expected claims in ID token and userinfo', async (login, expected) => {
    const { tokens } = await signedIn(login);
    expect(tokens.claims()).toMatchObject({ sub: `${login}-sub`, ...expected });
    expect(await client.fetchUserInfo(rp.config, tokens.access_token, `${login}-sub`)).toMatchObject(expected);
  });

  it('signs erin in without any email claim', async () => {
    const { tokens } = await signedIn('erin');
    const userinfo = await client.fetchUserInfo(rp.config, tokens.access_token, 'erin-sub');
    for (const c of [tokens.claims()!, userinfo]) {
      expect(c).not.toHaveProperty('email');
      expect(c).not.toHaveProperty('email_verified');
      expect(c).toMatchObject({
        name: 'Erin NoEmail',
        realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access'] },
      });
    }
  });

  it('issues a refresh token that works, until revokeAllGrants', async () => {
    const { tokens, agent } = await signedIn('alice');
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await client.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(await client.fetchUserInfo(rp.config, refreshed.access_token, 'alice-sub')).toMatchObject({
      sub: 'alice-sub',
    });

    await oidc.revokeAllGrants();
    const next = refreshed.refresh_token ?? tokens.refresh_token!;
    await expect(client.refreshTokenGrant(rp.config, next)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(client.fetchUserInfo(rp.config, refreshed.access_token, 'alice-sub')).rejects.toThrow();

    // The provider login session survives: signing in again needs no password, consent is re-granted.
    const again = await agent.signIn('/login', 'alice', 'no form expected');
    expect(again.finalUrl).toBe(`${rp.origin}/done`);
    expect((await rp.tokensOf(agent)).refresh_token).toEqual(expect.any(String));
    // endAllSessions ends that too: the form is back.
    await oidc.endAllSessions();
    await expect(agent.signIn('/login', 'alice', 'wrong-password')).rejects.toThrow(/Invalid username or password/);
  });

  it('works for a public client (PKCE, no secret), and refuses an authorization request without PKCE', async () => {
    const { tokens } = await signedIn('bob', publicRp);
    expect(tokens.claims()).toMatchObject({ sub: 'bob-sub' });
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const noPkce = client.buildAuthorizationUrl(rp.config, {
      redirect_uri: `${rp.origin}/callback`,
      scope: 'openid',
      state: 'x',
    });
    const res = await new BrowserAgent().fetch(noPkce);
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(`${rp.origin}/callback`);
    expect(back.searchParams.get('error')).toBe('invalid_request');
  });

  it('shows a visible error on a wrong password and lets the person retry', async () => {
    const agent = new BrowserAgent(rp.origin);
    await expect(agent.signIn('/login', 'alice', 'not-her-password')).rejects.toThrow(/Invalid username or password/);
    const page = parse(await (await agent.follow('/login')).response.text());
    expect(page.querySelector('label[for="username"]')?.text).toBe('Username');
    expect(page.querySelector('label[for="password"]')?.text).toBe('Password');
    expect(page.querySelector('button[type="submit"]')?.text).toBe('Sign in');
    const ok = await agent.signIn('/login', 'alice', accounts.alice.password);
    expect(ok.finalUrl).toBe(`${rp.origin}/done`);
  });

  it('keeps the provider session (no form the second time) until RP-initiated logout is confirmed', async () => {
    const { agent, tokens } = await signedIn('frank');
    const again = await agent.signIn('/login', 'frank', 'ignored: no form is shown');
    expect(again.finalUrl).toBe(`${rp.origin}/done`);
    expect(again.visited.some((u) => u.includes('/interaction/'))).toBe(false);

    const endSession = client.buildEndSessionUrl(rp.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${rp.origin}/bye`,
    });
    const confirm = await agent.follow(endSession);
    const html = await confirm.response.text();
    expect(html).toContain('Yes, sign me out');
    const out = await agent.submitForm(html, confirm.visited.at(-1)!, {
      selector: 'form[id="op.logoutForm"]',
      fields: { logout: 'yes' },
    });
    expect(out.visited.at(-1)).toBe(`${rp.origin}/bye`);

    await expect(agent.signIn('/login', 'frank', 'wrong-now-that-the-form-is-back')).rejects.toThrow(
      /Invalid username or password/,
    );
  });

  it('setAccessTokenTtl changes the lifetime of new access tokens', async () => {
    oidc.setAccessTokenTtl(30);
    try {
      const { tokens } = await signedIn('grace');
      expect(tokens.expires_in).toBe(30);
    } finally {
      oidc.setAccessTokenTtl(600);
    }
  });

  describe('startPapiDouble', () => {
    const VO = 'vo.ai4eosc.eu';
    const PATH = '/services/mlflow/credentials';
    const call = (method: string, query: Record<string, string>, token?: string, body?: unknown) =>
      fetch(`${papi.url}/secrets?${new URLSearchParams(query)}`, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });

    it("stores, lists, overwrites and deletes a secret with the user's own access token", async () => {
      const { tokens } = await signedIn('alice');
      const token = tokens.access_token;
      expect(papi.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);

      expect(await (await call('GET', { vo: VO }, token)).json()).toEqual({});
      const post = await call('POST', { vo: VO, secret_path: PATH }, token, {
        username: 'alice@example.org',
        password: 'first-password-1',
      });
      expect(post.status).toBe(200);
      expect(await post.json()).toEqual({ status: 'success' });
      expect(papi.secretFor('alice-sub', VO, PATH)).toEqual({
        username: 'alice@example.org',
        password: 'first-password-1',
      });

      const list = await call('GET', { vo: VO }, token);
      expect(await list.json()).toEqual({ [PATH]: { username: 'alice@example.org', password: 'first-password-1' } });
      expect(await (await call('GET', { vo: VO, subpath: '/services/' }, token)).json()).toHaveProperty([PATH]);
      expect(await (await call('GET', { vo: VO, subpath: 'deployments' }, token)).json()).toEqual({});

      await call('POST', { vo: VO, secret_path: 'services/mlflow/credentials/' }, token, {
        password: 'second-password-2',
      });
      expect(papi.secretFor('alice-sub', VO, PATH)).toEqual({ password: 'second-password-2' }); // KV v1: whole object replaced

      const del = await call('DELETE', { vo: VO, secret_path: PATH }, token);
      expect(await del.json()).toEqual({ status: 'success' });
      expect(papi.secretFor('alice-sub', VO, PATH)).toBeUndefined();
      expect((await call('DELETE', { vo: VO, secret_path: PATH }, token)).status).toBe(200); // no existence check
      expect(papi.requests.at(-1)).toMatchObject({ method: 'DELETE', authorized: true, status: 200, sub: 'alice-sub' });
    });

    it('answers 401 without or with a bad token or VO, and 422 without vo / secret_path', async () => {
      const { tokens } = await signedIn('alice');
      const none = await call('GET', { vo: VO });
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ detail: 'Not authenticated' });
      expect(papi.requests.at(-1)).toMatchObject({ authorized: false, status: 401 });

      const bad = await call('GET', { vo: VO }, 'not-a-token');
      expect(bad.status).toBe(401);
      expect(await bad.json()).toEqual({ detail: 'Invalid token' });

      const noVo = await call('GET', {}, tokens.access_token);
      expect(noVo.status).toBe(422);
      expect(await noVo.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['query', 'vo'] }] });
      const noPath = await call('POST', { vo: VO }, tokens.access_token, { a: 'b' });
      expect(noPath.status).toBe(422);
      expect(await noPath.json()).toMatchObject({ detail: [{ loc: ['query', 'secret_path'] }] });

      const otherVo = await call('GET', { vo: 'vo.other.eu' }, tokens.access_token);
      expect(otherVo.status).toBe(401);
      expect(((await otherVo.json()) as { detail: string }).detail).toMatch(/does not match/);

      const bob = await signedIn('bob'); // eligible by entitlement, but holds no VO role
      expect((await call('GET', { vo: VO }, bob.tokens.access_token)).status).toBe(401);
    });

    it('fails on demand: failNext and setDown change nothing', async () => {
      const { tokens } = await signedIn('grace');
      const token = tokens.access_token;
      papi.failNext({ method: 'POST', times: 2 });
      expect((await call('GET', { vo: VO }, token)).status).toBe(200); // other methods unaffected
      for (let i = 0; i < 2; i++) {
        const res = await call('POST', { vo: VO, secret_path: PATH }, token, { password: 'x' });
        expect(res.status).toBe(500);
        expect(await res.text()).toBe('Internal Server Error');
      }
      expect(papi.secretFor('grace-sub', VO, PATH)).toBeUndefined();
      expect((await call('POST', { vo: VO, secret_path: PATH }, token, { password: 'y' })).status).toBe(200);

      papi.failNext({ status: 502 });
      expect((await call('GET', { vo: VO }, token)).status).toBe(502);

      papi.setDown(true);
      expect((await call('DELETE', { vo: VO, secret_path: PATH }, token)).status).toBe(503);
      expect((await call('GET', { vo: VO }, token)).status).toBe(503);
      papi.setDown(false);
      expect(papi.secretFor('grace-sub', VO, PATH)).toEqual({ password: 'y' });

      papi.putSecret('grace-sub', VO, PATH, { password: 'z' });
      expect(await (await call('GET', { vo: VO }, token)).json()).toEqual({ [PATH]: { password: 'z' } });
      papi.deleteSecret('grace-sub', VO, PATH);
      expect(await (await call('GET', { vo: VO }, token)).json()).toEqual({});
    });
  });
});
