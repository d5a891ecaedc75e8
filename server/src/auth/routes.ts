/**
 * Sign-in, callback and sign-out: the authorization code flow with PKCE, state and nonce.
 * The session is regenerated at sign-in (no session fixation) and destroyed at sign-out.
 */
import express, { type Request, type Response, type Router } from 'express';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import type { Oidc } from './oidc.js';
import { safeReturnTo } from './return-to.js';
import type { PendingLogin } from './session-data.js';
import { renderMessagePage } from './message-page.js';

const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
const MAX_PENDING_LOGINS = 5;

function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}
function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}
function destroy(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}

function wantsJson(req: Request): boolean {
  return req.accepts(['html', 'json']) === 'json';
}

/** Errors of the browser-facing auth routes: a readable page for people, JSON for programs. */
function answerError(req: Request, res: Response, config: Config, error: AppError) {
  res.status(error.status);
  if (wantsJson(req)) {
    res.json({ error: { code: error.code, message: error.message } });
  } else {
    res.type('html').send(renderMessagePage({ title: 'Sign-in did not work', message: error.message, actionHref: `${config.basePath}/`, actionText: 'Back to the start page' }));
  }
}

export function createAuthRouter(config: Config, oidc: Oidc, csrfProtection: express.RequestHandler): Router {
  const router = express.Router();
  const postLogoutRedirect = `${new URL(config.oidc.redirectUri).origin}${config.basePath}/`;

  router.get('/login', async (req, res, next) => {
    try {
      const returnTo = safeReturnTo(req.query.returnTo, config.basePath);
      const login = await oidc.startLogin();
      const now = Date.now();
      const pending = Object.entries(req.session.pendingLogins ?? {})
        .filter(([, p]) => now - p.createdAt < PENDING_LOGIN_TTL_MS)
        .slice(-(MAX_PENDING_LOGINS - 1));
      req.session.pendingLogins = Object.fromEntries([
        ...pending,
        [login.state, { codeVerifier: login.codeVerifier, nonce: login.nonce, returnTo, createdAt: now } satisfies PendingLogin],
      ]);
      await save(req);
      res.set('Cache-Control', 'no-store').redirect(302, login.url);
    } catch (err) {
      if (err instanceof AppError) return answerError(req, res, config, err);
      next(err);
    }
  });

  router.get('/callback', async (req, res, next) => {
    const query = new URLSearchParams(req.url.slice(req.url.indexOf('?') + 1));
    const state = query.get('state');
    const pending = state ? req.session.pendingLogins?.[state] : undefined;
    if (!state || !pending || Date.now() - pending.createdAt > PENDING_LOGIN_TTL_MS) {
      return answerError(req, res, config, new AppError(400, 'invalid_state',
        'This sign-in link is not valid here: it has expired, was already used, or was started in another browser. Start again from the sign-in button.'));
    }
    // One use only: a replayed callback finds nothing.
    delete req.session.pendingLogins![state];
    const providerError = query.get('error');
    if (providerError) {
      const description = query.get('error_description');
      return answerError(req, res, config, new AppError(400, 'sign_in_refused',
        `The sign-in provider did not sign you in (${providerError}${description ? `: ${description.slice(0, 200)}` : ''}). Try again.`));
    }
    try {
      const tokens = await oidc.finishLogin(query, { state, codeVerifier: pending.codeVerifier, nonce: pending.nonce });
      await regenerate(req);
      req.session.user = { issuer: oidc.issuer, ...tokens };
      await save(req);
      res.set('Cache-Control', 'no-store').redirect(302, pending.returnTo);
    } catch (err) {
      if (err instanceof AppError) return answerError(req, res, config, err);
      req.log?.warn({ err: (err as Error).message }, 'sign-in callback failed');
      if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('OAUTH_')) {
        return answerError(req, res, config, new AppError(400, 'sign_in_failed', 'The sign-in could not be completed. Start again from the sign-in button.'));
      }
      if (err instanceof TypeError || (err as { name?: string }).name === 'TimeoutError') {
        return answerError(req, res, config, new AppError(503, 'provider_unavailable', 'The sign-in provider cannot be reached right now. Try again in a moment.'));
      }
      next(err);
    }
  });

  router.post('/logout', express.urlencoded({ extended: false, limit: '16kb' }), csrfProtection, async (req, res, next) => {
    try {
      const idToken = req.session.user?.idToken;
      const endSession = req.session.user ? oidc.endSessionUrl(idToken, postLogoutRedirect) : undefined;
      await destroy(req);
      res.clearCookie(SESSION_COOKIE, { path: config.basePath || '/' });
      const redirectTo = endSession ?? postLogoutRedirect;
      if (wantsJson(req)) res.json({ redirect_to: redirectTo });
      else res.redirect(303, redirectTo);
    } catch (err) {
      next(err);
    }
  });

  return router;
}

export const SESSION_COOKIE = 'mlflow_signup.sid';
