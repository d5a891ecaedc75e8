/**
 * A real OpenID Connect provider for the tests and the local demo, built on `oidc-provider` and run
 * in-process.
 *
 * The BFF signs people in with an authorization-code flow (PKCE), merges ID-token and userinfo claims,
 * refreshes access tokens and ends the provider session on logout. A mocked token endpoint would only
 * echo what the BFF expects; this provider does the real protocol (discovery, RS256-signed ID tokens,
 * userinfo, refresh-token rotation, RP-initiated logout) and puts a real HTML login form in front of
 * it, so the browser tests type a username and password like a person would, and `BrowserAgent` fills
 * the same form over HTTP.
 *
 * Claims are shaped like the two provider families the service is used with (see
 * docs/reference/identity-claims.md): Keycloak realm roles in `realm_access.roles` (always sent,
 * under `openid`, as Keycloak does) and EGI Check-in entitlements under the `eduperson_entitlement` scope.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';

import express, { type NextFunction, type Request, type Response } from 'express';
import Provider, {
  errors,
  type Adapter,
  type AdapterPayload,
  type ClientMetadata,
  type Configuration,
  type KoaContextWithOIDC,
} from 'oidc-provider';

import { freePort, listen } from './ports.js';

export const REQUIRED_REALM_ROLES_FOR_TESTS = 'access:vo.ai4eosc.eu:ap-u';
export const REQUIRED_ENTITLEMENT_FOR_TESTS = 'urn:mace:egi.eu:group:vo.ai4eosc.eu:role=member#aai.egi.eu';
/** A sub-group of the VO: a longer entitlement that must NOT satisfy {@link REQUIRED_ENTITLEMENT_FOR_TESTS}. */
const SUBGROUP_ENTITLEMENT = 'urn:mace:egi.eu:group:vo.ai4eosc.eu:sub:role=member#aai.egi.eu';

/** A person who can sign in at the test provider. `claims` are everything the provider may release. */
export interface TestAccount {
  /** What the person types into the login form's `username` field. */
  login: string;
  password: string;
  /** The `sub` claim and oidc-provider's account id. */
  sub: string;
  /** Optional claims; a claim that is absent here is absent from every token and userinfo answer. */
  email?: string;
  email_verified?: boolean;
  name?: string;
  realm_access?: { roles: string[] };
  eduperson_entitlement?: string[];
}

function account(login: string, rest: Omit<TestAccount, 'login' | 'password' | 'sub'>): TestAccount {
  return { login, password: `${login}-password-123`, sub: `${login}-sub`, ...rest };
}

const BOTH = {
  realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access'] },
  eduperson_entitlement: [REQUIRED_ENTITLEMENT_FOR_TESTS],
};

/**
 * The test people, by login. Each password is `<login>-password-123`; each `sub` is `<login>-sub`.
 * The server tests rely on these exact values.
 */
export const accounts = {
  /** Eligible by realm role only (no entitlements at all). */
  alice: account('alice', {
    email: 'alice@example.org',
    email_verified: true,
    name: 'Alice Roles',
    realm_access: { roles: [REQUIRED_REALM_ROLES_FOR_TESTS, 'offline_access'] },
  }),
  /** Eligible by entitlement only (no VO realm role, so PAPI refuses him). */
  bob: account('bob', {
    email: 'bob@example.org',
    email_verified: true,
    name: 'Bob Entitlement',
    eduperson_entitlement: [REQUIRED_ENTITLEMENT_FOR_TESTS],
    realm_access: { roles: ['offline_access'] },
  }),
  /** Eligible by nothing: a sub-group entitlement (must not match) and another VO's role. */
  carol: account('carol', {
    email: 'carol@example.org',
    email_verified: true,
    name: 'Carol Outsider',
    eduperson_entitlement: [SUBGROUP_ENTITLEMENT],
    realm_access: { roles: ['access:vo.other.eu:ap-u'] },
  }),
  /** Eligible by both, but `email_verified` is false. */
  dave: account('dave', { email: 'dave@example.org', email_verified: false, name: 'Dave Unverified', ...BOTH }),
  /** Eligible by both, but has no `email` claim at all. */
  erin: account('erin', { name: 'Erin NoEmail', ...BOTH }),
  /** Eligible by both; used for sharing tests. */
  frank: account('frank', { email: 'frank@example.org', email_verified: true, name: 'Frank Sharer', ...BOTH }),
  /** Eligible by both; used for sharing tests. */
  grace: account('grace', { email: 'grace@example.org', email_verified: true, name: 'Grace Sharee', ...BOTH }),
  /**
   * Another identity (another `sub`) presenting Grace's verified email in other letters, as when an address
   * is re-assigned or a federated provider links two home accounts to one address. Must never get her account.
   */
  gracie: account('gracie', { email: 'Grace@Example.org', email_verified: true, name: 'Gracie Twin', ...BOTH }),
  /** Eligible by both; the registry tests change her email and her eligibility with `setClaims`. */
  heidi: account('heidi', { email: 'heidi@example.org', email_verified: true, name: 'Heidi Mover', ...BOTH }),
  /** Eligible by both; for the registry tests (deprovisioning, claims) on their own account. */
  ivan: account('ivan', { email: 'ivan@example.org', email_verified: true, name: 'Ivan Idle', ...BOTH }),
} satisfies Record<string, TestAccount>;

