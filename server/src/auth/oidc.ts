/**
 * The OpenID provider as this service uses it, on top of openid-client v6.
 *
 * Discovery is retried in the background: a provider that is down at start must not crash-loop the
 * service. Until discovery succeeds, sign-in answers 503 and `/readyz` says why.
 */
import * as client from 'openid-client';
import type { Config } from '../config.js';
import { AppError, providerUnavailable, sessionExpired, signInFailed } from '../errors.js';
import { describeForLog } from '../http.js';
import type { Claims } from './eligibility.js';

/**
 * What a failed exchange with the provider means: it could not be reached (retry later, keep the session),
 * or it answered and refused (the grant is gone, or the callback was not acceptable).
 */
export function classifyProviderError(err: unknown): 'unreachable' | 'refused' {
  if (err instanceof client.ResponseBodyError) return err.status >= 500 ? 'unreachable' : 'refused';
  if (!(err instanceof Error) && !(typeof err === 'object' && err !== null && 'name' in err)) return 'refused';
  // Checked by name, not instanceof: fetch's errors may come from another realm than this module's.
  const { name, code, cause } = err as { name?: string; code?: unknown; cause?: unknown };
  // fetch() rejects with a plain TypeError when nothing answers (refused connection, DNS, reset).
  if (name === 'TypeError' && code === undefined) return 'unreachable';
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT')
    return 'unreachable';
  // openid-client wraps what it does not recognise (e.g. a fetch error from another realm) without a code.
  if (name === 'ClientError' && code === undefined && typeof cause === 'object' && cause !== null && 'name' in cause)
    return classifyProviderError(cause);
  // A non-OAuth answer (an HTML error page from a proxy, a 502): the provider is not really answering.
  if (
    typeof cause === 'object' &&
    cause !== null &&
    'status' in cause &&
    typeof cause.status === 'number' &&
    cause.status >= 500
  )
    return 'unreachable';
  return 'refused';
}

export interface TokenResult {
  sub: string;
  /**
   * When the person last authenticated at the provider (seconds since the epoch), from the ID token of a
   * sign-in this service started; `undefined` when the provider did not say. Never taken from userinfo
   * or from a refresh, which cannot make a sign-in more recent.
   */
  authTime: number | undefined;
  claims: Claims;
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  expiresAt: number;
}

interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const DEFAULT_TOKEN_LIFETIME_S = 300;

