/**
 * Step-up for sensitive actions: changing the password or deleting the account needs a full
 * authentication at the provider within REAUTH_MAX_AGE_SECONDS (OWASP ASVS 4.0 §3.7.1), as Keycloak's
 * account console and GitHub's sudo mode do. The age is the ID token's `auth_time` from a sign-in this
 * service started (nonce-bound), never a claim from userinfo or a refresh. A provider that sends no
 * `auth_time` makes every session count as stale: the step-up then asks with `max_age`, which obliges
 * the provider to send it.
 * @see https://openid.net/specs/openid-connect-core-1_0.html#IDToken (auth_time)
 */
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';
import { reauthenticationRequired } from '../errors.js';

/** Clocks of the provider and this service may differ by this much. */
const CLOCK_SKEW_S = 60;

/** Whether `authTime` (seconds) is a sign-in made after `sinceMs` (milliseconds), allowing for clock skew. */
export function authenticatedSince(authTime: number | undefined, sinceMs: number): boolean {
  return authTime !== undefined && authTime >= Math.floor(sinceMs / 1000) - CLOCK_SKEW_S;
}

/** Until when the current sign-in counts as recent (ms since the epoch), or `null` when it does not. */
export function recentUntil(authTime: number | undefined, maxAgeSeconds: number, now = Date.now()): number | null {
  if (authTime === undefined) return null;
  const until = (authTime + maxAgeSeconds) * 1000;
  return until > now && authTime * 1000 <= now + CLOCK_SKEW_S * 1000 ? until : null;
}

export function requireRecentSignIn(config: Pick<Config, 'reauthMaxAgeSeconds'>): RequestHandler {
  return (req: Request, _res, next) => {
    if (config.reauthMaxAgeSeconds === 0) return next();
    if (recentUntil(req.session.user?.authTime, config.reauthMaxAgeSeconds) === null)
      return next(reauthenticationRequired());
    next();
  };
}
