/**
 * Sign-ins in progress, kept in the browser that started them: a short-lived, encrypted, HttpOnly
 * cookie holding each pending sign-in's `state`, PKCE verifier, nonce and return path. Nothing is stored
 * on the server until a callback succeeds, so an anonymous flood of sign-in starts costs no memory and
 * evicts nobody's session; and a callback can only be finished by the browser that began it.
 *
 * The cookie is a JWE (`dir` + A256GCM, via `jose`), keyed by SESSION_SECRET through HKDF: the browser
 * can neither read the verifier nor forge an entry.
 * @see https://datatracker.ietf.org/doc/html/rfc9700#section-4.7 (state and PKCE bound to the user agent)
 * @see https://datatracker.ietf.org/doc/html/rfc7516 (JWE)
 */
import { hkdfSync } from 'node:crypto';
import type { Request, Response } from 'express';
import { parseCookie } from 'cookie';
import { EncryptJWT, jwtDecrypt } from 'jose';

const PENDING_LOGIN_COOKIE = 'mlflow_signup.login';
/** A sign-in must be finished within this time. */
const PENDING_LOGIN_TTL_S = 10 * 60;
/** Sign-ins one browser may have open at once (several tabs); the oldest gives way. */
const MAX_PENDING_LOGINS = 5;
/** Browsers drop cookies over ~4 KB: the oldest entries give way before that. */
const MAX_COOKIE_BYTES = 3800;

export interface PendingLogin {
  state: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** A step-up: the callback must bring a fresh authentication (see `recent-sign-in.ts`). */
  reauthenticate: boolean;
}

interface Wire {
  s: string;
  v: string;
  n: string;
  r: string;
  t: number;
  a?: 1;
}

const toWire = (p: PendingLogin): Wire => ({
  s: p.state,
  v: p.codeVerifier,
  n: p.nonce,
  r: p.returnTo,
  t: p.createdAt,
  ...(p.reauthenticate ? { a: 1 } : {}),
});

function fromWire(value: unknown): PendingLogin | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const w = value as Partial<Wire>;
  if (
    typeof w.s !== 'string' ||
    typeof w.v !== 'string' ||
    typeof w.n !== 'string' ||
    typeof w.r !== 'string' ||
    typeof w.t !== 'number'
  )
    return undefined;
  return { state: w.s, codeVerifier: w.v, nonce: w.n, returnTo: w.r, createdAt: w.t, reauthenticate: w.a === 1 };
}

export interface PendingLoginCookieOptions {
  secret: string;
  /** The cookie is sent to the auth routes only. */
  path: string;
  secure: boolean;
}

export function createPendingLogins(options: PendingLoginCookieOptions) {
  const key = new Uint8Array(hkdfSync('sha256', options.secret, 'mlflow-signup', 'pending-login-cookie/v1', 32));
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure: options.secure, path: options.path };

  /** This browser's pending sign-ins that have not expired; an unreadable cookie holds none. */
  async function read(req: Request): Promise<PendingLogin[]> {
    // parseCookie answers a prototype-less object: a cookie named `__proto__` is just a cookie.
    const raw = req.headers.cookie ? parseCookie(req.headers.cookie)[PENDING_LOGIN_COOKIE] : undefined;
    if (!raw) return [];
    try {
      const { payload } = await jwtDecrypt(raw, key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      const list = Array.isArray(payload.p) ? payload.p : [];
      const oldest = Date.now() - PENDING_LOGIN_TTL_S * 1000;
      return list.map(fromWire).filter((p): p is PendingLogin => p !== undefined && p.createdAt > oldest);
    } catch {
      return [];
    }
  }

  async function write(res: Response, pending: PendingLogin[]): Promise<void> {
    if (pending.length === 0) {
      res.clearCookie(PENDING_LOGIN_COOKIE, cookieOptions);
      return;
    }
    let kept = pending.slice(-MAX_PENDING_LOGINS);
    for (;;) {
      const value = await new EncryptJWT({ p: kept.map(toWire) })
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
        .setExpirationTime(`${PENDING_LOGIN_TTL_S}s`)
        .encrypt(key);
      if (value.length <= MAX_COOKIE_BYTES || kept.length === 1) {
        res.cookie(PENDING_LOGIN_COOKIE, value, { ...cookieOptions, maxAge: PENDING_LOGIN_TTL_S * 1000 });
        return;
      }
      kept = kept.slice(1);
    }
  }

  return {
    /** Adds a sign-in to this browser's cookie. */
    async add(req: Request, res: Response, login: PendingLogin): Promise<void> {
      await write(res, [...(await read(req)), login]);
    },

    /**
     * Takes this browser's pending sign-in with exactly this `state` out of the cookie (one use only).
     * Any other state, however it is spelled, finds nothing.
     */
    async take(req: Request, res: Response, state: string): Promise<PendingLogin | undefined> {
      const pending = await read(req);
      const index = pending.findIndex((p) => p.state === state);
      if (index === -1) return undefined;
      const [found] = pending.splice(index, 1);
      await write(res, pending);
      return found;
    },
  };
}
