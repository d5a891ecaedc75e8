import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { Me, PublicConfig } from '../../api/types';
import {
  accountFixture,
  apiError,
  configFixture,
  fakeBff,
  json,
  meFixture,
  notOwnerMeFixture,
  ownershipFixture,
  type Route,
} from '../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../testing/pages';
import AccountView from '../AccountView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const pinia = freshPiniaPerTest();
const OLD_PASSWORD = 'the old mlflow password';

async function mountAccount(
  me: Me,
  { config = configFixture(), routes = {} }: { config?: PublicConfig; routes?: Record<string, Route | Response> } = {},
) {
  const bff = fakeBff({ 'GET /api/me': json(200, me), 'GET /api/config': json(200, config), ...routes });
  return { bff, ...(await mountPage(AccountView, '/account', pinia())) };
}

type Wrapper = Awaited<ReturnType<typeof mountAccount>>['wrapper'];
const button = (wrapper: Wrapper, name: string) => wrapper.findAll('button').find((b) => b.text().startsWith(name));
const claimField = (wrapper: Wrapper) => wrapper.find('input[autocomplete="current-password"]');

async function claimWith(wrapper: Wrapper, password: string) {
  await claimField(wrapper).setValue(password);
  await wrapper.find('form').trigger('submit');
  await flushPromises();
}

describe('AccountView, when an account with the person’s email exists without an owner (claimable)', () => {
  it('then it explains where the account comes from, names its username and asks for its current password only', async () => {
    const { wrapper } = await mountAccount(notOwnerMeFixture('claimable'));

    expect(wrapper.find('h1').text()).toBe('Your MLflow account already exists');
    expect(wrapper.text()).toContain('made before this service knew who owned it');
    expect(wrapper.find('[data-testid="username"]').text()).toBe('ada@example.org');
    expect(wrapper.text()).toContain('a copy of the password is stored in Vault');
    const field = claimField(wrapper);
    expect(wrapper.find(`label[for="${field.attributes('id')}"]`).text()).toBe('Current MLflow password');
    expect(wrapper.findAll('input[type="password"]')).toHaveLength(1);
    expect(button(wrapper, 'Claim account')).toBeDefined();
    // Nothing of the owned page: no Vault status, no password change, no deletion.
    expect(wrapper.text()).not.toContain('Copy in Vault');
    expect(button(wrapper, 'Delete account')).toBeUndefined();
  });

  it('then, without Vault, it does not promise a copy in Vault', async () => {
    const { wrapper } = await mountAccount(notOwnerMeFixture('claimable'), {
      config: configFixture({ vault_enabled: false }),
    });

    expect(wrapper.text()).not.toContain('Vault');
  });

  it('then it says an administrator can help with a forgotten password, with the support address as a mail link', async () => {
    const { wrapper } = await mountAccount(notOwnerMeFixture('claimable'), {
      config: configFixture({ support_contact: 'mlflow-help@example.org' }),
    });

    const section = wrapper.find('section[aria-labelledby="forgot-heading"]');
    expect(section.find('h2').text()).toBe('Forgot the password?');
    expect(section.text()).toContain('An MLflow administrator can reset its password, or link the account');
    expect(section.find('a').attributes('href')).toBe('mailto:mlflow-help@example.org');
    expect(section.find('a').text()).toBe('mlflow-help@example.org');
  });

  it('then the right password makes it the person’s: the account page replaces the form, says so and takes focus', async () => {
    const { bff, wrapper } = await mountAccount(notOwnerMeFixture('claimable'), {
      routes: {
        'POST /api/me/claim': json(200, { account: accountFixture({ id: 7 }), vault: { status: 'in_sync' } }),
      },
    });

    await claimWith(wrapper, OLD_PASSWORD);

    expect(bff.callsTo('POST /api/me/claim')[0]?.body).toEqual({ password: OLD_PASSWORD });
    const heading = wrapper.find('h1');
    expect(heading.text()).toBe('Your MLflow account');
    expect(document.activeElement).toBe(heading.element);
    expect(wrapper.find('.alert--success').text()).toBe(
      'This MLflow account is now yours, and a copy of its password is stored in Vault.',
    );
    expect(wrapper.find('[data-testid="username"]').text()).toBe('ada@example.org');
    expect(claimField(wrapper).exists()).toBe(false);
  });

  it('then an empty password is not sent: the field says what is missing and takes focus', async () => {
    const { bff, wrapper } = await mountAccount(notOwnerMeFixture('claimable'));

    await claimWith(wrapper, '');

    expect(bff.callsTo('POST /api/me/claim')).toHaveLength(0);
    expect(wrapper.find('.field__error').text()).toBe('Enter the current MLflow password of ada@example.org.');
    expect(document.activeElement).toBe(claimField(wrapper).element);
  });

  it('then a wrong password (403 claim_password_incorrect) is named as such, and focus returns to the field', async () => {
    const { wrapper } = await mountAccount(notOwnerMeFixture('claimable'), {
      routes: {
        'POST /api/me/claim': apiError(403, 'claim_password_incorrect', 'Wrong password.', [
          { field: 'password', message: 'This is not the account’s current MLflow password.' },
        ]),
      },
    });

    await claimWith(wrapper, 'not it');

    const alert = wrapper.find('[role="alert"]');
    expect(alert.text()).toContain('The account was not claimed');
    expect(alert.text()).toContain('That is not the current password of ada@example.org.');
    expect(claimField(wrapper).attributes('aria-invalid')).toBe('true');
    expect(wrapper.find('.field__error').text()).toBe('This is not the account’s current MLflow password.');
    expect(document.activeElement).toBe(claimField(wrapper).element);
  });

  it('then too many wrong passwords (429 too_many_attempts) ask the person to wait', async () => {
    const { wrapper } = await mountAccount(notOwnerMeFixture('claimable'), {
      routes: { 'POST /api/me/claim': apiError(429, 'too_many_attempts', 'Slow down.') },
    });

    await claimWith(wrapper, 'not it either');

    expect(wrapper.find('[role="alert"]').text()).toContain(
      'Too many wrong passwords were tried for ada@example.org. Wait 15 minutes, then try again.',
    );
  });

  it('then, when the account can no longer be claimed (404 not_claimable), /api/me is asked again and the page offers to continue', async () => {
    const { bff, wrapper } = await mountAccount(notOwnerMeFixture('claimable'), {
      routes: { 'POST /api/me/claim': apiError(404, 'not_claimable', 'There is no account to claim any more.') },
    });
    bff.on('GET /api/me', json(200, meFixture({ account: null })));

    await claimWith(wrapper, OLD_PASSWORD);

    expect(bff.callsTo('GET /api/me')).toHaveLength(2);
    const alert = wrapper.find('[role="alert"]');
    expect(alert.text()).toContain('There is no account to claim any more.');
    expect(alert.find('a').text()).toBe('Continue');
    expect(alert.find('a').attributes('href')).toBe('/register');
  });
});

