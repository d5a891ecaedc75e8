/**
 * The whole system for one test file: a real MLflow, the real OpenID provider, the PAPI double and the
 * BFF itself (the production server, started in-process on a free port), wired as an operator would.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, startServer, type Config, type RunningServer } from '../../server/src/index.js';
import { BrowserAgent } from './browser-agent.js';
import { startMlflow, type MlflowServer } from './mlflow.js';
import {
  startOidcProvider,
  REQUIRED_REALM_ROLES_FOR_TESTS,
  REQUIRED_ENTITLEMENT_FOR_TESTS,
  type OidcServer,
} from './oidc-provider.js';
import { startPapiDouble, type PapiDouble } from './papi-double.js';
import { useForAll } from './lifecycle.js';
import { freePort } from './ports.js';

export const TEST_VO = 'vo.ai4eosc.eu';
export const CLIENT_ID = 'mlflow-signup';

export interface StackOptions {
  mlflowVersion?: string;
  /** Reuse a running MLflow instead of starting one. */
  mlflow?: MlflowServer;
  /** Store credentials in Vault through the PAPI double (default true). */
  vault?: boolean;
  rule?: 'realm_roles' | 'entitlement' | 'any';
  accessTokenTtlSeconds?: number;
  /** Whether the provider puts `auth_time` in every ID token (default true, as Keycloak does). */
  providerSendsAuthTime?: boolean;
  /** Extra or overriding environment variables for the BFF. */
  env?: Record<string, string | undefined>;
  basePath?: string;
  /**
   * The BFF's logger (default: silent, or `TEST_LOG_LEVEL`). Tests that inspect what the service logs
   * pass a pino logger writing to memory; it is kept across {@link Stack.restartBff}.
   */
  logger?: Logger;
  /** The clock of the BFF's registry and maintenance job (default `Date.now`); kept across restarts. */
  now?: () => number;
}

export interface Stack {
  mlflow: MlflowServer;
  oidc: OidcServer;
  papi: PapiDouble | undefined;
  bff: RunningServer;
  config: Config;
  /**
   * The environment the running BFF was configured from (the stack's, plus {@link Stack.restartBff}'s):
   * what another process of the same deployment reads, such as the operator CLI (`server/src/cli.ts`).
   */
  env: Readonly<Record<string, string | undefined>>;
  /** `http://127.0.0.1:<port>` of the BFF. */
  origin: string;
  /** Origin plus base path, e.g. `http://127.0.0.1:<port>/signup`. */
  baseUrl: string;
  /** A fresh cookie jar: one person's browser. */
  newAgent(): BrowserAgent;
  /** A person signed in through the provider's real login form, with an API client. */
  /** `login` is one of the test accounts' logins (see `accounts` in oidc-provider.ts). */
  signIn(login: string, returnTo?: string): Promise<ApiSession>;
  /** The BFF's `DATA_DIR` (a fresh temp dir; the SQLite registry lives there unless DATABASE_URL is set). */
  dataDir: string;
  /** Restart the BFF with other settings, keeping the other services. */
  restartBff(env?: Record<string, string | undefined>): Promise<void>;
  stop(): Promise<void>;
}

export interface ApiResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A signed-in browser talking JSON to the BFF like the SPA does (CSRF token and Origin included). */
export class ApiSession {
  csrfToken: string | undefined;
  constructor(
    readonly agent: BrowserAgent,
    readonly baseUrl: string,
    readonly origin: string,
  ) {}

