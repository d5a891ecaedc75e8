import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { navigateTo } from '../../api/navigation';
import { apiError, configFixture, fakeBff, json, meFixture, reauthenticationFixture } from '../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../testing/pages';
import AccountView from '../AccountView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const pinia = freshPiniaPerTest();
const PASSWORD = 'correct horse battery';
const NOTICE = "For your security, confirm it's you before changing your password.";

afterEach(() => {
  vi.mocked(navigateTo).mockClear();
  sessionStorage.clear();
  vi.useRealTimers();
});

async function mountAccount(reauthentication: ReturnType<typeof reauthenticationFixture> | null, path = '/account') {
  const bff = fakeBff({
    'GET /api/me': json(200, meFixture({ reauthentication })),
    'GET /api/config': json(200, configFixture()),
    'PUT /api/me/password': json(204),
  });
  const mounted = await mountPage(AccountView, path, pinia());
  await flushPromises();
  return { bff, ...mounted };
}

type Wrapper = Awaited<ReturnType<typeof mountAccount>>['wrapper'];
const passwordSection = (wrapper: Wrapper) => wrapper.find('section[aria-labelledby="password-heading"]');
const passwordInputs = (wrapper: Wrapper) => wrapper.findAll('input[autocomplete="new-password"]');
const button = (wrapper: Wrapper, name: string) => wrapper.findAll('button').find((b) => b.text().startsWith(name));

describe('AccountView, when the sign-in is not recent', () => {
  it('then the password form shows the notice with "Sign in again" instead of fields nobody could use yet', async () => {
    const { wrapper } = await mountAccount(reauthenticationFixture(null));

    const section = passwordSection(wrapper);
    expect(section.find('[data-testid="step-up-notice"]').text()).toContain(NOTICE);
    // Present from the start: a plain notice, not an alert.
    expect(section.find('[data-testid="step-up-notice"]').attributes('role')).toBeUndefined();
    expect(passwordInputs(wrapper)).toHaveLength(0);
    expect(button(wrapper, 'Change password')).toBeUndefined();
  });

  it('then "Sign in again" sends the whole page to auth/login?reauth=1, back to this page with resume=change-password', async () => {
    const { wrapper } = await mountAccount(reauthenticationFixture(null));

    await button(wrapper, 'Sign in again')!.trigger('click');

    expect(navigateTo).toHaveBeenCalledWith(
      '/auth/login?reauth=1&returnTo=%2Fsignup%2Faccount%3Fresume%3Dchange-password',
    );
    expect(sessionStorage.length).toBe(0);
  });

  it('then a recent_until less than 30 s away already counts as not recent', async () => {
    const { wrapper } = await mountAccount(reauthenticationFixture(20));

    expect(passwordSection(wrapper).find('[data-testid="step-up-notice"]').exists()).toBe(true);
  });

  it('then "Delete account…" opens the dialog with its own notice', async () => {
    const { wrapper } = await mountAccount(reauthenticationFixture(null));

    await button(wrapper, 'Delete account…')!.trigger('click');
    await flushPromises();

    expect(wrapper.find('dialog').text()).toContain(
      "For your security, confirm it's you before deleting your account.",
    );
  });
});

