import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api';
import { navigateTo } from '../../api/navigation';
import {
  accountFixture,
  apiError,
  fakeBff,
  json,
  meFixture,
  notOwnerMeFixture,
  reauthenticationFixture,
} from '../../testing/fakeBff';
import { RECENT_SIGN_IN_MARGIN_MS, signInIsRecent, useAccountStore } from '../account';

vi.mock('../../api/navigation', () => ({
  navigateTo: vi.fn(),
  currentPath: () => '/signup/account?tab=1',
}));

beforeEach(() => {
  setActivePinia(createPinia());
  vi.mocked(navigateTo).mockClear();
});

describe('useAccountStore.load', () => {
  it('when /api/me answers with an account, then the phase is registered and the account is exposed', async () => {
    fakeBff({ 'GET /api/me': json(200, meFixture()) });
    const store = useAccountStore();

    await store.load();

    expect(store.phase).toBe('registered');
    expect(store.account).toEqual({ id: 3, username: 'ada@example.org', is_admin: false, disabled: null });
    expect(store.ownership?.status).toBe('owned');
    expect(store.vaultStatus).toBe('in_sync');
  });

  it('when the person has no account, then the phase is unregistered', async () => {
    fakeBff({ 'GET /api/me': json(200, meFixture({ account: null })) });
    const store = useAccountStore();

    await store.load();

    expect(store.phase).toBe('unregistered');
  });

  it('when the person is not eligible, then the phase is ineligible, even with an account', async () => {
    const user = {
      email: null,
      name: 'Ada',
      eligible: false,
      ineligible: { code: 'email_missing' as const, message: 'No email address was shared.' },
    };
    fakeBff({ 'GET /api/me': json(200, meFixture({ user })) });
    const store = useAccountStore();

    await store.load();

    expect(store.phase).toBe('ineligible');
    expect(store.user?.ineligible?.code).toBe('email_missing');
  });

  it('when /api/me answers 401, then the phase is signed_out and nobody is redirected', async () => {
    fakeBff({ 'GET /api/me': apiError(401, 'not_authenticated', 'Sign in first.') });
    const store = useAccountStore();

    await store.load();

    expect(store.phase).toBe('signed_out');
    expect(store.loadError).toBeNull();
    expect(navigateTo).not.toHaveBeenCalled();
  });

  it('when /api/me fails otherwise, then the phase is unavailable with the error, and load does not reject', async () => {
    fakeBff({ 'GET /api/me': apiError(503, 'provider_unavailable', 'The sign-in service is down; retry later.') });
    const store = useAccountStore();

    await expect(store.load()).resolves.toBeUndefined();

    expect(store.phase).toBe('unavailable');
    expect(store.loadError?.message).toBe('The sign-in service is down; retry later.');
  });

  it('when load is called twice at once, then one request is made', async () => {
    const bff = fakeBff({ 'GET /api/me': json(200, meFixture()) });
    const store = useAccountStore();

    await Promise.all([store.load(), store.load(), store.ensureLoaded()]);

    expect(bff.callsTo('GET /api/me')).toHaveLength(1);
  });
});

