/**
 * Middleware that makes the signed-in person available to API routes, with a usable access token.
 *
 * An expired access token is refreshed with the refresh token (and the claims re-fetched, so that
 * eligibility follows what the provider says now). When that fails the session ends: 401 session_expired.
 */
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';
import { notAuthenticated, sessionExpired, AppError } from '../errors.js';
import { evaluateEligibility, type Claims, type Eligibility } from './eligibility.js';
import type { Oidc } from './oidc.js';
import type { SignedInUser } from './session-data.js';

/** Refresh this long before expiry, so a token does not expire between our check and PAPI's. */
const EXPIRY_MARGIN_MS = 30_000;

export interface Identity {
  sub: string;
  claims: Claims;
  eligibility: Eligibility;
  /** Present when eligible: the MLflow username. */
  email: string | undefined;
  name: string | undefined;
  accessToken: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      identity?: Identity;
    }
  }
}

export function identityOf(req: Request): Identity {
  if (!req.identity) throw notAuthenticated();
  return req.identity;
}

export function createCurrentUser(config: Config, oidc: Oidc, logger: { warn(o: object, m?: string): void }): RequestHandler {
  // One refresh at a time per session: concurrent requests share it (providers may rotate refresh tokens).
  const refreshing = new Map<string, Promise<SignedInUser>>();

  async function refreshed(req: Request, user: SignedInUser): Promise<SignedInUser> {
    if (!user.refreshToken) throw sessionExpired();
    let pending = refreshing.get(req.sessionID);
    if (!pending) {
      pending = oidc
        .refresh({ sub: user.sub, refreshToken: user.refreshToken, idToken: user.idToken })
        .then((t) => ({ ...user, ...t }))
        .finally(() => refreshing.delete(req.sessionID));
      refreshing.set(req.sessionID, pending);
    }
    return pending;
  }

  return async (req, _res, next) => {
    try {
      let user = req.session.user;
      if (!user) throw notAuthenticated();
      if (user.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
        try {
          user = await refreshed(req, user);
          req.session.user = user;
        } catch (err) {
          if (err instanceof AppError && err.code === 'provider_unavailable') throw err;
          logger.warn({ err: (err as Error).message }, 'token refresh failed; ending the session');
          delete req.session.user;
          throw sessionExpired();
        }
      }
      const eligibility = evaluateEligibility(user.claims, config.eligibility.rule, config.eligibility.requireVerifiedEmail);
      req.identity = {
        sub: user.sub,
        claims: user.claims,
        eligibility,
        email: eligibility.email,
        name: typeof user.claims.name === 'string' ? user.claims.name : undefined,
        accessToken: user.accessToken,
      };
      next();
    } catch (err) {
      next(err);
    }
  };
}
