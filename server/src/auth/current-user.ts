/**
 * Middleware that makes the signed-in person available to API routes, with a usable access token.
 *
 * An expired access token is refreshed with the refresh token (and the claims re-fetched, so that
 * eligibility follows what the provider says now). When the provider refuses, the session ends (401
 * `session_expired`); when it cannot be reached, the session stays and the request answers 503.
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import { notAuthenticated, sessionExpired, AppError } from '../errors.js';
import { evaluateEligibility, type Claims, type Eligibility } from './eligibility.js';
import type { Oidc } from './oidc.js';
import { LAST_SEEN_EVERY_MS, type SignedInUser } from './session-data.js';
import { sessionStep } from '../security/session.js';

/** Refresh this long before expiry, so a token does not expire between our check and PAPI's. */
const EXPIRY_MARGIN_MS = 30_000;

export interface Identity {
  /** The provider that signed the person in (`iss`): with `sub`, who owns an account. */
  issuer: string;
  sub: string;
  claims: Claims;
  eligibility: Eligibility;
  /** Present when eligible: the MLflow username. */
  email: string | undefined;
  name: string | undefined;
  accessToken: string;
}

declare global {
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

/** How long a finished refresh is handed to requests that still carry the refresh token it replaced. */
const RECENT_REFRESH_MS = 30_000;

export function createCurrentUser(config: Config, oidc: Oidc): RequestHandler {
  /**
   * One refresh at a time per refresh token, shared by concurrent requests, and remembered briefly after
   * it finished: a request that read the session before the new tokens were saved still carries the old
   * refresh token, which a rotating provider would now refuse. Keyed by a hash, bounded, and expiring.
   */
  const refreshes = new LRUCache<string, Promise<SignedInUser>>({ max: 10_000, ttl: RECENT_REFRESH_MS });

  function refreshed(user: SignedInUser): Promise<SignedInUser> {
    if (!user.refreshToken) return Promise.reject(sessionExpired());
    const key = createHash('sha256').update(user.refreshToken).digest('base64url');
    let pending = refreshes.get(key);
    if (!pending) {
      pending = oidc
        .refresh({ sub: user.sub, refreshToken: user.refreshToken, idToken: user.idToken, authTime: user.authTime })
        .then((t) => ({ ...user, ...t }));
      // A failure is not remembered: the next request may find the provider back.
      pending.catch(() => refreshes.delete(key));
      refreshes.set(key, pending);
    }
    return pending;
  }

  return async (req, _res, next) => {
    try {
      let user = req.session.user;
      if (!user) throw notAuthenticated();
      if (user.expiresAt - EXPIRY_MARGIN_MS <= Date.now()) {
        try {
          user = await refreshed(user);
        } catch (err) {
          // Only a refusal by the provider ends the session; an unreachable provider keeps it (503).
          if (err instanceof AppError && err.code === 'session_expired') delete req.session.user;
          throw err;
        }
        req.session.user = user;
        // Stored before the request goes on, so the next request reads the new tokens.
        await sessionStep(req, 'save');
      }
      const eligibility = evaluateEligibility(
        user.claims,
        config.eligibility.rule,
        config.eligibility.requireVerifiedEmail,
      );
      req.identity = {
        issuer: user.issuer,
        sub: user.sub,
        claims: user.claims,
        eligibility,
        email: eligibility.email,
        name: typeof user.claims.name === 'string' ? user.claims.name : undefined,
        accessToken: user.accessToken,
      };
      // "Last seen" in the list of sign-ins; written at most once a minute, as each write saves the session.
      const now = Date.now();
      if (now - (req.session.lastSeenAt ?? 0) >= LAST_SEEN_EVERY_MS) req.session.lastSeenAt = now;
      next();
    } catch (err) {
      next(err);
    }
  };
}
