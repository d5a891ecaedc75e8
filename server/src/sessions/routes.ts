/**
 * `/api/me/sessions`: the signed-in person's sessions of this service (docs/api.md, "Your sign-in
 * sessions"). Mounted behind `currentUser` and the CSRF check; no eligibility is needed, so anyone signed
 * in can see where else they are, and end it.
 */
import express, { type Request, type Router } from 'express';
import type { Config } from '../config.js';
import { identityOf } from '../auth/current-user.js';
import { sessionNotFound } from '../errors.js';
import { SESSION_COOKIE, sessionStep } from '../security/session.js';
import { presentSession } from './present.js';
import type { CurrentSession, SessionHolder, SessionService } from './service.js';

/** What a public session id can look like; anything else is as unknown as an id never issued. */
const PUBLIC_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The signed-in identity whose sessions a request may see and end. */
export function sessionHolderOf(req: Request): SessionHolder {
  const identity = identityOf(req);
  return { issuer: identity.issuer, sub: identity.sub, email: identity.email ?? null };
}

export const requestIdOf = (req: Request): string | undefined =>
  typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : undefined;

function currentOf(req: Request): CurrentSession {
  const { createdAt, lastSeenAt, device } = req.session;
  return { sid: req.sessionID, createdAt, lastSeenAt, device };
}

export function createSessionsRouter(config: Config, sessions: SessionService): Router {
  const router = express.Router();

  router.get('/', async (req, res) => {
    const list = await sessions.list(sessionHolderOf(req), currentOf(req));
    res.set('Cache-Control', 'no-store').json({ sessions: list.map(presentSession) });
  });

  router.post('/end-others', async (req, res) => {
    const ended = await sessions.endOthers(sessionHolderOf(req), req.sessionID, 'others', requestIdOf(req));
    res.set('Cache-Control', 'no-store').json({ ended });
  });

  router.delete('/:id', async (req, res) => {
    const id = req.params.id;
    if (!PUBLIC_ID.test(id)) throw sessionNotFound();
    const { current } = await sessions.end(sessionHolderOf(req), id, req.sessionID, requestIdOf(req));
    if (current) {
      // Ending the session this request came with is signing out: as /auth/logout does, without the provider.
      await sessionStep(req, 'destroy');
      res.clearCookie(SESSION_COOKIE, { path: config.basePath || '/' });
    }
    res.status(204).end();
  });

  return router;
}
