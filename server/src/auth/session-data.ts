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

/**
 * How often `lastSeenAt` is written: each write is a session save (a database write with PostgreSQL), so a
 * request within this long of the last one leaves it alone.
 */
export const LAST_SEEN_EVERY_MS = 60_000;

declare module 'express-session' {
  interface SessionData {
    user?: SignedInUser;
    /** When this sign-in finished (epoch milliseconds). Absent in sessions started before it was recorded. */
    createdAt?: number;
    /** The last authenticated API request (epoch milliseconds), up to {@link LAST_SEEN_EVERY_MS} behind. */
    lastSeenAt?: number;
    /** A coarse description of the browser at sign-in, e.g. "Firefox on Linux" (`sessions/device.ts`). */
    device?: string;
  }
}
