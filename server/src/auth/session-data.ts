/**
 * What the server-side session holds. Tokens live here and only here: the browser gets an opaque,
 * HttpOnly session cookie and nothing else.
 */
import type { Claims } from './eligibility.js';

/** A sign-in in progress, keyed by its `state` so that two tabs signing in at once do not clash. */
export interface PendingLogin {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  createdAt: number;
}

export interface SignedInUser {
  issuer: string;
  sub: string;
  /** ID token and userinfo claims merged, refreshed at sign-in and at every token refresh. */
  claims: Claims;
  accessToken: string;
  refreshToken: string | undefined;
  idToken: string | undefined;
  /** When the access token expires (ms since epoch). */
  expiresAt: number;
}

declare module 'express-session' {
  interface SessionData {
    pendingLogins?: Record<string, PendingLogin>;
    user?: SignedInUser;
  }
}
