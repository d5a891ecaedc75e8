/** The wire format of "Your sign-in sessions" (docs/api.md). */
import type { SignInSession } from './service.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentSession(session: SignInSession) {
  return {
    id: session.id,
    created_at: iso(session.createdAt),
    last_seen_at: iso(session.lastSeenAt),
    device: session.device,
    current: session.current,
  };
}
