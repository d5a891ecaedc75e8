import type { Request } from 'express';
import type session from 'express-session';
import { createSessionStore, type SessionStoreHandle } from './session-store.js';

const ISSUER = 'https://idp.example.org';

const data = (sub: string, extra: Record<string, unknown> = {}) =>
  ({
    cookie: { expires: new Date(Date.now() + 60_000), originalMaxAge: 60_000 },
    user: { issuer: ISSUER, sub },
    ...extra,
  }) as unknown as session.SessionData;

let handle: SessionStoreHandle;
beforeEach(() => {
  handle = createSessionStore({ databaseUrl: undefined });
});
afterEach(() => handle.close());

const get = (sid: string) =>
  new Promise<session.SessionData | null | undefined>((resolve) => handle.store.get(sid, (_err, d) => resolve(d)));
const set = (sid: string, d: session.SessionData) =>
  new Promise<void>((resolve) => handle.store.set(sid, d, () => resolve()));

/** What express-session does with a session it read: `createSession` makes the request's session of it. */
async function load(sid: string) {
  const stored = await get(sid);
  return handle.store.createSession({} as Request, stored!);
}

describe('the in-memory session store, as createSessionStore sets it up', () => {
  it('when a session read from the store is saved back, then it is updated', async () => {
    await set('a', data('grace'));
    const session = await load('a');
    session.lastSeenAt = 42;
    await set('a', session);
    expect(await get('a')).toMatchObject({ lastSeenAt: 42 });
  });

  it('when a session read from the store was ended meanwhile, then saving it does not bring it back', async () => {
    await set('a', data('grace'));
    const session = await load('a');
    await handle.directory.destroy('a');
    session.lastSeenAt = 42;
    await set('a', session);
    expect(await get('a')).toBeNull();
    expect(await handle.directory.sessionsOf({ issuer: ISSUER, sub: 'grace' })).toEqual([]);
  });

  it('when a person’s sessions are asked for, then exactly those of their issuer and sub are found, without tokens', async () => {
    await set('a', data('grace', { createdAt: 1, lastSeenAt: 2, device: 'Firefox on Linux', csrfToken: 't' }));
    await set('b', data('grace'));
    await set('c', data('alan'));
    await set('anonymous', { cookie: data('x').cookie });
    const found = await handle.directory.sessionsOf({ issuer: ISSUER, sub: 'grace' });
    expect(found.sort((x, y) => x.sid.localeCompare(y.sid))).toEqual([
      { sid: 'a', createdAt: 1, lastSeenAt: 2, device: 'Firefox on Linux' },
      { sid: 'b', createdAt: undefined, lastSeenAt: undefined, device: undefined },
    ]);
    expect(await handle.directory.sessionsOf({ issuer: 'https://other.example.org', sub: 'grace' })).toEqual([]);
  });

  it('when a session has expired, then it is not found among the person’s sessions', async () => {
    const expiring = data('grace');
    expiring.cookie = { expires: new Date(Date.now() + 5), originalMaxAge: 5 };
    await set('old', expiring);
    await new Promise((r) => setTimeout(r, 30));
    expect(await handle.directory.sessionsOf({ issuer: ISSUER, sub: 'grace' })).toEqual([]);
  });
});