export function createOidc(config: Config, logger: Logger, options: { retryDelayMs?: number; timeoutS?: number } = {}) {
  let configuration: client.Configuration | undefined;
  let lastError: string | undefined = 'not discovered yet';
  let inFlight: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const retryDelayMs = options.retryDelayMs ?? 5_000;

  async function discoverOnce(): Promise<void> {
    const execute = config.oidc.allowInsecureHttp ? [client.allowInsecureRequests] : [];
    const clientAuth = config.oidc.clientSecret ? client.ClientSecretPost(config.oidc.clientSecret) : client.None();
    try {
      const c = await client.discovery(
        new URL(config.oidc.issuer),
        config.oidc.clientId,
        config.oidc.clientSecret,
        clientAuth,
        {
          execute,
          timeout: options.timeoutS ?? 10,
        },
      );
      c.timeout = options.timeoutS ?? 10;
      configuration = c;
      lastError = undefined;
      logger.info({ issuer: config.oidc.issuer }, 'OpenID provider discovered');
    } catch (err) {
      lastError = `discovery of ${config.oidc.issuer} failed`;
      logger.warn(
        { issuer: config.oidc.issuer, err: describeForLog(err) },
        'OpenID provider discovery failed; retrying',
      );
    }
  }

  function discover(): Promise<void> {
    inFlight ??= discoverOnce().finally(() => {
      inFlight = undefined;
      if (!configuration && !stopped) {
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => void discover(), retryDelayMs);
        retryTimer.unref();
      }
    });
    return inFlight;
  }

  function requireConfiguration(): client.Configuration {
    if (!configuration) {
      void discover();
      throw providerUnavailable();
    }
    return configuration;
  }

  function toTokenResult(
    tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers,
    previous?: { refreshToken?: string; idToken?: string },
  ) {
    const idClaims = (tokens.claims() ?? {}) as Claims;
    const expiresIn = tokens.expiresIn() ?? DEFAULT_TOKEN_LIFETIME_S;
    return {
      idClaims,
      accessToken: tokens.access_token,
      // Providers may omit the refresh token on refresh when they do not rotate it: keep the old one.
      refreshToken: tokens.refresh_token ?? previous?.refreshToken,
      idToken: tokens.id_token ?? previous?.idToken,
      expiresAt: Date.now() + expiresIn * 1000,
    };
  }

  async function withUserinfo(
    c: client.Configuration,
    base: ReturnType<typeof toTokenResult>,
    sub: string,
  ): Promise<Omit<TokenResult, 'authTime'>> {
    const userinfo = (await client.fetchUserInfo(c, base.accessToken, sub)) as Claims;
    // Userinfo is the fresher source; the ID token fills in what userinfo leaves out.
    return {
      sub,
      claims: { ...base.idClaims, ...userinfo },
      accessToken: base.accessToken,
      refreshToken: base.refreshToken,
      idToken: base.idToken,
      expiresAt: base.expiresAt,
    };
  }

  return {
    discover,
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
    },
    get ready(): boolean {
      return configuration !== undefined;
    },
    get problem(): string | undefined {
      return lastError;
    },

    /**
     * Starts a sign-in: the URL to send the browser to, and what the callback must check. A step-up
     * (`reauthenticate`) asks the provider for a fresh authentication with `max_age=0` and, for providers
     * that ignore `max_age`, `prompt=login`.
     * @see https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (max_age, prompt, auth_time)
     */
    async startLogin(options: { reauthenticate?: boolean } = {}) {
      const c = requireConfiguration();
      const codeVerifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(c, {
        redirect_uri: config.oidc.redirectUri,
        scope: config.oidc.scopes.join(' '),
        code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...(options.reauthenticate ? { max_age: '0', prompt: 'login' } : {}),
      });
      return { url: url.href, state, codeVerifier, nonce };
    },

    /** Exchanges the code, checking state, nonce and PKCE, then merges the ID token with userinfo. */
    async finishLogin(
      query: URLSearchParams,
      checks: { state: string; codeVerifier: string; nonce: string },
    ): Promise<TokenResult> {
      const c = requireConfiguration();
      // Build the callback URL from configuration, not from the request: behind a proxy the request's own
      // URL is internal, and the token request must repeat the registered redirect_uri exactly.
      const currentUrl = new URL(config.oidc.redirectUri);
      currentUrl.search = query.toString();
      try {
        const tokens = await client.authorizationCodeGrant(c, currentUrl, {
          pkceCodeVerifier: checks.codeVerifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          idTokenExpected: true,
        });
        const base = toTokenResult(tokens);
        const sub = base.idClaims.sub;
        if (typeof sub !== 'string') throw signInFailed();
        const authTime = typeof base.idClaims.auth_time === 'number' ? base.idClaims.auth_time : undefined;
        return { ...(await withUserinfo(c, base, sub)), authTime };
      } catch (err) {
        if (err instanceof AppError) throw err;
        logger.warn({ reason: classifyProviderError(err), err: describeForLog(err) }, 'sign-in callback failed');
        throw classifyProviderError(err) === 'unreachable' ? providerUnavailable(err) : signInFailed(err);
      }
    },

    /**
     * Refreshes the access token and the claims (eligibility is re-evaluated from them). A provider that
     * cannot be reached answers 503 `provider_unavailable` (the session stays); only a refusal by the
     * provider, such as `invalid_grant`, ends the session (401 `session_expired`).
     */
    async refresh(user: {
      sub: string;
      refreshToken: string;
      idToken?: string;
      authTime: number | undefined;
    }): Promise<TokenResult> {
      const c = requireConfiguration();
      try {
        const tokens = await client.refreshTokenGrant(c, user.refreshToken);
        return { ...(await withUserinfo(c, toTokenResult(tokens, user), user.sub)), authTime: user.authTime };
      } catch (err) {
        const reason = classifyProviderError(err);
        logger.warn({ reason, err: describeForLog(err) }, 'token refresh failed');
        throw reason === 'unreachable' ? providerUnavailable(err) : sessionExpired();
      }
    },

    /** The provider's logout URL, when it advertises an `end_session_endpoint`. */
    endSessionUrl(idToken: string | undefined, postLogoutRedirectUri: string): string | undefined {
      if (!configuration?.serverMetadata().end_session_endpoint) return undefined;
      const params: Record<string, string> = {
        post_logout_redirect_uri: postLogoutRedirectUri,
        client_id: config.oidc.clientId,
      };
      if (idToken) params.id_token_hint = idToken;
      return client.buildEndSessionUrl(configuration, params).href;
    },

    get issuer(): string {
      return configuration?.serverMetadata().issuer ?? config.oidc.issuer;
    },
  };
}

export type Oidc = ReturnType<typeof createOidc>;
