/**
 * The server-side session of a signed-in person: an opaque, HttpOnly, SameSite=Lax cookie scoped to the
 * service's base path, rolling with activity. Nothing is stored for anonymous visitors
 * (`saveUninitialized: false`; a sign-in in progress lives in its own cookie), so they cost no memory.
 */
import session from 'express-session';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.js';

export const SESSION_COOKIE = 'mlflow_signup.sid';

/** express-session's callback methods as promises: `regenerate` (new id, no fixation), `save`, `destroy`. */
export function sessionStep(req: Request, step: 'regenerate' | 'save' | 'destroy'): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session[step]((err: unknown) =>
      err ? reject(err instanceof Error ? err : new Error(`session ${step} failed`)) : resolve(),
    );
  });
}

export function sessionMiddleware(config: Config, store: session.Store): RequestHandler {
  return session({
    name: SESSION_COOKIE,
    secret: config.session.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    unset: 'destroy',
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      secure: config.session.cookieSecure,
      path: config.basePath || '/',
      maxAge: config.session.maxAgeMs,
    },
  });
}