describe('AccountView, when the account with the person’s email belongs to another sign-in', () => {
  it('then it shows the server’s message, suggests signing in as before and offers to sign out, and nothing else', async () => {
    const { wrapper } = await mountAccount(
      notOwnerMeFixture(
        'owned_by_other_identity',
        'Sign in with the account you registered with, or ask it@example.org.',
      ),
      { config: configFixture({ support_contact: 'https://help.example.org/mlflow' }) },
    );

    expect(wrapper.find('h1').text()).toBe('Your email address belongs to another sign-in');
    const notice = wrapper.find('[data-testid="other-identity"]');
    expect(notice.text()).toContain('Sign in with the account you registered with, or ask it@example.org.');
    expect(wrapper.text()).toContain('sign in the way you signed in when you registered');
    expect(button(wrapper, 'Sign out')).toBeDefined();
    const help = wrapper.find('a[href="https://help.example.org/mlflow"]');
    expect(help.attributes('target')).toBe('_blank');
    expect(wrapper.find('form').exists()).toBe(false);
    expect(wrapper.find('input').exists()).toBe(false);
    expect(wrapper.text()).not.toContain('Vault');
  });
});

describe('AccountView, when the account with the person’s email is an MLflow administrator account (protected)', () => {
  it('then it says the account cannot be managed here, with the server’s message, and offers no form', async () => {
    const { wrapper } = await mountAccount(notOwnerMeFixture('protected', 'Ask the MLflow team to change it.'));

    expect(wrapper.find('h1').text()).toBe('This account cannot be managed here');
    expect(wrapper.text()).toContain('is an MLflow administrator account');
    expect(wrapper.find('[data-testid="protected-account"]').text()).toContain('Ask the MLflow team to change it.');
    expect(wrapper.find('form').exists()).toBe(false);
  });
});