describe('useAccountStore actions', () => {
  async function signedIn(me = meFixture()) {
    const bff = fakeBff({ 'GET /api/me': json(200, me) });
    const store = useAccountStore();
    await store.load();
    return { bff, store };
  }

  it('when registering, then POST /api/me carries the password and CSRF token, and the account appears', async () => {
    const { bff, store } = await signedIn(meFixture({ account: null, vault: { status: 'missing' } }));
    bff.on('POST /api/me', json(201, { account: accountFixture({ id: 9 }), vault: { status: 'in_sync' } }));

    await store.register('a long enough password');

    const [call] = bff.callsTo('POST /api/me');
    expect(call?.body).toEqual({ password: 'a long enough password' });
    expect(call?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    expect(store.phase).toBe('registered');
    expect(store.account?.id).toBe(9);
    expect(store.ownership).toMatchObject({ status: 'owned', username: 'ada@example.org' });
    expect(store.vaultStatus).toBe('in_sync');
  });

  it('when registering is refused with 422, then the ApiError with its field messages reaches the caller', async () => {
    const { bff, store } = await signedIn(meFixture({ account: null }));
    bff.on(
      'POST /api/me',
      apiError(422, 'weak_password', 'Choose a stronger password.', [{ field: 'password', message: 'Too common.' }]),
    );

    const error = await store.register('password1234').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).fieldMessage('password')).toBe('Too common.');
    expect(store.phase).toBe('unregistered');
    expect(bff.callsTo('GET /api/me')).toHaveLength(1);
  });

  it('when the account already exists (409), then /api/me is reloaded and the error rethrown', async () => {
    const { bff, store } = await signedIn(meFixture({ account: null }));
    bff.on('POST /api/me', apiError(409, 'already_registered', 'You already have an account.'));
    bff.on('GET /api/me', json(200, meFixture()));

    await expect(store.register('a long enough password')).rejects.toMatchObject({ code: 'already_registered' });

    expect(bff.callsTo('GET /api/me')).toHaveLength(2);
    expect(store.phase).toBe('registered');
  });

  it('when changing the password succeeds (204), then PUT /api/me/password is sent and the Vault status refreshed', async () => {
    const { bff, store } = await signedIn(meFixture({ vault: { status: 'out_of_sync' } }));
    bff.on('PUT /api/me/password', json(204));
    bff.on('GET /api/me', json(200, meFixture({ vault: { status: 'in_sync' } })));

    await store.changePassword('a new long password');

    const [call] = bff.callsTo('PUT /api/me/password');
    expect(call?.body).toEqual({ password: 'a new long password' });
    expect(call?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    expect(store.vaultStatus).toBe('in_sync');
  });

  it('when Vault could not be updated (502 vault_out_of_sync), then the message reaches the caller and the Vault status is refreshed', async () => {
    const { bff, store } = await signedIn();
    bff.on(
      'PUT /api/me/password',
      apiError(502, 'vault_out_of_sync', 'MLflow was updated but Vault was not; submit again.'),
    );
    bff.on('GET /api/me', json(200, meFixture({ vault: { status: 'out_of_sync' } })));

    await expect(store.changePassword('a new long password')).rejects.toMatchObject({
      status: 502,
      code: 'vault_out_of_sync',
      message: 'MLflow was updated but Vault was not; submit again.',
    });

    expect(store.vaultStatus).toBe('out_of_sync');
  });

  it('when deleting, then DELETE /api/me is sent and the person has no account any more', async () => {
    const { bff, store } = await signedIn();
    bff.on('DELETE /api/me', json(204));
    bff.on('GET /api/me', json(200, meFixture({ account: null, vault: { status: 'missing' } })));

    await store.deleteAccount();

    expect(bff.callsTo('DELETE /api/me')[0]?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    expect(store.account).toBeNull();
    expect(store.phase).toBe('unregistered');
  });

  it('when deletion fails in Vault (502 vault_failed), then the account stays and the message reaches the caller', async () => {
    const { bff, store } = await signedIn();
    bff.on('DELETE /api/me', apiError(502, 'vault_failed', 'Vault refused; nothing was deleted.'));

    await expect(store.deleteAccount()).rejects.toMatchObject({ code: 'vault_failed' });

    expect(store.phase).toBe('registered');
  });

  it.each([
    ['register', (s: ReturnType<typeof useAccountStore>) => s.register('a long enough password'), 'POST /api/me'],
    [
      'changePassword',
      (s: ReturnType<typeof useAccountStore>) => s.changePassword('a long enough password'),
      'PUT /api/me/password',
    ],
    ['deleteAccount', (s: ReturnType<typeof useAccountStore>) => s.deleteAccount(), 'DELETE /api/me'],
  ])(
    'when %s meets an ended session (401), then the person is sent to sign in and back to this page',
    async (_name, action, route) => {
      const { bff, store } = await signedIn();
      bff.on(route, apiError(401, 'session_expired', 'Your session has ended. Sign in again.'));

      await expect(action(store)).rejects.toMatchObject({ code: 'session_expired' });

      expect(navigateTo).toHaveBeenCalledWith(`/auth/login?returnTo=${encodeURIComponent('/signup/account?tab=1')}`);
    },
  );

  it('when a reload meets an ended session (401), then the person is sent to sign in again', async () => {
    const { bff, store } = await signedIn();
    bff.on('GET /api/me', apiError(401, 'session_expired', 'Your session has ended.'));

    await store.load();

    expect(navigateTo).toHaveBeenCalledWith(`/auth/login?returnTo=${encodeURIComponent('/signup/account?tab=1')}`);
    expect(store.phase).toBe('registered');
  });

  it('when signing out, then POST /auth/logout with the CSRF token, then the browser goes where the BFF says', async () => {
    const { bff, store } = await signedIn();
    bff.on('POST /auth/logout', json(200, { redirect_to: 'https://idp.example.org/logout?x=1' }));

    await store.signOut();

    const [call] = bff.callsTo('POST /auth/logout');
    expect(call?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    expect(call?.headers.get('Accept')).toBe('application/json');
    expect(navigateTo).toHaveBeenCalledWith('https://idp.example.org/logout?x=1');
  });

  it('when signing out fails, then the error reaches the caller and the browser stays', async () => {
    const { bff, store } = await signedIn();
    bff.on('POST /auth/logout', apiError(403, 'csrf', 'Reload the page and try again.'));
    bff.on('GET /api/me', json(200, meFixture()));

    await expect(store.signOut()).rejects.toMatchObject({ code: 'csrf' });

    expect(navigateTo).not.toHaveBeenCalled();
  });
});

describe('signInIsRecent', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');
  const until = (ms: number) => ({ max_age_seconds: 600, recent_until: new Date(now + ms).toISOString() });

  it('when step-up is off (null), then the sign-in always counts as recent', () => {
    expect(signInIsRecent(null, now)).toBe(true);
  });

  it('when recent_until is null or unreadable, then the sign-in is not recent', () => {
    expect(signInIsRecent({ max_age_seconds: 600, recent_until: null }, now)).toBe(false);
    expect(signInIsRecent({ max_age_seconds: 600, recent_until: 'soon' }, now)).toBe(false);
  });

  it('when recent_until is more than 30 s away, then it is recent; within 30 s or past, it is not', () => {
    expect(RECENT_SIGN_IN_MARGIN_MS).toBe(30_000);
    expect(signInIsRecent(until(600_000), now)).toBe(true);
    expect(signInIsRecent(until(30_001), now)).toBe(true);
    expect(signInIsRecent(until(30_000), now)).toBe(false);
    expect(signInIsRecent(until(5_000), now)).toBe(false);
    expect(signInIsRecent(until(-1_000), now)).toBe(false);
  });
});

describe('useAccountStore and step-up', () => {
  it('when /api/me says until when the sign-in is recent, then the store exposes it', async () => {
    const reauthentication = reauthenticationFixture(300);
    fakeBff({ 'GET /api/me': json(200, meFixture({ reauthentication })) });
    const store = useAccountStore();

    await store.load();

    expect(store.reauthentication).toEqual(reauthentication);
  });

  it('when an older BFF sends no reauthentication at all, then step-up counts as off', async () => {
    const { reauthentication: _, ...withoutField } = meFixture();
    fakeBff({ 'GET /api/me': json(200, withoutField) });
    const store = useAccountStore();

    await store.load();

    expect(store.reauthentication).toBeNull();
  });

  it.each([
    [
      'changePassword',
      (s: ReturnType<typeof useAccountStore>) => s.changePassword('a long enough password'),
      'PUT /api/me/password',
    ],
    ['deleteAccount', (s: ReturnType<typeof useAccountStore>) => s.deleteAccount(), 'DELETE /api/me'],
  ])(
    'when %s is refused for want of a recent sign-in (401 reauthentication_required), then the sign-in counts as not recent, nobody is redirected and the error reaches the caller',
    async (_name, action, route) => {
      const bff = fakeBff({ 'GET /api/me': json(200, meFixture({ reauthentication: reauthenticationFixture(300) })) });
      const store = useAccountStore();
      await store.load();
      bff.on(route, apiError(401, 'reauthentication_required', 'Confirm it is you.'));

      await expect(action(store)).rejects.toMatchObject({
        status: 401,
        code: 'reauthentication_required',
        needsSignIn: false,
      });

      expect(store.reauthentication).toEqual({ max_age_seconds: 600, recent_until: null });
      expect(navigateTo).not.toHaveBeenCalled();
      expect(bff.callsTo('GET /api/me')).toHaveLength(1);
      expect(store.phase).toBe('registered');
    },
  );

  it('when the refusal comes while step-up was off at the last load, then /api/me is loaded again', async () => {
    const bff = fakeBff({ 'GET /api/me': json(200, meFixture()) });
    const store = useAccountStore();
    await store.load();
    bff.on('DELETE /api/me', apiError(401, 'reauthentication_required', 'Confirm it is you.'));
    bff.on('GET /api/me', json(200, meFixture({ reauthentication: reauthenticationFixture(null) })));

    await expect(store.deleteAccount()).rejects.toMatchObject({ code: 'reauthentication_required' });

    expect(bff.callsTo('GET /api/me')).toHaveLength(2);
    expect(store.reauthentication).toEqual({ max_age_seconds: 600, recent_until: null });
    expect(navigateTo).not.toHaveBeenCalled();
  });
});

describe('useAccountStore and ownership', () => {
  it.each(['claimable', 'owned_by_other_identity', 'protected'] as const)(
    'when the account with the person’s email is %s, then the phase is not_owner and there is no account',
    async (status) => {
      fakeBff({ 'GET /api/me': json(200, notOwnerMeFixture(status, 'Ask the MLflow team.')) });
      const store = useAccountStore();

      await store.load();

      expect(store.phase).toBe('not_owner');
      expect(store.ownership).toEqual({
        status,
        username: 'ada@example.org',
        email_changed: false,
        message: 'Ask the MLflow team.',
      });
      expect(store.account).toBeNull();
    },
  );

  it('when the BFF tells nothing about Vault (vault: null), then the Vault status reads as disabled', async () => {
    fakeBff({ 'GET /api/me': json(200, notOwnerMeFixture('owned_by_other_identity')) });
    const store = useAccountStore();

    await store.load();

    expect(store.vaultStatus).toBe('disabled');
  });

  it('when an older BFF sends no ownership at all, then the account alone decides the phase', async () => {
    const { ownership: _, ...withoutField } = meFixture();
    fakeBff({ 'GET /api/me': json(200, withoutField) });
    const store = useAccountStore();

    await store.load();

    expect(store.phase).toBe('registered');
  });

  it('when claiming succeeds, then POST /api/me/claim carries the password and CSRF token, and the account is the person’s', async () => {
    const bff = fakeBff({ 'GET /api/me': json(200, notOwnerMeFixture('claimable')) });
    const store = useAccountStore();
    await store.load();
    bff.on('POST /api/me/claim', json(200, { account: accountFixture({ id: 7 }), vault: { status: 'in_sync' } }));

    await store.claim('the old mlflow password');

    const [call] = bff.callsTo('POST /api/me/claim');
    expect(call?.body).toEqual({ password: 'the old mlflow password' });
    expect(call?.headers.get('X-CSRF-Token')).toBe('csrf-123');
    expect(store.phase).toBe('registered');
    expect(store.account?.id).toBe(7);
    expect(store.ownership).toEqual({
      status: 'owned',
      username: 'ada@example.org',
      email_changed: false,
      message: null,
    });
    expect(store.vaultStatus).toBe('in_sync');
    expect(bff.callsTo('GET /api/me')).toHaveLength(1);
  });

  it.each([
    [403, 'claim_password_incorrect'],
    [429, 'too_many_attempts'],
  ])(
    'when claiming is refused with %i %s, then the error reaches the caller and nothing is reloaded',
    async (status, code) => {
      const bff = fakeBff({ 'GET /api/me': json(200, notOwnerMeFixture('claimable')) });
      const store = useAccountStore();
      await store.load();
      bff.on('POST /api/me/claim', apiError(status, code, 'No.'));

      await expect(store.claim('a wrong password')).rejects.toMatchObject({ status, code });

      expect(store.phase).toBe('not_owner');
      expect(bff.callsTo('GET /api/me')).toHaveLength(1);
    },
  );

  it.each([
    [404, 'not_claimable', meFixture({ account: null }), 'unregistered'],
    [409, 'account_owned_by_other_identity', notOwnerMeFixture('owned_by_other_identity'), 'not_owner'],
  ])(
    'when claiming meets %i %s (someone moved first), then /api/me is reloaded and the error rethrown',
    async (status, code, after, phase) => {
      const bff = fakeBff({ 'GET /api/me': json(200, notOwnerMeFixture('claimable')) });
      const store = useAccountStore();
      await store.load();
      bff.on('POST /api/me/claim', apiError(status, code, 'Too late.'));
      bff.on('GET /api/me', json(200, after));

      await expect(store.claim('the old mlflow password')).rejects.toMatchObject({ code });

      expect(bff.callsTo('GET /api/me')).toHaveLength(2);
      expect(store.phase).toBe(phase);
    },
  );
});