/** One line per test person, for the demo's help text and the README. */
export const demoAccounts: ReadonlyArray<{ login: string; password: string; description: string }> = [
  { login: 'alice', password: accounts.alice.password, description: 'eligible by realm role only' },
  {
    login: 'bob',
    password: accounts.bob.password,
    description: 'eligible by entitlement only (no VO role: PAPI refuses)',
  },
  {
    login: 'carol',
    password: accounts.carol.password,
    description: 'not eligible (sub-group entitlement, other VO role)',
  },
  { login: 'dave', password: accounts.dave.password, description: 'eligible, but email not verified' },
  { login: 'erin', password: accounts.erin.password, description: 'eligible, but no email claim' },
  { login: 'frank', password: accounts.frank.password, description: 'eligible by both (sharing)' },
  { login: 'grace', password: accounts.grace.password, description: 'eligible by both (sharing)' },
  {
    login: 'gracie',
    password: accounts.gracie.password,
    description: 'another sign-in with Grace’s email (Grace@Example.org): cannot take her account',
  },
  { login: 'heidi', password: accounts.heidi.password, description: 'eligible by both' },
  { login: 'ivan', password: accounts.ivan.password, description: 'eligible by both' },
];

interface ClientSpec {
  client_id: string;
  /** Absent: a public client (`token_endpoint_auth_method: none`, PKCE required). */
  client_secret?: string;
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  /**
   * For a confidential client. Default `client_secret_post`, which is what the BFF sends (openid-client's
   * `ClientSecretPost`); oidc-provider accepts exactly one method per client.
   */
  token_endpoint_auth_method?: 'client_secret_post' | 'client_secret_basic';
  /**
   * OIDC Dynamic Client Registration's `require_auth_time`: every ID token carries `auth_time`, as
   * Keycloak's always do. Default true; false shows a provider that sends `auth_time` only when asked
   * (with `max_age`), for the step-up tests.
   */
  require_auth_time?: boolean;
}

export interface StartOidcProviderOptions {
  clients: ClientSpec[];
  /** Default: a free port. */
  port?: number;
  /** Lifetime of access tokens (and `expires_in`). Default 600. */
  accessTokenTtlSeconds?: number;
  /** Default: every account in {@link accounts}. */
  accounts?: TestAccount[];
}

export interface OidcServer {
  /** `http://127.0.0.1:<port>` (no trailing slash); discovery is at `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** The underlying oidc-provider instance, for tests that need more. */
  provider: Provider;
  stop(): Promise<void>;
  /** Changes the lifetime of access tokens issued from now on. */
  setAccessTokenTtl(seconds: number): void;
  /**
   * Deletes every grant and every token issued under one (codes, access and refresh tokens): userinfo
   * refuses the access tokens and the refresh-token grant answers `invalid_grant`, as when a person's
   * consent or offline session is revoked at Keycloak. Provider login sessions stay, so signing in again
   * needs no password.
   */
  revokeAllGrants(): Promise<void>;
  /** {@link revokeAllGrants} and also ends every provider login session: the next sign-in shows the form. */
  endAllSessions(): Promise<void>;
  /** Every request that reached the token endpoint (code exchanges and refreshes), in arrival order. */
  readonly tokenRequests: readonly TokenRequestRecord[];
  /**
   * Breaks the token endpoint until called again with `undefined`; nothing else changes (discovery,
   * userinfo and the login pages keep working) and no grant or token is touched. `'drop'` closes the
   * connection without an answer (a provider that cannot be reached); a number answers that HTTP status
   * with a plain-text body (a proxy in front of a provider that is down).
   */
  setTokenEndpointFailure(failure: TokenEndpointFailure | undefined): void;
  /**
   * While on, the provider ignores `max_age` and `prompt=login` in authorization requests, as some
   * providers do: a step-up then returns without a new sign-in, and the ID token's `auth_time` is the old
   * one. The BFF must notice that the sign-in it asked for did not happen.
   */
  ignoreReauthenticationRequests(on: boolean): void;
  /**
   * Changes a person's claims from now on (a claim set to `undefined` disappears), as when an address is
   * changed or a role taken away at the provider. Tokens already issued keep the old claims; the next
   * sign-in or refresh carries the new ones.
   */
  setClaims(login: string, claims: Partial<Omit<TestAccount, 'login' | 'password' | 'sub'>>): void;
}

