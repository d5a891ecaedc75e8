import { flushPromises } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MachineAccount } from '../../../api';
import { navigateTo } from '../../../api/navigation';
import { saveDraft } from '../../../composables/useStepUp';
import {
  apiError,
  configFixture,
  fakeBff,
  json,
  meFixture,
  reauthenticationFixture,
  type Route,
} from '../../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../../testing/pages';
import AccountView from '../../../views/AccountView.vue';

vi.mock('../../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const pinia = freshPiniaPerTest();
const PASSWORD = 'Zx9-generated-password-0123456789';
const CI: MachineAccount = {
  username: 'ada@example.org/ci',
  label: 'ci',
  created_at: '2026-11-30T12:00:00.000Z',
  rotated_at: null,
  disabled: false,
};

afterEach(() => {
  vi.mocked(navigateTo).mockClear();
  sessionStorage.clear();
});

async function mountSection(
  options: {
    list?: MachineAccount[];
    limit?: number;
    reauthentication?: ReturnType<typeof reauthenticationFixture> | null;
    path?: string;
    routes?: Record<string, Route | Response>;
  } = {},
) {
  const bff = fakeBff({
    'GET /api/me': json(200, meFixture({ reauthentication: options.reauthentication ?? null })),
    'GET /api/config': json(200, configFixture()),
    'GET /api/me/machine-accounts': json(200, { limit: options.limit ?? 5, machine_accounts: options.list ?? [] }),
    ...options.routes,
  });
  const mounted = await mountPage(AccountView, options.path ?? '/account', pinia());
  await flushPromises();
  const section = () => mounted.wrapper.find('[data-testid="machine-accounts"]');
  const button = (name: string) =>
    mounted.wrapper.findAll('button').find((b) => b.text().replace(/\s+/g, ' ').startsWith(name));
  return { bff, ...mounted, section, button };
}

describe('Machine accounts on the account page', () => {
  it('when the person owns some, then each is listed by username with its dates and actions, a disabled one marked', async () => {
    const { section } = await mountSection({
      list: [CI, { ...CI, username: 'ada@example.org/etl', label: 'etl', disabled: true }],
    });

    const items = section().findAll('li.machine-account');
    expect(items.map((li) => li.find('code').text())).toEqual(['ada@example.org/ci', 'ada@example.org/etl']);
    expect(items[0]!.find('time').attributes('datetime')).toBe(CI.created_at);
    expect(items[1]!.find('.badge').text()).toBe('Disabled');
    expect(items[0]!.text()).toContain('New password for ada@example.org/ci');
    expect(items[0]!.text()).toContain('Delete machine account ada@example.org/ci');
  });

  it('when the feature is off and the person owns none, then the section is not shown', async () => {
    const { section } = await mountSection({ limit: 0 });
    expect(section().exists()).toBe(false);
  });

  it('when the label breaks the rule, then nothing is sent and the field says why', async () => {
    const { bff, section, button } = await mountSection();

    await section().find('input').setValue('CI');
    await button('Make machine account')!.trigger('submit');
    await flushPromises();

    expect(bff.callsTo('POST /api/me/machine-accounts')).toHaveLength(0);
    expect(section().find('.field__error').text()).toBe('A label uses lower-case letters only.');
    expect(section().find('input').attributes('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(section().find('input').element);
  });

  it('when one is made, then its password is shown once with a copy button and the warning, focus goes there, and it goes for good on "I have copied it"', async () => {
    const { bff, section, button } = await mountSection({
      routes: {
        'POST /api/me/machine-accounts': json(201, {
          ...CI,
          label: 'ci-nightly',
          username: 'ada@example.org/ci-nightly',
          password: PASSWORD,
          vault: { status: 'in_sync' },
        }),
      },
    });
    const input = section().find('input');
    await input.setValue('ci-nightly');
    expect(section().find('.field__hint').text()).toContain('ada@example.org/ci-nightly');

    await section().find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('POST /api/me/machine-accounts')[0]!.body).toEqual({ label: 'ci-nightly' });
    const panel = section().find('[data-testid="one-time-password"]');
    expect(panel.text()).toContain('Copy the password now: it will not be shown again.');
    expect(panel.find('pre').text()).toBe(PASSWORD);
    expect(panel.find('[data-testid="machine-username"]').text()).toBe('ada@example.org/ci-nightly');
    expect(panel.findAll('button').some((b) => b.text().startsWith('Copy'))).toBe(true);
    expect(panel.text()).toContain('A copy of these credentials is stored in Vault.');
    expect(document.activeElement).toBe(panel.find('h3').element);
    expect(
      section()
        .findAll('li')
        .map((li) => li.find('code').text()),
    ).toEqual(['ada@example.org/ci-nightly']);
    expect((section().find('input').element as HTMLInputElement).value).toBe('');

    await button('I have copied it')!.trigger('click');
    await flushPromises();

    expect(section().text()).not.toContain(PASSWORD);
    expect(document.activeElement).toBe(section().find('h2').element);
  });

  it('when Vault could not store the copy, then the panel says so and how to repair it', async () => {
    const { section } = await mountSection({
      routes: {
        'POST /api/me/machine-accounts': json(201, { ...CI, password: PASSWORD, vault: { status: 'out_of_sync' } }),
      },
    });
    await section().find('input').setValue('ci');
    await section().find('form').trigger('submit');
    await flushPromises();
    expect(section().find('[data-testid="one-time-password"]').text()).toContain('Vault was not updated.');
  });

  it('when the label is taken, then the server’s words are under the field and focus goes back to it', async () => {
    const { section } = await mountSection({
      routes: {
        'POST /api/me/machine-accounts': apiError(409, 'machine_account_exists', 'The MLflow user exists already.', [
          { field: 'label', message: 'This label is taken: choose another one.' },
        ]),
      },
    });
    await section().find('input').setValue('ci');
    await section().find('form').trigger('submit');
    await flushPromises();

    expect(section().find('.field__error').text()).toBe('This label is taken: choose another one.');
    expect(section().find('[role="alert"]').text()).toContain('No machine account was made');
    expect(document.activeElement).toBe(section().find('input').element);
  });

  it('when the limit is reached, then the form gives way to a sentence saying so', async () => {
    const { section } = await mountSection({ limit: 1, list: [CI] });
    expect(section().find('form').exists()).toBe(false);
    expect(section().text()).toContain('You have 1 of 1 machine accounts, as many as this service allows.');
  });

  it('when "New password" is confirmed, then the new password is shown once', async () => {
    const { bff, wrapper, section, button } = await mountSection({
      list: [CI],
      routes: {
        'POST /api/me/machine-accounts/ci/password': json(200, { password: PASSWORD, vault: null }),
      },
    });

    await button('New password')!.trigger('click');
    await flushPromises();
    const dialog = wrapper.find('dialog');
    expect(dialog.text()).toContain('stops working at once');
    await dialog.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('POST /api/me/machine-accounts/ci/password')).toHaveLength(1);
    const panel = section().find('[data-testid="one-time-password"]');
    expect(panel.find('h3').text()).toBe('New password made');
    expect(panel.find('pre').text()).toBe(PASSWORD);
  });

  it('when "Delete" is confirmed, then it leaves the list, the status says so and focus goes to the heading', async () => {
    const { bff, wrapper, section, button } = await mountSection({
      list: [CI],
      routes: { 'DELETE /api/me/machine-accounts/ci': json(204) },
    });

    await button('Delete machine account ada@example.org/ci')!.trigger('click');
    await flushPromises();
    await wrapper.find('dialog form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('DELETE /api/me/machine-accounts/ci')).toHaveLength(1);
    expect(section().findAll('li.machine-account')).toHaveLength(0);
    expect(section().find('[role="status"]').text()).toBe('The machine account ada@example.org/ci was deleted.');
    expect(document.activeElement).toBe(section().find('h2').element);
  });
});

describe('Machine accounts and the step-up', () => {
  it('when the sign-in is not recent, then the form offers "Sign in again", which comes back with resume=machine-accounts', async () => {
    const { section, button } = await mountSection({ reauthentication: reauthenticationFixture(null) });

    expect(section().find('[data-testid="step-up-notice"]').text()).toContain(
      "For your security, confirm it's you before making a machine account.",
    );
    expect(section().find('input').exists()).toBe(false);
    await section().find('[data-testid="step-up-notice"] button').trigger('click');

    expect(navigateTo).toHaveBeenCalledWith(
      '/auth/login?reauth=1&returnTo=%2Fsignup%2Faccount%3Fresume%3Dmachine-accounts',
    );
    expect(button('Make machine account')).toBeUndefined();
  });

  it('when the dialog is used without a recent sign-in, then its confirm button is disabled and the machine account is kept for the way back', async () => {
    const { wrapper, button } = await mountSection({ list: [CI], reauthentication: reauthenticationFixture(null) });

    await button('Delete machine account ada@example.org/ci')!.trigger('click');
    await flushPromises();
    const dialog = wrapper.find('dialog');
    expect(
      dialog
        .findAll('button')
        .find((b) => b.text().startsWith('Delete machine account'))!
        .attributes('disabled'),
    ).toBeDefined();
    await dialog.find('[data-testid="step-up-notice"] button').trigger('click');

    expect(JSON.parse(sessionStorage.getItem('mlflow-account:step-up:machine-accounts')!)).toEqual({ delete: 'ci' });
  });

  it('when back from the provider to delete one, then the dialog opens again, says so, and finishes', async () => {
    saveDraft('machine-accounts', { delete: 'ci' });
    const { bff, wrapper, router } = await mountSection({
      list: [CI],
      reauthentication: reauthenticationFixture(600),
      path: '/account?resume=machine-accounts',
      routes: { 'DELETE /api/me/machine-accounts/ci': json(204) },
    });

    const dialog = wrapper.find('dialog');
    expect(dialog.find('[role="status"]').text()).toBe('You signed in again. You can finish now.');
    expect(document.activeElement?.textContent?.trim()).toBe('Delete machine account');
    expect(router.currentRoute.value.fullPath).toBe('/account');

    await dialog.find('form').trigger('submit');
    await flushPromises();
    expect(bff.callsTo('DELETE /api/me/machine-accounts/ci')).toHaveLength(1);
  });

  it('when back from the provider to make one, then the typed label is back and focused', async () => {
    saveDraft('machine-accounts', { label: 'ci-nightly' });
    const { section } = await mountSection({
      reauthentication: reauthenticationFixture(600),
      path: '/account?resume=machine-accounts',
    });

    expect((section().find('input').element as HTMLInputElement).value).toBe('ci-nightly');
    expect(document.activeElement).toBe(section().find('input').element);
    expect(section().find('[role="status"]').text()).toBe('You signed in again. You can finish now.');
  });

  it('when the server refuses for want of a recent sign-in, then the notice appears as an alert with the form’s title', async () => {
    const { section } = await mountSection({
      reauthentication: reauthenticationFixture(600),
      routes: {
        'POST /api/me/machine-accounts': apiError(401, 'reauthentication_required', 'Sign in again.'),
      },
    });
    await section().find('input').setValue('ci');
    await section().find('form').trigger('submit');
    await flushPromises();

    const notice = section().find('[data-testid="step-up-notice"]');
    expect(notice.attributes('role')).toBe('alert');
    expect(notice.text()).toContain('No machine account was made');
  });
});
