/**
 * Sign-in, callback and sign-out: the authorization code flow with PKCE, state and nonce.
 *
 * A sign-in in progress lives in the browser's encrypted pending-login cookie, not in a session, so
 * anonymous requests cost no server memory. The session is created only after a successful callback
 * (a new id: no session fixation) and destroyed at sign-out.
 * @see https://datatracker.ietf.org/doc/html/rfc9700#section-2.1 (PKCE and state)
 * @see https://openid.net/specs/openid-connect-core-1_0.html#NonceNotes (nonce)
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Config } from '../config.js';
import { AppError, invalidState, reauthenticationFailed, signInRefused } from '../errors.js';
import { authenticatedSince } from './recent-sign-in.js';
import type { Oidc } from './oidc.js';
import { safeReturnTo } from './return-to.js';
import { renderMessagePage } from './message-page.js';
import { createPendingLogins } from './pending-logins.js';
import { SESSION_COOKIE, sessionStep } from '../security/session.js';
import { describeDevice } from '../sessions/device.js';
import { describeForLog } from '../http.js';
import type { SignedInUser } from './session-data.js';

const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

/** What happens after a sign-in, without holding it up (group membership sync). */
export interface SignInHooks {
  /** Called once the session is stored; not awaited, and whatever it throws is only logged. */
  afterSignIn?(user: SignedInUser, requestId: string | undefined): Promise<unknown>;
  logger?: { warn(obj: object, msg?: string): void };
}

export function createAuthRouter(
  config: Config,
  oidc: Oidc,
  csrfProtection: express.RequestHandler,
  hooks: SignInHooks = {},
): Router {
  const router = express.Router();
  const postLogoutRedirect = `${new URL(config.oidc.redirectUri).origin}${config.basePath}/`;
  const pendingLogins = createPendingLogins({
    secret: config.session.secret,
    path: `${config.basePath}/auth`,
    secure: config.session.cookieSecure,
  });

  /** Errors of the browser-facing auth routes: a readable page for people, JSON for programs. */
  function answerError(req: Request, res: Response, error: AppError) {
    res.status(error.status).set('Cache-Control', 'no-store');
    if (wantsJson(req)) {
      res.json({ error: { code: error.code, message: error.message } });
    } else {
      res.type('html').send(
        renderMessagePage({
          title: 'Sign-in did not work',
          message: error.message,
          actionHref: `${config.basePath}/`,
          actionText: 'Back to the start page',
        }),
      );
    }
  }

  router.get('/login', async (req, res, next) => {
    try {
      const reauthenticate = req.query.reauth === '1';
      const login = await oidc.startLogin({ reauthenticate });
      await pendingLogins.add(req, res, {
        ...login,
        returnTo: safeReturnTo(req.query.returnTo, config.basePath),
        createdAt: Date.now(),
        reauthenticate,
      });
      res.set('Cache-Control', 'no-store').redirect(302, login.url);
    } catch (err) {
      if (err instanceof AppError) return answerError(req, res, err);
      next(err);
    }
  });

  router.get('/callback', async (req, res, next) => {
    try {
      const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
      const state = query.get('state');
      // Only a sign-in this browser started, still pending, is finished; nothing reaches the provider otherwise.
      const pending = state ? await pendingLogins.take(req, res, state) : undefined;
      if (!state || !pending) return answerError(req, res, invalidState());
      const providerError = query.get('error');
      if (providerError) return answerError(req, res, signInRefused(providerError, query.get('error_description')));
      const tokens = await oidc.finishLogin(query, pending);
      if (pending.reauthenticate && !authenticatedSince(tokens.authTime, pending.createdAt)) {
        return answerError(req, res, reauthenticationFailed());
      }
      await sessionStep(req, 'regenerate');
      req.session.user = { issuer: oidc.issuer, ...tokens };
      // For the person's list of sign-ins: when, and from what kind of browser (never the User-Agent itself).
      const signedInAt = Date.now();
      req.session.createdAt = signedInAt;
      req.session.lastSeenAt = signedInAt;
      const device = describeDevice(req.get('user-agent'));
      if (device) req.session.device = device;
      await sessionStep(req, 'save');
      if (hooks.afterSignIn) {
        // Never holds up or fails the sign-in: it runs after the answer, and records its own outcome.
        const requestId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;
        void hooks.afterSignIn(req.session.user, requestId).catch((err: unknown) => {
          hooks.logger?.warn({ err: describeForLog(err) }, 'the after-sign-in step failed');
        });
      }
      res.set('Cache-Control', 'no-store').redirect(302, pending.returnTo);
    } catch (err) {
      if (err instanceof AppError) return answerError(req, res, err);
      next(err);
    }
  });

  router.post(
    '/logout',
    express.urlencoded({ extended: false, limit: '16kb' }),
    csrfProtection,
    async (req, res, next) => {
      try {
        const idToken = req.session.user?.idToken;
        const endSession = req.session.user ? oidc.endSessionUrl(idToken, postLogoutRedirect) : undefined;
        await sessionStep(req, 'destroy');
        res.clearCookie(SESSION_COOKIE, { path: config.basePath || '/' });
        const redirectTo = endSession ?? postLogoutRedirect;
        if (wantsJson(req)) res.json({ redirect_to: redirectTo });
        else res.redirect(303, redirectTo);
      } catch (err) {
        next(err);
      }
    },
  );

  return router;
}
