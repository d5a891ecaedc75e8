/**
 * CSRF protection for every state-changing request: a synchroniser token kept in the server-side session
 * (csrf-sync), sent back by the SPA in `X-CSRF-Token` (or an `_csrf` form field for plain forms), plus an
 * Origin check as a second, independent layer. SameSite=Lax cookies alone do not cover same-site attackers.
 */
import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';
import { csrfRefused } from '../errors.js';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface Csrf {
  /** Middleware refusing unsafe methods without a valid token or with a foreign Origin. */
  protect: RequestHandler;
  /** The session's token, created on first use; the SPA reads it from `GET /api/me`. */
  tokenFor(req: Request): string;
}

export function createCsrf(allowedOrigins: readonly string[]): Csrf {
  const { generateToken, isRequestValid } = csrfSync({
    getTokenFromRequest: (req) => {
      const header = req.get('x-csrf-token');
      if (header) return header;
      const field = (req.body as Record<string, unknown> | undefined)?._csrf;
      return typeof field === 'string' ? field : undefined;
    },
  });

  function originAllowed(req: Request): boolean {
    const origin = req.get('origin');
    if (origin === undefined) {
      // Old browsers send no Origin on same-origin requests; a cross-site fetch always has Sec-Fetch-Site.
      const site = req.get('sec-fetch-site');
      return site === undefined || site === 'same-origin' || site === 'none';
    }
    const own = `${req.protocol}://${req.get('host')}`;
    return origin === own || allowedOrigins.includes(origin);
  }

  const protect: RequestHandler = (req, _res, next) => {
    if (!UNSAFE.has(req.method)) return next();
    if (!originAllowed(req)) return next(csrfRefused('it came from another site'));
    if (!req.session || !isRequestValid(req)) return next(csrfRefused('the CSRF token is missing or wrong'));
    next();
  };

  const tokenFor = (req: Request): string => generateToken(req, false);

  return { protect, tokenFor };
}