describe('AccountView, when the account is the person’s', () => {
  it('when it was disabled, then a notice says when and why, and that a new password enables it again', async () => {
    const me = meFixture({
      account: accountFixture({ disabled: { at: '2026-11-30T12:00:00.000Z', reason: 'inactive' } }),
    });
    const { bff, wrapper } = await mountAccount(me, { routes: { 'PUT /api/me/password': json(204) } });

    const notice = wrapper.find('[data-testid="account-disabled"]');
    expect(notice.text()).toContain('Your MLflow account is disabled');
    expect(notice.text()).toContain('because you had not signed in here for a long time');
    expect(notice.text()).toContain('Its MLflow password no longer works.');
    expect(notice.text()).toContain('Set a new password below to enable it again.');
    expect(notice.find('time').attributes('datetime')).toBe('2026-11-30T12:00:00.000Z');
    expect(notice.find('time').text()).toMatch(/2026/);

    // The form stays usable, and a new password enables the account again.
    bff.on('GET /api/me', json(200, meFixture()));
    const [password, confirmation] = wrapper.findAll('input[autocomplete="new-password"]');
    await password!.setValue('a brand new long password');
    await confirmation!.setValue('a brand new long password');
    await wrapper.find('section[aria-labelledby="password-heading"] form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('PUT /api/me/password')).toHaveLength(1);
    expect(wrapper.find('[data-testid="account-disabled"]').exists()).toBe(false);
    expect(wrapper.find('form .alert--success').text()).toBe(
      'Your password has been changed in MLflow and in Vault. Your account is enabled again.',
    );
  });

  it('when it was disabled for lost eligibility, then the notice gives that reason', async () => {
    const me = meFixture({
      account: accountFixture({ disabled: { at: '2026-11-30T12:00:00.000Z', reason: 'ineligible' } }),
    });
    const { wrapper } = await mountAccount(me);

    expect(wrapper.find('[data-testid="account-disabled"]').text()).toContain(
      'because you no longer met the requirements for an MLflow account',
    );
  });

  it('when the email at the provider changed, then a notice says the MLflow username stays, and the page uses the username throughout', async () => {
    const me = meFixture({
      user: { email: 'ada.byron@example.org', name: 'Ada', eligible: true, ineligible: null },
      ownership: ownershipFixture('owned', { email_changed: true }),
    });
    const { wrapper } = await mountAccount(me);

    expect(wrapper.find('[data-testid="email-changed"]').text().replace(/\s+/g, ' ')).toContain(
      'Your email at your sign-in provider is now ada.byron@example.org; your MLflow username stays ada@example.org — use ada@example.org to sign in to MLflow.',
    );
    expect(wrapper.find('[data-testid="username"]').text()).toBe('ada@example.org');
    expect(wrapper.text()).toContain('export MLFLOW_TRACKING_USERNAME=ada@example.org');
    expect(wrapper.text()).not.toContain('MLFLOW_TRACKING_USERNAME=ada.byron');
    expect(wrapper.find('input[autocomplete="username"]').attributes('value')).toBe('ada@example.org');

    await button(wrapper, 'Delete account…')!.trigger('click');
    await flushPromises();
    const dialog = wrapper.find('dialog[open]');
    const input = dialog.find('input[type="text"]');
    expect(dialog.find(`label[for="${input.attributes('id')}"]`).text()).toBe('Type your MLflow username to confirm');
    expect(dialog.find('.field__hint').text()).toBe('Type ada@example.org exactly as shown.');
  });

  it('when the email did not change, then there is no such notice', async () => {
    const { wrapper } = await mountAccount(meFixture());

    expect(wrapper.find('[data-testid="email-changed"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="account-disabled"]').exists()).toBe(false);
  });

  it('when the BFF tells nothing about Vault (vault: null), then the page shows the account without a Vault row', async () => {
    const { wrapper } = await mountAccount(meFixture({ vault: null }));

    expect(wrapper.find('h1').text()).toBe('Your MLflow account');
    expect(wrapper.text()).not.toContain('Copy in Vault');
  });
});
