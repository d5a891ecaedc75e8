/**
 * What the server-side session holds. Tokens live here and only here: the browser gets an opaque,
 * HttpOnly session cookie and nothing else.
 */
import type { TokenResult } from './oidc.js';

/** A sign-in in progress, keyed by its `state` so that two tabs signing in at once do not clash. */
export interface PendingLogin {
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  createdAt: number;
}

/** The person's tokens and merged claims (ID token + userinfo), refreshed at every token refresh. */
export interface SignedInUser extends TokenResult {
  issuer: string;
}

declare module 'express-session' {
  interface SessionData {
    pendingLogins?: Record<string, PendingLogin>;
    user?: SignedInUser;
  }
}