describe('AccountView, when the sign-in stops being recent while the page is open', () => {
  it('then, with nothing typed, the fields give way to the notice, as an alert', async () => {
    vi.useFakeTimers({ now: Date.parse('2030-01-01T12:00:00Z'), toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { wrapper } = await mountAccount(reauthenticationFixture(60));
    expect(passwordInputs(wrapper)).toHaveLength(2);

    vi.advanceTimersByTime(30_000);
    await flushPromises();

    const notice = passwordSection(wrapper).find('[data-testid="step-up-notice"]');
    expect(notice.attributes('role')).toBe('alert');
    expect(passwordInputs(wrapper)).toHaveLength(0);
  });

  it('then fields the person is typing in stay until they submit', async () => {
    vi.useFakeTimers({ now: Date.parse('2030-01-01T12:00:00Z'), toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    const { wrapper } = await mountAccount(reauthenticationFixture(60));
    await passwordInputs(wrapper)[0]!.setValue('correct ho');

    vi.advanceTimersByTime(30_000);
    await flushPromises();

    expect(passwordInputs(wrapper)).toHaveLength(2);
    expect((passwordInputs(wrapper)[0]!.element as HTMLInputElement).value).toBe('correct ho');
  });
});

describe('AccountView, back from the provider', () => {
  it('with ?resume=change-password, then the status says so, focus is on the new password, and resume leaves the address', async () => {
    const { router, wrapper } = await mountAccount(
      reauthenticationFixture(600),
      '/account?resume=change-password&keep=1',
    );

    const status = passwordSection(wrapper).find('[role="status"]');
    expect(status.text()).toBe('You signed in again. You can finish now.');
    expect(document.activeElement).toBe(passwordInputs(wrapper)[0]!.element);
    expect(router.currentRoute.value.fullPath).toBe('/account?keep=1');
    expect(passwordSection(wrapper).find('[data-testid="step-up-notice"]').exists()).toBe(false);
  });

  it('with ?resume=change-password, then typing the new password and submitting changes it', async () => {
    const { bff, wrapper } = await mountAccount(reauthenticationFixture(600), '/account?resume=change-password');
    const [password, confirmation] = passwordInputs(wrapper);
    await password!.setValue(PASSWORD);
    await confirmation!.setValue(PASSWORD);

    await wrapper.find('section[aria-labelledby="password-heading"] form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('PUT /api/me/password')[0]?.body).toEqual({ password: PASSWORD });
    expect(passwordSection(wrapper).text()).toContain('Your password has been changed in MLflow and in Vault.');
    expect(passwordSection(wrapper).find('[role="status"]').text()).toBe('');
  });

  it('with ?resume=delete-account, then the dialog is open again with the kept email, the status, and resume leaves the address', async () => {
    sessionStorage.setItem('mlflow-account:step-up:delete-account', JSON.stringify({ email: 'ada@example.org' }));
    const { router, wrapper } = await mountAccount(reauthenticationFixture(600), '/account?resume=delete-account');

    const dialog = wrapper.find('dialog');
    expect((dialog.element as HTMLDialogElement).open).toBe(true);
    expect((dialog.find('input').element as HTMLInputElement).value).toBe('ada@example.org');
    expect(dialog.find('[role="status"]').text()).toBe('You signed in again. You can finish now.');
    expect(document.activeElement?.textContent?.trim()).toBe('Delete account');
    expect(router.currentRoute.value.fullPath).toBe('/account');
    expect(sessionStorage.length).toBe(0);
  });

  it('with an unknown resume value, then nothing opens but the parameter still leaves the address', async () => {
    const { router, wrapper } = await mountAccount(reauthenticationFixture(600), '/account?resume=everything');

    expect((wrapper.find('dialog').element as HTMLDialogElement).open).toBe(false);
    expect(passwordSection(wrapper).find('[role="status"]').text()).toBe('');
    expect(router.currentRoute.value.fullPath).toBe('/account');
  });
});

describe('AccountView, when the BFF refuses the change for want of a recent sign-in (401 reauthentication_required)', () => {
  it('then the notice appears as an alert saying nothing changed, the typed passwords are dropped and focus goes to "Sign in again"', async () => {
    const { bff, wrapper } = await mountAccount(reauthenticationFixture(600));
    bff.on('PUT /api/me/password', apiError(401, 'reauthentication_required', 'For your security, confirm it is you.'));
    const [password, confirmation] = passwordInputs(wrapper);
    await password!.setValue(PASSWORD);
    await confirmation!.setValue(PASSWORD);

    await wrapper.find('section[aria-labelledby="password-heading"] form').trigger('submit');
    await flushPromises();

    const alerts = passwordSection(wrapper).findAll('[role="alert"]');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.attributes('data-testid')).toBe('step-up-notice');
    expect(alerts[0]!.text()).toContain('Your password was not changed');
    expect(alerts[0]!.text()).toContain(NOTICE);
    expect(passwordInputs(wrapper)).toHaveLength(0);
    expect(wrapper.html()).not.toContain(PASSWORD);
    expect(document.activeElement).toBe(button(wrapper, 'Sign in again')!.element);
    expect(navigateTo).not.toHaveBeenCalled();
  });
});

describe('AccountView, when step-up is off (reauthentication: null)', () => {
  it('then the form is as before: no notice, the fields and the button', async () => {
    const { wrapper } = await mountAccount(null);

    expect(wrapper.find('[data-testid="step-up-notice"]').exists()).toBe(false);
    expect(passwordInputs(wrapper)).toHaveLength(2);
    expect(button(wrapper, 'Change password')).toBeDefined();
  });
});
