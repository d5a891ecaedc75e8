/**
 * Nothing secret reaches the BFF's log.
 *
 * The BFF's whole pino log, at level `debug`, is captured in memory during a full run against the real
 * stack (MLflow 3.18.0, the real OpenID provider, Vault through the PAPI double, access tokens living 5 s
 * so that every API call refreshes them):
 * sign-in through the provider's real login form, registration, a refused (weak) password, a password
 * change, a password change whose Vault write fails and is then submitted again, `GET /api/me`, a sharing
 * change (grant and revoke), a failed callback (forged code) and a replayed one, and sign-out both the
 * SPA's way (JSON) and a form's way (303), each followed to the provider with its `id_token_hint`.
 *
 * Every secret of the run is collected where it really appears: the authorization codes and `state`
 * values from the URLs the browser visited, the tokens and the PKCE verifier from the provider itself
 * (its `grant.success` event sees each token response and request), the session cookie from the cookie
 * jar, the CSRF tokens from `/api/me`, the id_token_hint from the sign-out redirects, and the passwords
 * used. The log must hold none of them: not whole, not URL-encoded, and for long ones (JWTs) not even a
 * 48-character piece of their start, middle or end (a truncated token is still a leak).
 *
 * Also, per the spec of the request log: the lines for `/auth/callback` carry no `code=` or `state=`
 * value (the query of `/auth/*` is redacted), and upstream bodies are only logged truncated.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { pino } from 'pino';

import { BrowserAgent } from '../support/browser-agent.js';
import { mlflowAs, signInStatus } from '../support/mlflow-direct.js';
import { ApiSession, startStack, TEST_VO, type Stack } from '../support/stack.js';

const ALICE = 'alice@example.org';
const FRANK = 'frank@example.org';
const FIRST = 'first-secret-password-1111';
const SECOND = 'second-secret-password-2222';
const THIRD = 'third-secret-password-3333';
/** Refused by the password policy (too short): still a secret the person typed. */
const WEAK = 'weak-pw-99';
const FRANK_PASSWORD = 'frank-secret-password-4444';
const FORGED_CODE = 'forged-authorization-code-9f8e7d6c5b4a';
const SESSION_SECRET = 'test-session-secret-that-is-long-enough-1234';
const SECRET_PATH = '/services/mlflow/credentials';

type Kind =
  | 'authorization code'
  | 'state'
  | 'PKCE code verifier'
  | 'ID token'
  | 'access token'
  | 'refresh token'
  | 'session cookie'
  | 'CSRF token'
  | 'password'
  | 'MLflow admin credentials'
  | 'session secret';

const KINDS: Kind[] = [
  'authorization code',
  'state',
  'PKCE code verifier',
  'ID token',
  'access token',
  'refresh token',
  'session cookie',
  'CSRF token',
  'password',
  'MLflow admin credentials',
  'session secret',
];

const secrets = new Map<Kind, Map<string, string>>(KINDS.map((k) => [k, new Map()]));
function addSecret(kind: Kind, value: unknown, where: string) {
  if (typeof value !== 'string' || value.length < 8) return;
  const known = secrets.get(kind)!;
  if (!known.has(value)) known.set(value, where);
}

const logLines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

let stack: Stack;
/** Token-endpoint calls seen by the provider, by grant type. */
const grants: string[] = [];
const callbackUrls: string[] = [];

const basic = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');

/** Records the codes and `state` values of every authorization request and callback the browser went through. */
function recordVisited(visited: string[], who: string) {
  for (const u of visited) {
    const url = new URL(u);
    if (url.pathname.endsWith('/auth/callback')) {
      callbackUrls.push(u);
      addSecret('authorization code', url.searchParams.get('code'), `${who}'s callback URL`);
      addSecret('state', url.searchParams.get('state'), `${who}'s callback URL`);
    }
    if (url.searchParams.has('code_challenge'))
      addSecret('state', url.searchParams.get('state'), `${who}'s authorization request`);
  }
}

