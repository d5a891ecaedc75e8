import type session from 'express-session';
import { MemorySessionStore } from './memory-session-store.js';

const data = (extra: Record<string, unknown> = {}, expiresInMs = 60_000) =>
  ({
    cookie: { expires: new Date(Date.now() + expiresInMs), originalMaxAge: expiresInMs },
    ...extra,
  }) as unknown as session.SessionData;

const get = (store: MemorySessionStore, sid: string) =>
  new Promise<session.SessionData | null | undefined>((resolve) => store.get(sid, (_err, d) => resolve(d)));

describe('MemorySessionStore', () => {
  let store: MemorySessionStore;
  afterEach(() => store.close());

  it('when a session is stored, then it is read back as it was, and destroyed on request', async () => {
    store = new MemorySessionStore({ maxBytes: 1_000_000, pruneIntervalMs: 60_000, defaultTtlMs: 60_000 });
    store.set('a', data({ user: { sub: 'x' } }));
    expect(await get(store, 'a')).toMatchObject({ user: { sub: 'x' } });
    store.destroy('a');
    expect(await get(store, 'a')).toBeNull();
  });

  it('when the sessions outgrow the byte bound, then the least recently used end first', async () => {
    store = new MemorySessionStore({ maxBytes: 3_000, pruneIntervalMs: 60_000, defaultTtlMs: 60_000 });
    const big = 'e'.repeat(900);
    store.set('old', data({ claims: big }));
    store.set('used', data({ claims: big }));
    store.set('new', data({ claims: big }));
    await get(store, 'used');
    store.set('newest', data({ claims: big }));
    expect(await get(store, 'old')).toBeNull();
    expect(await get(store, 'used')).not.toBeNull();
    expect(await get(store, 'newest')).not.toBeNull();
  });

  it('when a session has expired, then it is gone', async () => {
    store = new MemorySessionStore({ maxBytes: 1_000_000, pruneIntervalMs: 60_000, defaultTtlMs: 60_000 });
    store.set('a', data({}, 5));
    await new Promise((r) => setTimeout(r, 30));
    expect(await get(store, 'a')).toBeNull();
  });

  it('when a session is touched, then its expiry moves with the cookie', async () => {
    store = new MemorySessionStore({ maxBytes: 1_000_000, pruneIntervalMs: 60_000, defaultTtlMs: 60_000 });
    store.set('a', data({ n: 1 }, 20));
    store.touch('a', data({ n: 1 }, 60_000));
    await new Promise((r) => setTimeout(r, 40));
    expect(await get(store, 'a')).toMatchObject({ n: 1 });
  });

  it('when a person’s sessions are listed, then only theirs are found, and listing them does not make them recently used', async () => {
    // Room for three of these sessions (about 1,000 characters each), not four.
    store = new MemorySessionStore({ maxBytes: 3_500, pruneIntervalMs: 60_000, defaultTtlMs: 60_000 });
    const big = 'e'.repeat(800);
    const grace = { issuer: 'https://idp.example.org', sub: 'grace' };
    store.set('grace-1', data({ user: grace, createdAt: 1, device: 'Firefox on Linux', claims: big }));
    store.set('alan', data({ user: { ...grace, sub: 'alan' }, claims: big }));
    store.set('grace-2', data({ user: grace, createdAt: 2, claims: big }));
    expect(
      store
        .sessionsOf(grace)
        .map((s) => s.sid)
        .sort(),
    ).toEqual(['grace-1', 'grace-2']);
    expect(store.sessionsOf({ ...grace, issuer: 'https://other.example.org' })).toEqual([]);
    store.set('newest', data({ claims: big }));
    expect(await get(store, 'grace-1')).toBeNull();
  });

  it('when a session is replaced, then only a session still stored is written', async () => {
    store = new MemorySessionStore({ maxBytes: 1_000_000, pruneIntervalMs: 60_000, defaultTtlMs: 60_000 });
    store.set('a', data({ n: 1 }));
    store.replace('a', data({ n: 2 }));
    store.replace('gone', data({ n: 3 }));
    expect(await get(store, 'a')).toMatchObject({ n: 2 });
    expect(await get(store, 'gone')).toBeNull();
  });
});
