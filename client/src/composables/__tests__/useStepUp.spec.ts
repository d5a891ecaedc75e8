import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope } from 'vue';
import { navigateTo } from '../../api/navigation';
import { useAccountStore } from '../../stores/account';
import { fakeBff, json, meFixture, reauthenticationFixture } from '../../testing/fakeBff';
import { isStepUpAction, resumePath, saveDraft, takeDraft, useRecentSignIn, useStepUp } from '../useStepUp';

vi.mock('../../api/navigation', () => ({
  navigateTo: vi.fn(),
  currentPath: () => '/signup/account?tab=a b&x=1#usage',
}));

beforeEach(() => {
  setActivePinia(createPinia());
  vi.mocked(navigateTo).mockClear();
  sessionStorage.clear();
});

afterEach(() => vi.useRealTimers());

/** Runs a composable in an effect scope, as a component would; `stop()` ends it. */
function inScope<T>(fn: () => T): T & { stop: () => void } {
  const scope = effectScope();
  const result = scope.run(fn)!;
  return Object.assign(result as object, { stop: () => scope.stop() }) as T & { stop: () => void };
}

async function signedIn(reauthentication: ReturnType<typeof reauthenticationFixture> | null) {
  fakeBff({ 'GET /api/me': json(200, meFixture({ reauthentication })) });
  const store = useAccountStore();
  await store.load();
  return store;
}

describe('resumePath', () => {
  it('when building the way back, then the current page keeps its query, gains resume=<action> and loses its fragment', () => {
    expect(resumePath('change-password', '/signup/account')).toBe('/signup/account?resume=change-password');
    expect(resumePath('delete-account', '/signup/account?tab=1&resume=change-password#x')).toBe(
      '/signup/account?tab=1&resume=delete-account',
    );
  });

  it('when the action is checked, then only the two known actions pass', () => {
    expect(
      ['change-password', 'delete-account', 'sharing', undefined, ['change-password']].map(isStepUpAction),
    ).toEqual([true, true, false, false, false]);
  });
});

describe('drafts', () => {
  it('when a draft is saved, then it is kept per action in sessionStorage and removed once read', () => {
    saveDraft('delete-account', { email: 'ada@example.org' });

    expect(takeDraft('change-password')).toBeNull();
    expect(takeDraft('delete-account')).toEqual({ email: 'ada@example.org' });
    expect(takeDraft('delete-account')).toBeNull();
    expect(sessionStorage.length).toBe(0);
  });

  it('when the stored draft is damaged, then it reads as nothing and is removed', () => {
    sessionStorage.setItem('mlflow-account:step-up:delete-account', '{not json');
    expect(takeDraft('delete-account')).toBeNull();
    sessionStorage.setItem('mlflow-account:step-up:delete-account', '{"email":42,"note":"kept"}');
    expect(takeDraft('delete-account')).toEqual({ note: 'kept' });
    expect(sessionStorage.length).toBe(0);
  });

  it('when an empty draft is saved, then an older one for the same action is forgotten', () => {
    saveDraft('delete-account', { email: 'old@example.org' });
    saveDraft('delete-account', null);
    expect(takeDraft('delete-account')).toBeNull();
  });
});

describe('useRecentSignIn', () => {
  it('when step-up is off, then no step-up is required', async () => {
    await signedIn(null);
    const { required, stop } = inScope(() => useRecentSignIn());
    expect(required.value).toBe(false);
    stop();
  });

  it('when recent_until is null, then a step-up is required', async () => {
    await signedIn(reauthenticationFixture(null));
    const { required, stop } = inScope(() => useRecentSignIn());
    expect(required.value).toBe(true);
    stop();
  });

  it('when the sign-in is recent for 2 more minutes, then a step-up becomes required by itself 30 s before its end', async () => {
    vi.useFakeTimers({ now: Date.parse('2030-01-01T12:00:00Z'), toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    await signedIn(reauthenticationFixture(120));
    const { required, stop } = inScope(() => useRecentSignIn());
    expect(required.value).toBe(false);

    vi.advanceTimersByTime(89_000);
    expect(required.value).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(required.value).toBe(true);
    stop();
  });

  it('when the store learns of a fresh sign-in, then the step-up is no longer required', async () => {
    const store = await signedIn(reauthenticationFixture(null));
    const { required, stop } = inScope(() => useRecentSignIn());
    expect(required.value).toBe(true);

    fakeBff({ 'GET /api/me': json(200, meFixture({ reauthentication: reauthenticationFixture(600) })) });
    await store.load();

    expect(required.value).toBe(false);
    stop();
  });

  it('when the scope ends, then no timer is left behind', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    await signedIn(reauthenticationFixture(120));
    const { stop } = inScope(() => useRecentSignIn());
    expect(vi.getTimerCount()).toBe(1);
    stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('useStepUp', () => {
  it('when "Sign in again" starts, then the draft is kept and the whole page goes to auth/login with reauth=1 and an encoded returnTo', async () => {
    await signedIn(reauthenticationFixture(null));
    const stepUp = inScope(() => useStepUp('delete-account'));

    stepUp.signInAgain({ email: 'ada@example.org' });

    const returnTo = '/signup/account?tab=a+b&x=1&resume=delete-account';
    expect(navigateTo).toHaveBeenCalledWith(`/auth/login?reauth=1&returnTo=${encodeURIComponent(returnTo)}`);
    expect(vi.mocked(navigateTo).mock.calls[0]![0]).toBe(
      '/auth/login?reauth=1&returnTo=%2Fsignup%2Faccount%3Ftab%3Da%2Bb%26x%3D1%26resume%3Ddelete-account',
    );
    expect(stepUp.takeDraft()).toEqual({ email: 'ada@example.org' });
    stepUp.stop();
  });

  it('when the password form starts it, then nothing is stored: passwords never are', async () => {
    await signedIn(reauthenticationFixture(null));
    const stepUp = inScope(() => useStepUp('change-password'));

    stepUp.signInAgain();

    expect(sessionStorage.length).toBe(0);
    expect(navigateTo).toHaveBeenCalledWith(
      `/auth/login?reauth=1&returnTo=${encodeURIComponent('/signup/account?tab=a+b&x=1&resume=change-password')}`,
    );
    stepUp.stop();
  });
});