async function recordSession(agent: BrowserAgent, who: string) {
  const cookie = (await agent.cookiesFor(`${stack.baseUrl}/`)).find((c) => c.key === 'mlflow_signup.sid');
  if (!cookie) throw new Error(`${who} has no session cookie`);
  const raw = cookie.value;
  const decoded = decodeURIComponent(raw);
  addSecret('session cookie', raw, `${who}'s cookie as sent`);
  addSecret('session cookie', decoded, `${who}'s cookie, decoded`);
  // express-session: `s:<session id>.<HMAC>`; either half alone is enough to matter.
  const m = /^s:([^.]+)\.(.+)$/.exec(decoded);
  if (m) {
    addSecret('session cookie', m[1], `${who}'s session id`);
    addSecret('session cookie', m[2], `${who}'s session cookie signature`);
  }
}

/** Signs in through the BFF and the provider's real login form; returns the SPA-like API session. */
async function signIn(login: string, password: string): Promise<ApiSession> {
  const agent = new BrowserAgent();
  const { visited } = await agent.signIn(
    `${stack.baseUrl}/auth/login?returnTo=${encodeURIComponent('/signup/account')}`,
    login,
    password,
  );
  recordVisited(visited, login);
  addSecret('password', password, `${login}'s provider password`);
  const session = new ApiSession(agent, stack.baseUrl, stack.origin);
  const me = await session.me();
  expect(me.status).toBe(200);
  addSecret('CSRF token', session.csrfToken, `${login}'s CSRF token`);
  await recordSession(agent, login);
  return session;
}

/** Follows a sign-out redirect to the provider and confirms there, as a person would. */
async function confirmProviderLogout(agent: BrowserAgent, endSessionUrl: string, who: string) {
  const hint = new URL(endSessionUrl).searchParams.get('id_token_hint');
  expect(hint).toMatch(/^eyJ/);
  addSecret('ID token', hint, `${who}'s id_token_hint`);
  const confirm = await agent.follow(endSessionUrl);
  const html = await confirm.response.text();
  expect(html).toContain('Yes, sign me out');
  const out = await agent.submitForm(html, confirm.visited.at(-1)!, {
    selector: 'form[id="op.logoutForm"]',
    fields: { logout: 'yes' },
  });
  expect(out.visited.at(-1)).toBe(`${stack.baseUrl}/`);
}

