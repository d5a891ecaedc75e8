import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { navigateTo } from '../../api/navigation';
import { activityEntryFixture, apiError, fakeBff, json, meFixture } from '../../testing/fakeBff';
import { useAccountStore } from '../account';
import { useActivityStore } from '../activity';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/activity' }));

beforeEach(() => {
  setActivePinia(createPinia());
  vi.mocked(navigateTo).mockClear();
});

const NEWEST = 'GET /api/me/activity?limit=50';
const OLDER = 'GET /api/me/activity?limit=50&before=41';

const newest = {
  entries: [activityEntryFixture({ id: '42' }), activityEntryFixture({ id: '41', action: 'register' })],
  next_before: '41',
};
const older = { entries: [activityEntryFixture({ id: '40', action: 'claim' })], next_before: null };

async function signedIn(routes: Parameters<typeof fakeBff>[0]) {
  const bff = fakeBff({ 'GET /api/me': json(200, meFixture()), ...routes });
  await useAccountStore().load();
  return { bff, store: useActivityStore() };
}

describe('useActivityStore', () => {
  it('when loaded, then the newest page is asked for and its entries are exposed, newest first', async () => {
    const { bff, store } = await signedIn({ [NEWEST]: json(200, newest) });

    await store.load();

    expect(bff.callsTo(NEWEST)).toHaveLength(1);
    expect(store.entries.map((e) => e.id)).toEqual(['42', '41']);
    expect(store.loaded).toBe(true);
    expect(store.hasOlder).toBe(true);
    expect(store.error).toBeNull();
  });

  it('when older entries are asked for, then next_before goes back as before and the page is appended', async () => {
    const { bff, store } = await signedIn({ [NEWEST]: json(200, newest), [OLDER]: json(200, older) });
    await store.load();

    const added = await store.loadOlder();

    expect(bff.callsTo(OLDER)).toHaveLength(1);
    expect(added.map((e) => e.id)).toEqual(['40']);
    expect(store.entries.map((e) => e.id)).toEqual(['42', '41', '40']);
    expect(store.hasOlder).toBe(false);
  });

  it('when there is nothing older, then asking for it sends nothing', async () => {
    const { bff, store } = await signedIn({ [NEWEST]: json(200, { entries: [], next_before: null }) });
    await store.load();

    await expect(store.loadOlder()).resolves.toEqual([]);

    expect(bff.calls).toHaveLength(2);
  });

  it('when an older page repeats an entry already shown, then it is listed once', async () => {
    const { store } = await signedIn({
      [NEWEST]: json(200, newest),
      [OLDER]: json(200, { entries: [activityEntryFixture({ id: '41' }), ...older.entries], next_before: null }),
    });
    await store.load();

    await store.loadOlder();

    expect(store.entries.map((e) => e.id)).toEqual(['42', '41', '40']);
  });

  it('when the newest page cannot be loaded, then the error is kept for the page and load does not reject', async () => {
    const { store } = await signedIn({ [NEWEST]: apiError(503, 'temporarily_unavailable', 'Try again soon.') });

    await expect(store.load()).resolves.toBeUndefined();

    expect(store.loaded).toBe(false);
    expect(store.error?.message).toBe('Try again soon.');
  });

  it('when an older page cannot be loaded, then the error reaches the caller and the list stays', async () => {
    const { store } = await signedIn({ [NEWEST]: json(200, newest), [OLDER]: apiError(502, 'mlflow_failed', 'Oops.') });
    await store.load();

    await expect(store.loadOlder()).rejects.toMatchObject({ code: 'mlflow_failed', message: 'Oops.' });

    expect(store.entries.map((e) => e.id)).toEqual(['42', '41']);
    expect(store.hasOlder).toBe(true);
  });

  it('when the session ended, then the person is sent to sign in and back to this page', async () => {
    const { store } = await signedIn({ [NEWEST]: apiError(401, 'session_expired', 'Sign in again.') });

    await store.load();

    expect(navigateTo).toHaveBeenCalledWith(`/auth/login?returnTo=${encodeURIComponent('/signup/activity')}`);
  });

  it('when the list was loaded afresh while an older page was on its way, then that page is dropped', async () => {
    let answerOlder: (response: Response) => void = () => {};
    const { bff, store } = await signedIn({
      [NEWEST]: json(200, newest),
      [OLDER]: () => new Promise<Response>((resolve) => (answerOlder = resolve)),
    });
    await store.load();

    const pending = store.loadOlder();
    bff.on(NEWEST, json(200, { entries: [activityEntryFixture({ id: '43' }), ...newest.entries], next_before: '41' }));
    await store.load();
    answerOlder(json(200, older));

    await expect(pending).resolves.toEqual([]);
    expect(store.entries.map((e) => e.id)).toEqual(['43', '42', '41']);
  });
});
