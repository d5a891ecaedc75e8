/**
 * Step-up for sensitive actions (changing the password, deleting the account, making, rotating or deleting
 * a machine account): they need a sign-in at the provider at most REAUTH_MAX_AGE_SECONDS old, read from the
 * ID token's `auth_time`. Tried against the real provider: a stale or unknown sign-in is refused and MLflow
 * left as it was; a step-up through the provider (max_age=0, prompt=login: its login form again) unlocks the
 * action; a provider that ignores the request and hands back its old `auth_time` unlocks nothing.
 */
import { ApiSession, useStack, type Stack } from '../support/stack.js';
import { mlflowUser, signInStatus } from '../support/mlflow-direct.js';
import { sleep } from '../support/timing.js';

const FIRST = 'a-first-password-1234';
const SECOND = 'a-second-password-5678';

/** The person signs in again through `/auth/login?reauth=1`, typing their password at the provider if asked. */
async function stepUp(stack: Stack, session: ApiSession, login: string) {
  const url = `${stack.baseUrl}/auth/login?reauth=1&returnTo=${encodeURIComponent('/signup/account?resume=change-password')}`;
  const result = await session.agent.signIn(url, login, `${login}-password-123`);
  session.csrfToken = undefined; // a new session: the SPA reads the new token from /api/me
  return result;
}

describe('when the provider sends no auth_time for ordinary sign-ins', () => {
  const stack = useStack({ vault: true, providerSendsAuthTime: false });

  it('then /api/me says the sign-in is not recent, and changing the password or deleting the account is refused with MLflow and Vault unchanged', async () => {
    const alice = await stack().signIn('alice');
    expect((await alice.register(FIRST)).status).toBe(201);
    const me = await alice.me();
    expect(me.body.reauthentication).toEqual({ max_age_seconds: 600, recent_until: null });
    for (const res of [await alice.changePassword(SECOND), await alice.deleteAccount()]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('reauthentication_required');
    }
    expect(await signInStatus(stack().mlflow, 'alice@example.org', FIRST)).toBe(200);
    expect(stack().papi!.secretFor('alice-sub', 'vo.ai4eosc.eu', '/services/mlflow/credentials')).toEqual({
      username: 'alice@example.org',
      password: FIRST,
    });
  });

  it('then a step-up shows the provider login form again, returns to the form, and unlocks the change', async () => {
    const alice = await stack().signIn('alice');
    const result = await stepUp(stack(), alice, 'alice');
    expect(result.finalUrl).toBe(`${stack().origin}/signup/account?resume=change-password`);
    const me = await alice.me();
    expect(Date.parse(me.body.reauthentication.recent_until)).toBeGreaterThan(Date.now() + 500_000);
    expect((await alice.changePassword(SECOND)).status).toBe(204);
    expect(await signInStatus(stack().mlflow, 'alice@example.org', SECOND)).toBe(200);
    expect((await alice.deleteAccount()).status).toBe(204);
    expect(await mlflowUser(stack().mlflow, 'alice@example.org')).toBeNull();
  });

  it('then a provider that ignores max_age and prompt=login (no new sign-in, no auth_time) unlocks nothing: 400 reauthentication_failed', async () => {
    const frank = await stack().signIn('frank');
    stack().oidc.ignoreReauthenticationRequests(true);
    try {
      const url = `${stack().baseUrl}/auth/login?reauth=1&returnTo=${encodeURIComponent('/signup/account')}`;
      const { response } = await frank.agent.follow(url, { headers: { Accept: 'application/json' } }, 20);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('reauthentication_failed');
    } finally {
      stack().oidc.ignoreReauthenticationRequests(false);
    }
    expect((await frank.me()).body.reauthentication.recent_until).toBeNull();
    expect((await frank.changePassword(SECOND)).status).toBe(401);
  });

  it('then making, rotating and deleting a machine account need the step-up too, and a stale sign-in changes nothing in MLflow or Vault', async () => {
    const heidi = await stack().signIn('heidi');
    expect((await heidi.register(FIRST)).status).toBe(201);
    const machine = 'heidi@example.org/ci';
    const vaultCopy = () =>
      stack().papi!.secretFor('heidi-sub', 'vo.ai4eosc.eu', '/services/mlflow/machine-accounts/ci');

    const refused = await heidi.call('POST', '/api/me/machine-accounts', { label: 'ci' });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('reauthentication_required');
    expect(await mlflowUser(stack().mlflow, machine)).toBeNull();
    expect(vaultCopy()).toBeUndefined();

    await stepUp(stack(), heidi, 'heidi');
    const made = await heidi.call('POST', '/api/me/machine-accounts', { label: 'ci' });
    expect(made.status).toBe(201);
    expect(await signInStatus(stack().mlflow, machine, made.body.password)).toBe(200);

    // The same session once its sign-in is no longer recent, as after REAUTH_MAX_AGE_SECONDS: a fresh
    // session from the provider's login session, which sends no auth_time for an ordinary sign-in.
    const stale = await stack().signIn('heidi');
    expect((await stale.me()).body.reauthentication.recent_until).toBeNull();
    for (const res of [
      await stale.call('POST', '/api/me/machine-accounts/ci/password'),
      await stale.call('DELETE', '/api/me/machine-accounts/ci'),
    ]) {
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('reauthentication_required');
    }
    expect(await signInStatus(stack().mlflow, machine, made.body.password)).toBe(200);
    expect(vaultCopy()).toEqual({ username: machine, password: made.body.password });
  });
});

describe('when the provider sends auth_time and the window is short', () => {
  const stack = useStack({ vault: false, env: { REAUTH_MAX_AGE_SECONDS: '2' } });

  it('then a sign-in becomes stale after the window, and an old auth_time handed back by a provider that ignores the step-up keeps it stale', async () => {
    const grace = await stack().signIn('grace');
    expect((await grace.register(FIRST)).status).toBe(201);
    expect((await grace.changePassword(SECOND)).status).toBe(204);
    await sleep(3_000);
    expect((await grace.changePassword(FIRST)).body.error.code).toBe('reauthentication_required');
    stack().oidc.ignoreReauthenticationRequests(true);
    try {
      // The provider reuses its login session: the ID token repeats the old auth_time.
      await grace.agent.follow(
        `${stack().baseUrl}/auth/login?reauth=1&returnTo=${encodeURIComponent('/signup/account')}`,
        {},
        20,
      );
      grace.csrfToken = undefined;
    } finally {
      stack().oidc.ignoreReauthenticationRequests(false);
    }
    const res = await grace.changePassword(FIRST);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('reauthentication_required');
    expect(await signInStatus(stack().mlflow, 'grace@example.org', SECOND)).toBe(200);
  });

  it('then registering is not a sensitive action (nothing to protect yet) and works on a stale sign-in', async () => {
    const frank = await stack().signIn('frank');
    await sleep(3_000);
    expect((await frank.register(FIRST)).status).toBe(201);
  });
});

describe('when the operator turns step-up off (REAUTH_MAX_AGE_SECONDS=0)', () => {
  const stack = useStack({ vault: false, providerSendsAuthTime: false, env: { REAUTH_MAX_AGE_SECONDS: '0' } });

  it('then /api/me says null and changing the password works without a recent sign-in', async () => {
    const alice = await stack().signIn('alice');
    expect((await alice.register(FIRST)).status).toBe(201);
    expect((await alice.me()).body.reauthentication).toBeNull();
    expect((await alice.changePassword(SECOND)).status).toBe(204);
  });
});