beforeAll(async () => {
  stack = await startStack({ rule: 'realm_roles', vault: true, accessTokenTtlSeconds: 5, logger });
  addSecret('MLflow admin credentials', stack.mlflow.adminPassword, 'MLFLOW_PASSWORD');
  addSecret(
    'MLflow admin credentials',
    basic(stack.mlflow.adminUsername, stack.mlflow.adminPassword),
    'the admin Basic header',
  );
  addSecret('session secret', SESSION_SECRET, 'SESSION_SECRET');
  stack.oidc.provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    // After the grant handler ran: `ctx.body` is the token response, `ctx.oidc.params` the token request.
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    const params = (ctx.oidc?.params ?? {}) as Record<string, unknown>;
    grants.push(String(params.grant_type));
    addSecret('access token', body.access_token, `issued at the token endpoint (${String(params.grant_type)})`);
    addSecret('refresh token', body.refresh_token, `issued at the token endpoint (${String(params.grant_type)})`);
    addSecret('ID token', body.id_token, `issued at the token endpoint (${String(params.grant_type)})`);
    addSecret('authorization code', params.code, 'redeemed at the token endpoint');
    addSecret('PKCE code verifier', params.code_verifier, 'sent to the token endpoint');
    addSecret('refresh token', params.refresh_token, 'presented at the token endpoint');
  });

  // Alice: sign in, register, a refused password, change it, a change whose Vault write fails, then again.
  const alice = await signIn('alice', 'alice-password-123');
  for (const p of [FIRST, SECOND, THIRD, WEAK]) addSecret('password', p, 'an MLflow password alice submitted');
  for (const p of [FIRST, SECOND, THIRD]) addSecret('password', basic(ALICE, p), "alice's MLflow Basic header");
  expect((await alice.register(FIRST)).status).toBe(201);
  const weak = await alice.changePassword(WEAK);
  expect(weak.status).toBe(422);
  expect((await alice.changePassword(SECOND)).status).toBe(204);
  stack.papi!.failNext({ method: 'POST' });
  const outOfSync = await alice.changePassword(THIRD);
  expect(outOfSync.status).toBe(502);
  expect(outOfSync.body.error.code).toBe('vault_out_of_sync');
  expect((await alice.changePassword(THIRD)).status).toBe(204);
  expect(stack.papi!.secretFor('alice-sub', TEST_VO, SECRET_PATH)).toEqual({ username: ALICE, password: THIRD });
  expect(await signInStatus(stack.mlflow, ALICE, THIRD)).toBe(200);
  const me = await alice.me();
  expect(me.status).toBe(200);
  expect(me.body.vault.status).toBe('in_sync');

  // A sharing change: alice shares her experiment with frank, then takes it back.
  const frank = await signIn('frank', 'frank-password-123');
  addSecret('password', FRANK_PASSWORD, "frank's MLflow password");
  addSecret('password', basic(FRANK, FRANK_PASSWORD), "frank's MLflow Basic header");
  expect((await frank.register(FRANK_PASSWORD)).status).toBe(201);
  const exp = await mlflowAs(stack.mlflow, ALICE, THIRD, 'POST', '/api/2.0/mlflow/experiments/create', {
    name: 'alice log-secrets exp',
  });
  expect(exp.status).toBe(200);
  const collaborator = `/api/experiment/${exp.body.experiment_id}/collaborators/${encodeURIComponent(FRANK)}`;
  expect((await alice.call('PUT', collaborator, { permission: 'READ' })).status).toBe(201);
  expect((await alice.call('GET', `/api/experiment/${exp.body.experiment_id}/collaborators`)).status).toBe(200);
  expect((await alice.call('DELETE', collaborator)).status).toBe(204);

  // Tokens were refreshed along the way (5 s access tokens, refreshed 30 s before expiry: on every call).
  expect(grants.filter((g) => g === 'refresh_token').length).toBeGreaterThan(0);

  // A failed callback: a real pending sign-in (its state) with a forged code; and a replayed callback.
  const stranger = new BrowserAgent();
  const login = await stranger.fetch(`${stack.baseUrl}/auth/login`);
  const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
  addSecret('state', state, "a stranger's pending sign-in");
  addSecret('authorization code', FORGED_CODE, 'the forged code');
  const failed = await stranger.fetch(
    `${stack.baseUrl}/auth/callback?code=${FORGED_CODE}&state=${state}&iss=${encodeURIComponent(stack.oidc.issuer)}`,
    {
      headers: { Accept: 'application/json' },
    },
  );
  expect(failed.status).toBe(400);
  await failed.arrayBuffer();
  const replay = await alice.agent.fetch(callbackUrls[0]!, { headers: { Accept: 'application/json' } });
  expect(replay.status).toBe(400);
  expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('invalid_state');

  // Sign-out, the SPA's way (JSON) for alice and a form's way (303) for frank, both confirmed at the provider.
  await recordSession(alice.agent, 'alice');
  await recordSession(frank.agent, 'frank');
  addSecret('CSRF token', alice.csrfToken, "alice's CSRF token");
  addSecret('CSRF token', frank.csrfToken, "frank's CSRF token");
  const out = await alice.call('POST', '/auth/logout');
  expect(out.status).toBe(200);
  await confirmProviderLogout(alice.agent, out.body.redirect_to, 'alice');
  const form = await frank.agent.fetch(`${stack.baseUrl}/auth/logout`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: stack.origin },
    body: `_csrf=${encodeURIComponent(frank.csrfToken!)}`,
  });
  expect(form.status).toBe(303);
  await form.arrayBuffer();
  await confirmProviderLogout(frank.agent, form.headers.get('location')!, 'frank');
  expect((await alice.me()).status).toBe(401);
});
afterAll(async () => {
  await stack?.stop();
});

