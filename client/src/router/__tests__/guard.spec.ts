import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryHistory } from 'vue-router';
import { apiError, fakeBff, json, meFixture, notOwnerMeFixture } from '../../testing/fakeBff';
import { createAppRouter, routes } from '..';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/' }));

beforeEach(() => setActivePinia(createPinia()));

async function visit(path: string) {
  const router = createAppRouter(createMemoryHistory());
  await router.push(path);
  return router.currentRoute.value;
}

const signedOut = () => fakeBff({ 'GET /api/me': apiError(401, 'not_authenticated', 'Sign in first.') });
const registered = () => fakeBff({ 'GET /api/me': json(200, meFixture()) });
const unregistered = () => fakeBff({ 'GET /api/me': json(200, meFixture({ account: null })) });
const claimable = () => fakeBff({ 'GET /api/me': json(200, notOwnerMeFixture('claimable')) });
const ownedElsewhere = () => fakeBff({ 'GET /api/me': json(200, notOwnerMeFixture('owned_by_other_identity')) });
const ineligible = () =>
  fakeBff({
    'GET /api/me': json(
      200,
      meFixture({
        account: null,
        user: {
          email: 'a@b.org',
          name: null,
          eligible: false,
          ineligible: { code: 'not_eligible', message: 'Not in the group.' },
        },
      }),
    ),
  });

describe('router guard', () => {
  it('when signed out and asking for /account, then the start page is shown with returnTo=/account', async () => {
    signedOut();
    const route = await visit('/account');
    expect(route.name).toBe('welcome');
    expect(route.query.returnTo).toBe('/account');
  });

  it('when signed out, then the start page is shown as it is', async () => {
    signedOut();
    expect((await visit('/')).fullPath).toBe('/');
  });

  it.each([
    ['registered', 'account', registered],
    ['unregistered', 'register', unregistered],
    ['ineligible', 'not-eligible', ineligible],
  ])('when %s and on the start page, then the guard moves on to %s', async (_phase, expected, setup) => {
    setup();
    expect((await visit('/')).name).toBe(expected);
  });

  it('when back from the provider with returnTo=/account and an account, then /account is shown', async () => {
    registered();
    expect((await visit('/?returnTo=%2Faccount')).name).toBe('account');
  });

  it('when returnTo points to a page of another phase, then the page of the person’s phase is shown', async () => {
    unregistered();
    expect((await visit('/?returnTo=%2Faccount')).name).toBe('register');
  });

  it.each(['//evil.example/x', 'https://evil.example/', '/\\evil', '/?returnTo=/'])(
    'when returnTo is %s, then it is ignored',
    async (returnTo) => {
      registered();
      expect((await visit(`/?returnTo=${encodeURIComponent(returnTo)}`)).name).toBe('account');
    },
  );

  it('when signed out and asking for /sharing, then the start page is shown with returnTo=/sharing', async () => {
    signedOut();
    const route = await visit('/sharing?tab=models');
    expect(route.name).toBe('welcome');
    expect(route.query.returnTo).toBe('/sharing?tab=models');
  });

  it.each([
    ['registered', 'sharing', registered],
    ['unregistered', 'register', unregistered],
    ['ineligible', 'not-eligible', ineligible],
  ])('when %s and asking for /sharing, then %s is shown', async (_phase, expected, setup) => {
    setup();
    expect((await visit('/sharing')).name).toBe(expected);
  });

  it('when registered and asking for /register, then /account is shown', async () => {
    registered();
    expect((await visit('/register')).name).toBe('account');
  });

  it('when ineligible and asking for /register, then /not-eligible is shown', async () => {
    ineligible();
    expect((await visit('/register')).name).toBe('not-eligible');
  });

  it('when /api/me cannot be reached, then protected pages lead to the start page, which shows the error', async () => {
    fakeBff({ 'GET /api/me': apiError(503, 'provider_unavailable', 'Down.') });
    const route = await visit('/account');
    expect(route.name).toBe('welcome');
    expect(route.query.returnTo).toBe('/account');
  });

  it('when navigating several times, then /api/me is fetched once', async () => {
    const bff = registered();
    const router = createAppRouter(createMemoryHistory());
    await router.push('/');
    await router.push('/register');
    await router.push('/account');
    expect(bff.callsTo('GET /api/me')).toHaveLength(1);
  });

  it('when the address matches no page, then "not found" is shown whoever asks', async () => {
    signedOut();
    expect((await visit('/nope')).name).toBe('not-found');
  });

  it('when a page is shown, then the document title names it', async () => {
    registered();
    await visit('/account');
    expect(document.title).toBe('Your account · MLflow account');
  });

  it.each([
    ['claimable', claimable],
    ['owned by another sign-in', ownedElsewhere],
  ])('when the account with the email is %s, then the account page is where the person belongs', async (_s, setup) => {
    setup();
    expect((await visit('/')).name).toBe('account');
    expect((await visit('/account')).name).toBe('account');
    expect((await visit('/register')).name).toBe('account');
    expect((await visit('/sharing')).name).toBe('account');
  });

  it('when signed out and asking for /activity, then the start page is shown with returnTo=/activity', async () => {
    signedOut();
    const route = await visit('/activity');
    expect(route.name).toBe('welcome');
    expect(route.query.returnTo).toBe('/activity');
  });

  it.each([
    ['registered', registered],
    ['unregistered', unregistered],
    ['ineligible', ineligible],
    ['not the owner', claimable],
  ])(
    'when %s and asking for /activity, then the activity page is shown (anyone signed in has a history)',
    async (_phase, setup) => {
      setup();
      expect((await visit('/activity')).name).toBe('activity');
    },
  );

  it('when the activity page is shown, then the document title names it', async () => {
    registered();
    await visit('/activity');
    expect(document.title).toBe('Activity · MLflow account');
  });

  it('when the activity route is looked at, then its page loads lazily, in a chunk of its own', () => {
    const route = routes.find((r) => r.name === 'activity');
    expect(route?.path).toBe('/activity');
    expect(typeof route?.component).toBe('function');
  });
});
