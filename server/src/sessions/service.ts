/**
 * "Your sign-in sessions": the signed-in person's sessions of this service, listed and ended, whichever
 * replica holds them (the store's {@link SessionDirectory}). A person only ever reaches the sessions signed
 * in as their own identity (the same `issuer` and `sub`); an id of anyone else's session is as unknown as
 * one never issued.
 *
 * Session ids are bearer secrets: the list names each session by {@link publicSessionId} instead, from which
 * the session id cannot be recovered.
 */
import { createHmac } from 'node:crypto';
import type { SessionDirectory, SessionOwner, SessionSummary } from '../auth/session-store.js';
import { sessionNotFound } from '../errors.js';
import type { AccountRegistry } from '../registry/accounts.js';
import type { Audit } from '../registry/audit.js';

/** Who is asking: the signed-in identity, and their email for the activity log. */
export interface SessionHolder extends SessionOwner {
  email: string | null;
}

/** One of the person's sessions, as the list shows it. */
export interface SignInSession {
  /** {@link publicSessionId}: names the session without revealing it. */
  id: string;
  /** Epoch milliseconds; null for a session started before these were recorded. */
  createdAt: number | null;
  lastSeenAt: number | null;
  device: string | null;
  /** The session of the request that asked. */
  current: boolean;
}

/** Why sessions ended, as the activity log's `detail` says it. */
export type SessionsEndDetail = 'one' | 'others' | 'password_change';

/** The request's own session: fresher than its stored copy, whose `lastSeenAt` is saved at the request's end. */
export type CurrentSession = SessionSummary;

/** Length of a public id: 22 base64url characters, 132 bits of the HMAC. */
const PUBLIC_ID_LENGTH = 22;

/**
 * The name of a session in the list: HMAC-SHA256 of its id, keyed with the session secret (which already
 * signs the cookie), base64url, truncated. Stable for the life of the session and the same on every
 * replica; without the secret it neither reveals the session id nor can be forged for another session.
 */
export function publicSessionId(secret: string, sid: string): string {
  return createHmac('sha256', secret)
    .update(`mlflow-signup:sign-in-session:${sid}`)
    .digest('base64url')
    .slice(0, PUBLIC_ID_LENGTH);
}

/** Newest first; sessions of unknown age (started before it was recorded) last. */
function newestFirst(a: SignInSession, b: SignInSession): number {
  return (b.createdAt ?? -1) - (a.createdAt ?? -1) || (b.lastSeenAt ?? -1) - (a.lastSeenAt ?? -1);
}

export interface SessionServiceDeps {
  directory: SessionDirectory;
  /** The session secret (`SESSION_SECRET`), shared by every replica. */
  secret: string;
  /** To name the person's account in the activity log. */
  accounts: Pick<AccountRegistry, 'byIdentity'>;
  audit: Pick<Audit, 'write'>;
}

export function createSessionService(deps: SessionServiceDeps) {
  const idOf = (sid: string) => publicSessionId(deps.secret, sid);

  /** Recorded against the person's account when they have one: the activity log is about accounts. */
  async function record(holder: SessionHolder, detail: SessionsEndDetail, requestId: string | undefined) {
    const binding = await deps.accounts.byIdentity({ issuer: holder.issuer, subject: holder.sub });
    if (!binding) return;
    await deps.audit.write({
      actor: { issuer: holder.issuer, subject: holder.sub, email: holder.email },
      action: 'sessions_end',
      target: { type: 'account', id: binding.username },
      detail,
      outcome: 'ok',
      requestId,
    });
  }

  return {
    /** The person's live sessions, newest first, the current one flagged. */
    async list(holder: SessionHolder, current: CurrentSession): Promise<SignInSession[]> {
      const stored = await deps.directory.sessionsOf(holder);
      const sessions = [current, ...stored.filter((s) => s.sid !== current.sid)];
      return sessions
        .map((s) => ({
          id: idOf(s.sid),
          createdAt: s.createdAt ?? null,
          lastSeenAt: s.lastSeenAt ?? null,
          device: s.device ?? null,
          current: s.sid === current.sid,
        }))
        .sort(newestFirst);
    },

    /**
     * Ends the person's session named `id` (404 `session_not_found` when it is not one of theirs).
     * @returns whether it was the asking request's own session, which the caller then signs out
     */
    async end(
      holder: SessionHolder,
      id: string,
      currentSid: string,
      requestId?: string,
    ): Promise<{ current: boolean }> {
      const target = (await deps.directory.sessionsOf(holder)).find((s) => idOf(s.sid) === id);
      if (!target) throw sessionNotFound();
      await deps.directory.destroy(target.sid);
      await record(holder, 'one', requestId);
      return { current: target.sid === currentSid };
    },

    /** Ends every session of the person but the asking one; returns how many ended. */
    async endOthers(
      holder: SessionHolder,
      currentSid: string,
      detail: Exclude<SessionsEndDetail, 'one'>,
      requestId?: string,
    ): Promise<number> {
      const others = (await deps.directory.sessionsOf(holder)).filter((s) => s.sid !== currentSid);
      for (const other of others) await deps.directory.destroy(other.sid);
      if (others.length > 0) await record(holder, detail, requestId);
      return others.length;
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