/** One request to the token endpoint, as {@link OidcServer.tokenRequests} records it. */
interface TokenRequestRecord {
  /** Its `grant_type` (`authorization_code`, `refresh_token`); unknown while pending or after a server error. */
  grantType: string | undefined;
  /**
   * `issued`: tokens were issued; `refused`: answered with an OAuth error (e.g. `invalid_grant`);
   * `failed`: failed by {@link OidcServer.setTokenEndpointFailure} before the provider saw it; `pending`:
   * not answered yet (or a server error).
   */
  outcome: 'pending' | 'issued' | 'refused' | 'failed';
  /** The OAuth error code when `refused`. */
  error?: string;
}

/** How {@link OidcServer.setTokenEndpointFailure} breaks the token endpoint. */
type TokenEndpointFailure = 'drop' | number;

/* ------------------------------------------------------------------------------------------------ */
/* Storage                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

interface Stored {
  payload: AdapterPayload;
  expiresAt: number;
}

/** Models whose entries belong to a grant (carry `grantId`). */
const GRANT_BOUND = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * A per-provider in-memory store (oidc-provider's built-in memory adapter shares one global store
 * between all instances in a process, and offers no way to list what it holds).
 */
class MemoryStore {
  readonly entries = new Map<string, Stored>();

  adapterFor(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`;
    const get = (id: string): AdapterPayload | undefined => {
      const hit = this.entries.get(key(id));
      if (!hit) return undefined;
      if (hit.expiresAt <= Date.now()) {
        this.entries.delete(key(id));
        return undefined;
      }
      return hit.payload;
    };
    const findBy = (field: 'uid' | 'userCode', value: string) => {
      for (const [k, v] of this.entries) {
        if (k.startsWith(`${model}:`) && v.payload[field] === value && v.expiresAt > Date.now()) return v.payload;
      }
      return undefined;
    };
    return {
      upsert: async (id, payload, expiresIn) => {
        this.entries.set(key(id), {
          payload,
          expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY,
        });
      },
      find: async (id) => get(id),
      findByUid: async (uid) => findBy('uid', uid),
      findByUserCode: async (userCode) => findBy('userCode', userCode),
      consume: async (id) => {
        const payload = get(id);
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => {
        this.entries.delete(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const [k, v] of this.entries) {
          if (k.startsWith(`${model}:`) && v.payload.grantId === grantId) this.entries.delete(k);
        }
      },
    };
  }

  /** Removes every entry of the given models, and every grant-bound entry when `Grant` is among them. */
  purge(models: Set<string>): void {
    for (const [k, v] of this.entries) {
      const model = k.slice(0, k.indexOf(':'));
      if (models.has(model) || (models.has('Grant') && GRANT_BOUND.has(model) && v.payload.grantId)) {
        this.entries.delete(k);
      }
    }
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Pages                                                                                              */
/* ------------------------------------------------------------------------------------------------ */

function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A self-contained page (no external fonts or scripts: the test machines have no network). */
function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} – Test Identity Provider</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:24rem;padding:0 1rem;color:#1a1a1a}
label{display:block;margin-top:1rem;font-weight:600}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}
button{margin-top:1.25rem;padding:.5rem 1rem;font-size:1rem}
.error{color:#a00000;border:1px solid #a00000;padding:.5rem;margin-top:1rem}
</style>
</head>
<body>
<main>
<h1>${esc(title)}</h1>
${body}
</main>
</body>
</html>`;
}

function loginPage(uid: string, clientId: string, opts: { error?: string; username?: string } = {}): string {
  const error = opts.error ? `<p class="error" role="alert" id="login-error">${esc(opts.error)}</p>` : '';
  return page(
    'Sign in',
    `<p>to continue to <strong>${esc(clientId)}</strong></p>
${error}
<form method="post" action="/interaction/${esc(uid)}/login" autocomplete="off">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${esc(opts.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>`,
  );
}

/* ------------------------------------------------------------------------------------------------ */
/* Provider                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

function clientMetadata(spec: ClientSpec): ClientMetadata {
  const common: ClientMetadata = {
    client_id: spec.client_id,
    redirect_uris: spec.redirect_uris,
    post_logout_redirect_uris: spec.post_logout_redirect_uris ?? [],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
    require_auth_time: spec.require_auth_time ?? true,
  };
  if (spec.client_secret === undefined) return { ...common, token_endpoint_auth_method: 'none' };
  return {
    ...common,
    client_secret: spec.client_secret,
    token_endpoint_auth_method: spec.token_endpoint_auth_method ?? 'client_secret_post',
  };
}

/**
 * Starts the provider on 127.0.0.1 (`opts.port` or a free port) and resolves once it listens.
 *
 * Guarantees: authorization code flow only, PKCE (S256) required for every client; a refresh token on
 * every code grant (no `offline_access` needed, bound to the login session); RS256 ID tokens carrying
 * the scope's claims too (`conformIdTokenClaims: false`); userinfo; RP-initiated logout with a
 * confirmation form; a login form at `/interaction/:uid` and automatic consent.
 */
export async function startOidcProvider(opts: StartOidcProviderOptions): Promise<OidcServer> {
  const port = opts.port ?? (await freePort());
  const issuer = `http://127.0.0.1:${port}`;
  // Copies: `setClaims` changes this provider's people only, never the shared table above.
  const people: TestAccount[] = (opts.accounts ?? Object.values(accounts)).map((a) => structuredClone(a));
  const bySub = new Map(people.map((a) => [a.sub, a]));
  const byLogin = new Map(people.map((a) => [a.login, a]));
  let accessTokenTtl = opts.accessTokenTtlSeconds ?? 600;
  const store = new MemoryStore();

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    adapter: (model: string) => store.adapterFor(model),
    clients: opts.clients.map(clientMetadata),
    jwks: { keys: [signingKey] },
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Distinct names: cookies are not isolated by port, so the browser sends these to the BFF (also on
      // 127.0.0.1) and the BFF's to the provider. Names that cannot collide with the BFF's keep both apart.
      names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' },
    },
    claims: {
      openid: ['sub', 'realm_access'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      eduperson_entitlement: ['eduperson_entitlement', 'entitlements'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'eduperson_entitlement'],
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => {
      const person = bySub.get(sub);
      if (!person) return undefined;
      return {
        accountId: person.sub,
        claims: () => {
          const { login, password: _password, eduperson_entitlement, ...claims } = person;
          return {
            ...claims,
            preferred_username: login,
            ...(eduperson_entitlement ? { eduperson_entitlement, entitlements: eduperson_entitlement } : {}),
          };
        },
      };
    },
    ttl: {
      AccessToken: () => accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 14 * 24 * 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // `form` is oidc-provider's hidden form (id "op.logoutForm", with its xsrf token); the buttons submit it.
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.body = page(
            'Sign out',
            `<p>Do you want to sign out from the test identity provider?</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
          );
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.body = page('Signed out', '<p>You have been signed out.</p>');
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page(
        'Something went wrong',
        Object.entries(out)
          .map(([k, v]) => `<p><strong>${esc(k)}</strong>: <span data-key="${esc(k)}">${esc(v)}</span></p>`)
          .join('\n'),
      );
    },
  };

  const provider = new Provider(issuer, configuration);

  const app = express();
  app.disable('x-powered-by');
  const noStore = (_req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  const form = express.urlencoded({ extended: false });
  let ignoreReauthentication = false;
  app.get('/auth', (req, _res, next) => {
    if (ignoreReauthentication) {
      const url = new URL(req.url, issuer);
      url.searchParams.delete('max_age');
      url.searchParams.delete('prompt');
      req.url = url.pathname + url.search;
    }
    next();
  });

  /** Grants whatever scopes and claims the pending consent prompt lists as missing, and resumes. */
  async function consent(req: Request, res: Response): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const accountId = details.session?.accountId;
    if (!accountId) throw new Error('consent prompt without a signed-in account');
    const clientId = String(details.params.client_id);
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }))
      : new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  app.get('/interaction/:uid', noStore, async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      res.type('html').send(loginPage(details.uid, String(details.params.client_id)));
      return;
    }
    if (details.prompt.name === 'consent') {
      await consent(req, res);
      return;
    }
    res
      .status(400)
      .type('html')
      .send(page('Unsupported prompt', `<p>${esc(details.prompt.name)}</p>`));
  });

  app.post('/interaction/:uid/login', noStore, form, async (req, res) => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name !== 'login') {
      res.status(400).type('html').send(page('Unexpected request', '<p>This sign-in step is already done.</p>'));
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const person = byLogin.get(username);
    if (!person || person.password !== password) {
      res
        .status(200)
        .type('html')
        .send(
          loginPage(details.uid, String(details.params.client_id), {
            error: 'Invalid username or password.',
            username,
          }),
        );
      return;
    }
    // Consent follows as its own prompt (GET /interaction/:uid again), granted automatically there.
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: person.sub } },
      { mergeWithLastSubmission: false },
    );
  });

  app.use('/interaction', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (err instanceof errors.SessionNotFound) {
      res
        .status(400)
        .type('html')
        .send(
          page(
            'Sign-in expired',
            '<p>This sign-in attempt expired or was already used. Start again from the application.</p>',
          ),
        );
      return;
    }
    next(err);
  });
  // The token endpoint's log and failure switch (see OidcServer.tokenRequests / setTokenEndpointFailure).
  // Express's `req` is the node request oidc-provider's context wraps, so the provider's grant events find
  // the record made here. The body is read only when failing, so the provider still parses it itself.
  const tokenRequests: TokenRequestRecord[] = [];
  const tokenRecordOf = new WeakMap<object, TokenRequestRecord>();
  let tokenFailure: TokenEndpointFailure | undefined;
  app.post('/token', (req, res, next) => {
    const failure = tokenFailure;
    if (failure === undefined) {
      const record: TokenRequestRecord = { grantType: undefined, outcome: 'pending' };
      tokenRequests.push(record);
      tokenRecordOf.set(req, record);
      next();
      return;
    }
    form(req, res, () => {
      const grantType = (req.body as Record<string, unknown> | undefined)?.grant_type;
      tokenRequests.push({ grantType: typeof grantType === 'string' ? grantType : undefined, outcome: 'failed' });
      if (failure === 'drop') req.socket.destroy();
      else res.status(failure).type('text/plain').send('Service Unavailable');
    });
  });
  const grantTypeOf = (ctx: KoaContextWithOIDC): string | undefined => {
    const value = ctx.oidc?.params?.grant_type ?? ctx.oidc?.body?.grant_type;
    return typeof value === 'string' ? value : undefined;
  };
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const record = tokenRecordOf.get(ctx.req);
    if (record) Object.assign(record, { grantType: grantTypeOf(ctx), outcome: 'issued' });
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC, err: { error?: string }) => {
    const record = tokenRecordOf.get(ctx.req);
    if (record) Object.assign(record, { grantType: grantTypeOf(ctx), outcome: 'refused', error: err?.error });
  });
  app.use(provider.callback());

  const server = http.createServer(app);
  const actualPort = await listen(server, port);
  if (actualPort !== port) throw new Error(`oidc provider listens on ${actualPort}, expected ${port}`);

  return {
    issuer,
    provider,
    async stop() {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
    setAccessTokenTtl(seconds: number) {
      accessTokenTtl = seconds;
    },
    async revokeAllGrants() {
      store.purge(new Set(['Grant', ...GRANT_BOUND]));
    },
    async endAllSessions() {
      store.purge(new Set(['Grant', ...GRANT_BOUND, 'Session', 'Interaction']));
    },
    tokenRequests,
    ignoreReauthenticationRequests(on) {
      ignoreReauthentication = on;
    },
    setClaims(login, claims) {
      const person = byLogin.get(login);
      if (!person) throw new Error(`no test account ${login}`);
      for (const [key, value] of Object.entries(claims)) {
        if (value === undefined) delete (person as unknown as Record<string, unknown>)[key];
        else (person as unknown as Record<string, unknown>)[key] = value;
      }
    },
    setTokenEndpointFailure(failure) {
      tokenFailure = failure;
    },
  };
}