  async call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: { csrf?: boolean; origin?: string | null; rawBody?: string; contentType?: string } = {},
  ): Promise<ApiResult<T>> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (method !== 'GET' && options.csrf !== false) {
      if (!this.csrfToken) await this.me();
      headers['X-CSRF-Token'] = this.csrfToken!;
    }
    const origin = options.origin === undefined ? this.origin : options.origin;
    if (origin !== null && method !== 'GET') headers.Origin = origin;
    let payload: string | undefined;
    if (options.rawBody !== undefined) {
      payload = options.rawBody;
      headers['Content-Type'] = options.contentType ?? 'application/json';
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['Content-Type'] = 'application/json';
    }
    const res = await this.agent.fetch(this.baseUrl + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text, the test will say so */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  async me() {
    const res = await this.call('GET', '/api/me');
    if (res.status === 200) this.csrfToken = res.body.csrf_token;
    return res;
  }
  register(password: string) {
    return this.call('POST', '/api/me', { password });
  }
  changePassword(password: string) {
    return this.call('PUT', '/api/me/password', { password });
  }
  deleteAccount() {
    return this.call('DELETE', '/api/me');
  }
}

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const started: Array<() => Promise<void>> = [];
  try {
    const mlflow = options.mlflow ?? (await startMlflow({ version: options.mlflowVersion }));
    if (!options.mlflow) started.push(() => mlflow.stop());

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const basePath = options.basePath ?? '/signup';
    const oidc = await startOidcProvider({
      clients: [
        {
          client_id: CLIENT_ID,
          redirect_uris: [`${origin}${basePath}/auth/callback`],
          post_logout_redirect_uris: [`${origin}${basePath}/`],
          require_auth_time: options.providerSendsAuthTime ?? true,
        },
      ],
      accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    });
    started.push(() => oidc.stop());

    const papi = options.vault === false ? undefined : await startPapiDouble({ issuer: oidc.issuer });
    if (papi) started.push(() => papi.stop());

    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mlflow-signup-data-'));
    started.push(() => rm(dataDir, { recursive: true, force: true }));

    const rule = options.rule ?? 'realm_roles';
    const baseEnv: Record<string, string | undefined> = {
      MLFLOW_HOSTNAME: mlflow.url,
      MLFLOW_USERNAME: mlflow.adminUsername,
      MLFLOW_PASSWORD: mlflow.adminPassword,
      OIDC_AUTHORITY: oidc.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_SCOPE: 'openid email profile eduperson_entitlement offline_access',
      OIDC_REDIRECT_URI: `${origin}${basePath}/auth/callback`,
      OIDC_ALLOW_INSECURE_HTTP: 'true',
      BASE_PATH: basePath,
      SESSION_SECRET: 'test-session-secret-that-is-long-enough-1234',
      REQUIRED_REALM_ROLES: rule === 'realm_roles' ? REQUIRED_REALM_ROLES_FOR_TESTS : undefined,
      REQUIRED_ENTITLEMENT: rule === 'entitlement' ? REQUIRED_ENTITLEMENT_FOR_TESTS : undefined,
      ALLOW_ANY_AUTHENTICATED_USER: rule === 'any' ? 'true' : undefined,
      USER_CREDENTIALS_SECRETS_API: papi?.url,
      USER_CREDENTIALS_SECRETS_VO: papi ? TEST_VO : undefined,
      PRIVACY_POLICY_URL: 'https://example.org/privacy',
      TERMS_OF_USE_URL: 'https://example.org/terms',
      DATA_DIR: dataDir,
      ...options.env,
    };

    const boot = async (env: Record<string, string | undefined>) => {
      const result = loadConfig(env);
      if (!result.ok) throw new Error(`test configuration refused:\n${result.errors.join('\n')}`);
      const bff = await startServer(result.config, {
        logger: options.logger ?? silent,
        host: '127.0.0.1',
        port,
        now: options.now,
      });
      try {
        // Tests start signing in at once: wait for discovery like /readyz would. A keep-alive socket of
        // the previous server may still be pooled after a restart, so a failed fetch is simply retried.
        for (let i = 0; ; i++) {
          const r = await fetch(`${origin}/readyz`)
            .then((x) => x.json() as Promise<{ checks: { provider: { ok: boolean } } }>)
            .catch(() => undefined);
          if (r?.checks.provider.ok || (i >= 50 && r)) break;
          if (i > 100) throw new Error('the BFF did not answer /readyz');
          await new Promise((res) => setTimeout(res, 100));
        }
      } catch (err) {
        await bff.close();
        throw err;
      }
      return { bff, config: result.config, env };
    };

    let current = await boot(baseEnv);
    const stack: Stack = {
      mlflow,
      oidc,
      papi,
      get bff() {
        return current.bff;
      },
      get config() {
        return current.config;
      },
      get env() {
        return current.env;
      },
      origin,
      dataDir,
      baseUrl: `${origin}${basePath}`,
      newAgent: () => new BrowserAgent(),
      async signIn(login, returnTo) {
        const agent = new BrowserAgent();
        const url = `${origin}${basePath}/auth/login${returnTo ? `?returnTo=${encodeURIComponent(returnTo)}` : ''}`;
        await agent.signIn(url, login, `${login}-password-123`);
        const session = new ApiSession(agent, `${origin}${basePath}`, origin);
        await session.me();
        return session;
      },
      async restartBff(env = {}) {
        await current.bff.close();
        current = await boot({ ...baseEnv, ...env });
      },
      async stop() {
        await current.bff.close();
        for (const stop of started.reverse()) await stop().catch(() => undefined);
      },
    };
    return stack;
  } catch (err) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * One stack for the enclosing `describe` block (or the whole file): started in `beforeAll`, stopped in
 * `afterAll`. Returns a getter, because the stack exists only once `beforeAll` has run:
 *
 * ```ts
 * const stack = useStack({ rule: 'realm_roles', vault: false });
 * it('…', async () => { const alice = await stack().signIn('alice'); … });
 * ```
 *
 * `start` defaults to {@link startStack}; the browser tests pass `startE2eStack` (e2e/support/stack.ts).
 * A `beforeAll` of the caller declared after this call runs after the stack has started.
 */
export function useStack(
  options: StackOptions = {},
  start: (options: StackOptions) => Promise<Stack> = startStack,
): () => Stack {
  return useForAll(
    'stack',
    () => start(options),
    (stack) => stack.stop(),
  );
}