/** Pieces of a secret to look for: itself, and for long values (JWTs) pieces a truncated copy would still hold. */
function fragmentsOf(secret: string): string[] {
  const pieces = new Set([secret]);
  if (secret.length >= 96) {
    const mid = Math.floor(secret.length / 2);
    // A JWT's first 48 characters are its header, shared by every token of the provider: start after it.
    const start = secret.startsWith('eyJ') ? secret.indexOf('.') + 1 : 0;
    pieces.add(secret.slice(start, start + 48));
    pieces.add(secret.slice(mid - 24, mid + 24));
    pieces.add(secret.slice(-48));
  }
  for (const p of [...pieces]) {
    pieces.add(encodeURIComponent(p));
    pieces.add(JSON.stringify(p).slice(1, -1));
  }
  return [...pieces].filter((p) => p.length >= 8);
}

function excerpt(line: string, at: number, length: number): string {
  const from = Math.max(0, at - 150);
  return `${from > 0 ? '…' : ''}${line.slice(from, at + length + 150)}${at + length + 150 < line.length ? '…' : ''}`.trim();
}

const records = () =>
  logLines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { unparsable: line };
    }
  });

describe('when a whole session runs (sign-in, register, password changes, refresh, sharing, failed callback, sign-out)', () => {
  it('then the log was captured (the run is not vacuous)', () => {
    expect(logLines.length).toBeGreaterThan(20);
    const urls = records().map((r) => (r.req as { url?: string } | undefined)?.url ?? '');
    expect(urls.some((u) => u.includes('/api/me/password'))).toBe(true);
    expect(urls.some((u) => u.includes('/auth/callback'))).toBe(true);
    expect(urls.some((u) => u.includes('/auth/logout'))).toBe(true);
    for (const kind of KINDS) expect({ kind, found: secrets.get(kind)!.size > 0 }).toEqual({ kind, found: true });
  });

  it.each(KINDS)('then no %s appears anywhere in the log', (kind) => {
    const pieces = [...secrets.get(kind)!].flatMap(([secret, where]) =>
      fragmentsOf(secret).map((piece) => ({ piece, where, whole: piece === secret })),
    );
    // One report per leaking log line (the tokens of one person share their claims, so pieces repeat).
    const leaks: string[] = [];
    for (const line of logLines) {
      const hit = pieces.find((p) => line.includes(p.piece));
      if (hit) {
        const shown = hit.whole ? 'whole' : `a ${hit.piece.length}-character piece of it`;
        leaks.push(
          `${hit.where} (${shown}) is in the log:\n  ${excerpt(line.trimEnd(), line.indexOf(hit.piece), hit.piece.length)}`,
        );
      }
    }
    expect(leaks).toEqual([]);
  });

  it('then the request log lines of /auth/callback hold no code= or state= value', () => {
    const lines = records().filter((r) => JSON.stringify(r.req ?? '').includes('/auth/callback'));
    // The three sign-ins (alice, frank: successful), the forged one and the replay.
    expect(lines.length).toBeGreaterThanOrEqual(4);
    const redacted = (v: string) => v === '' || /^\[?redacted\]?$|^\*+$/i.test(decodeURIComponent(v));
    const problems: string[] = [];
    for (const r of lines) {
      const text = JSON.stringify({ req: r.req, res: r.res, msg: r.msg });
      for (const m of text.matchAll(/[?&;](code|state|iss)=([^&"\s]*)/gi)) {
        if (m[1]!.toLowerCase() !== 'iss' && !redacted(m[2]!))
          problems.push(`${m[1]}=${m[2]} in ${text.slice(0, 400)}`);
      }
      for (const m of JSON.stringify(r.req ?? {}).matchAll(/"(code|state)":"([^"]*)"/g)) {
        if (!redacted(m[2]!))
          problems.push(`"${m[1]}":"${m[2]}" in the logged request ${JSON.stringify(r.req).slice(0, 400)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('then upstream bodies appear in the log only truncated (at most a few hundred characters)', () => {
    const long: string[] = [];
    const walk = (v: unknown, path: string) => {
      if (typeof v === 'string') {
        if (/(?:^|\.)body$/.test(path) && v.length > 1000) long.push(`${path}: ${v.length} characters`);
        return;
      }
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k);
    };
    for (const r of records()) walk(r, '');
    expect(long).toEqual([]);
  });
});
