/**
 * What the server-side session holds: the signed-in person's tokens and merged claims, and nothing for
 * anonymous visitors (a sign-in in progress lives in the pending-login cookie). Tokens live here and only
 * here: the browser gets an opaque, HttpOnly session cookie and nothing else.
 */
import type { TokenResult } from './oidc.js';

/** The person's tokens and merged claims (ID token + userinfo), refreshed at every token refresh. */
export interface SignedInUser extends TokenResult {
  issuer: string;
}

declare module 'express-session' {
  interface SessionData {
    user?: SignedInUser;
  }
}
