import { jest } from '@jest/globals';
import type session from 'express-session';
import { createSessionStore, type SessionStoreHandle } from '../auth/session-store.js';
import type { ActivityEntry } from '../registry/activity.js';
import { createSessionService, publicSessionId, type SessionHolder } from './service.js';

const SECRET = 'a-session-secret-of-at-least-32-characters';
const ISSUER = 'https://idp.example.org';
const grace: SessionHolder = { issuer: ISSUER, sub: 'sub-grace', email: 'grace@example.org' };
/** Another identity: Grace's `sub` at another provider. */
const graceElsewhere: SessionHolder = { issuer: 'https://other-idp.example.org', sub: 'sub-grace', email: null };
const alan: SessionHolder = { issuer: ISSUER, sub: 'sub-alan', email: 'alan@example.org' };

const MINUTE = 60_000;
const t0 = Date.parse('2026-11-30T12:00:00Z');

function stored(holder: SessionHolder, at: number, device?: string) {
  return {
    cookie: { expires: new Date(Date.now() + 60 * MINUTE), originalMaxAge: 60 * MINUTE },
    user: { issuer: holder.issuer, sub: holder.sub, accessToken: 'secret-access-token', claims: {} },
    createdAt: at,
    lastSeenAt: at + MINUTE,
    ...(device ? { device } : {}),
  } as unknown as session.SessionData;
}

let handle: SessionStoreHandle;
let written: ActivityEntry[];
let service: ReturnType<typeof createSessionService>;
const bound = new Map([[`${ISSUER} sub-grace`, 'grace@example.org']]);

function put(sid: string, data: session.SessionData) {
  handle.store.set(sid, data);
}
const exists = (sid: string) =>
  new Promise<boolean>((resolve) => handle.store.get(sid, (_err, data) => resolve(Boolean(data))));

beforeEach(() => {
  handle = createSessionStore({ databaseUrl: undefined });
  written = [];
  service = createSessionService({
    directory: handle.directory,
    secret: SECRET,
    accounts: {
      byIdentity: jest.fn(async ({ issuer, subject }: { issuer: string; subject: string }) => {
        const username = bound.get(`${issuer} ${subject}`);
        return username ? ({ username } as never) : undefined;
      }),
    },
    audit: { write: async (entry: ActivityEntry) => void written.push(entry) },
  });
  put('sid-grace-old', stored(grace, t0, 'Firefox on Linux'));
  put('sid-grace-new', stored(grace, t0 + 10 * MINUTE, 'Safari on iOS'));
  put('sid-grace-current', stored(grace, t0 + 5 * MINUTE, 'Chrome on macOS'));
  put('sid-grace-elsewhere', stored(graceElsewhere, t0));
  put('sid-alan', stored(alan, t0));
});
afterEach(() => handle.close());

const current = {
  sid: 'sid-grace-current',
  createdAt: t0 + 5 * MINUTE,
  lastSeenAt: t0 + 20 * MINUTE,
  device: 'Chrome on macOS',
};

describe('publicSessionId', () => {
  it('when derived twice from one session id, then it is the same, and it does not contain the session id', () => {
    const id = publicSessionId(SECRET, 'sid-123');
    expect(publicSessionId(SECRET, 'sid-123')).toBe(id);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(id).not.toContain('sid-123');
  });

  it('when the session id or the secret differs, then so does the public id', () => {
    const id = publicSessionId(SECRET, 'sid-123');
    expect(publicSessionId(SECRET, 'sid-124')).not.toBe(id);
    expect(publicSessionId(`${SECRET}-rotated`, 'sid-123')).not.toBe(id);
  });
});

describe('the sign-in session service', () => {
  it('when a person lists their sessions, then they get exactly their own identity’s, newest first, the current one flagged', async () => {
    const list = await service.list(grace, current);
    expect(list.map((s) => s.device)).toEqual(['Safari on iOS', 'Chrome on macOS', 'Firefox on Linux']);
    expect(list.map((s) => s.current)).toEqual([false, true, false]);
    expect(list[1]).toMatchObject({ id: publicSessionId(SECRET, 'sid-grace-current'), lastSeenAt: t0 + 20 * MINUTE });
    expect(JSON.stringify(list)).not.toMatch(/sid-|secret-access-token/);
  });

  it('when a session predates what is recorded now, then it is listed last, its unknown fields null', async () => {
    put('sid-grace-legacy', {
      cookie: { expires: new Date(Date.now() + MINUTE), originalMaxAge: MINUTE },
      user: { issuer: ISSUER, sub: 'sub-grace' },
    } as unknown as session.SessionData);
    const list = await service.list(grace, current);
    expect(list.at(-1)).toEqual({
      id: publicSessionId(SECRET, 'sid-grace-legacy'),
      createdAt: null,
      lastSeenAt: null,
      device: null,
      current: false,
    });
  });

  it('when a person ends one of their other sessions, then it is gone and the end is recorded against their account', async () => {
    const result = await service.end(grace, publicSessionId(SECRET, 'sid-grace-old'), current.sid, 'req-1');
    expect(result).toEqual({ current: false });
    expect(await exists('sid-grace-old')).toBe(false);
    expect(await exists('sid-grace-new')).toBe(true);
    expect(written).toEqual([
      {
        actor: { issuer: ISSUER, subject: 'sub-grace', email: 'grace@example.org' },
        action: 'sessions_end',
        target: { type: 'account', id: 'grace@example.org' },
        detail: 'one',
        outcome: 'ok',
        requestId: 'req-1',
      },
    ]);
  });

  it('when a person ends their current session, then the caller is told so', async () => {
    expect(await service.end(grace, publicSessionId(SECRET, current.sid), current.sid)).toEqual({ current: true });
    expect(await exists(current.sid)).toBe(false);
  });

  it('when the id is another identity’s session, or unknown, then session_not_found and nothing ends', async () => {
    for (const sid of ['sid-alan', 'sid-grace-elsewhere', 'no-such-session']) {
      await expect(service.end(grace, publicSessionId(SECRET, sid), current.sid)).rejects.toMatchObject({
        status: 404,
        code: 'session_not_found',
      });
    }
    expect(await exists('sid-alan')).toBe(true);
    expect(await exists('sid-grace-elsewhere')).toBe(true);
    expect(written).toEqual([]);
  });

  it('when a person ends their other sessions, then all of their identity’s but the current one end, and no one else’s', async () => {
    expect(await service.endOthers(grace, current.sid, 'password_change', 'req-2')).toBe(2);
    expect(await exists('sid-grace-old')).toBe(false);
    expect(await exists('sid-grace-new')).toBe(false);
    expect(await exists(current.sid)).toBe(true);
    expect(await exists('sid-alan')).toBe(true);
    expect(await exists('sid-grace-elsewhere')).toBe(true);
    expect(written.map((e) => e.detail)).toEqual(['password_change']);
  });

  it('when there are no other sessions, or the person has no account, then nothing is recorded', async () => {
    await service.endOthers(grace, current.sid, 'others');
    expect(await service.endOthers(grace, current.sid, 'others')).toBe(0);
    expect(await service.endOthers(alan, 'sid-alan-other', 'others')).toBe(1);
    expect(written.map((e) => e.detail)).toEqual(['others']);
  });
});
