import { flushPromises } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { configFixture, fakeBff, json, meFixture } from '../../testing/fakeBff';
import { freshPiniaPerTest, mountPage } from '../../testing/pages';
import AccountView from '../AccountView.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const pinia = freshPiniaPerTest();
const PASSWORD = 'correct horse battery';
const THIS = {
  id: 'this-one',
  created_at: '2026-11-30T12:00:00.000Z',
  last_seen_at: '2026-11-30T12:00:00.000Z',
  device: 'Firefox on Linux',
  current: true,
};
const PHONE = { ...THIS, id: 'phone', device: 'Safari on iOS', current: false };

async function mountAccount() {
  const bff = fakeBff({
    'GET /api/me': json(200, meFixture()),
    'GET /api/config': json(200, configFixture({ password_policy: { min_length: 16, max_length: 64 } })),
    'GET /api/me/machine-accounts': json(200, { limit: 5, machine_accounts: [] }),
    'GET /api/me/sessions': json(200, { sessions: [PHONE, THIS] }),
    'PUT /api/me/password': json(204),
  });
  const mounted = await mountPage(AccountView, '/account', pinia());
  await flushPromises();
  return { bff, ...mounted };
}

async function typePassword(wrapper: Awaited<ReturnType<typeof mountAccount>>['wrapper']) {
  const [password, confirmation] = wrapper.findAll('input[autocomplete="new-password"]');
  await password!.setValue(PASSWORD);
  await confirmation!.setValue(PASSWORD);
}

describe('AccountView: sign-in sessions', () => {
  it('when the page is shown, then "Where you are signed in" lists the person’s sessions', async () => {
    const { wrapper } = await mountAccount();
    const section = wrapper.find('section[aria-labelledby="sign-in-sessions-heading"]');
    expect(section.find('h2').text()).toBe('Where you are signed in');
    expect(section.findAll('li h3').map((h) => h.text().replace(/\s+/g, ' '))).toEqual([
      'Safari on iOS',
      'Firefox on Linux This device',
    ]);
  });

  it('when the password is changed without the checkbox, then only the password is sent', async () => {
    const { bff, wrapper } = await mountAccount();
    const checkbox = wrapper.find('input#end-other-sessions');
    expect(wrapper.find('label[for="end-other-sessions"]').text()).toBe('Sign out my other sessions');
    expect((checkbox.element as HTMLInputElement).checked).toBe(false);
    await typePassword(wrapper);
    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(bff.callsTo('PUT /api/me/password')[0]?.body).toEqual({ password: PASSWORD });
  });

  it('when "Sign out my other sessions" is ticked, then it is sent with the password, said, and the list reloaded', async () => {
    const { bff, wrapper } = await mountAccount();
    await typePassword(wrapper);
    await wrapper.find('input#end-other-sessions').setValue(true);
    bff.on('GET /api/me/sessions', json(200, { sessions: [THIS] }));

    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('PUT /api/me/password')[0]?.body).toEqual({ password: PASSWORD, end_other_sessions: true });
    expect(wrapper.find('form .alert--success').text()).toContain('Your other sessions were signed out.');
    expect(bff.callsTo('GET /api/me/sessions')).toHaveLength(2);
    expect(wrapper.findAll('li.sign-in-session')).toHaveLength(1);
    expect((wrapper.find('input#end-other-sessions').element as HTMLInputElement).checked).toBe(false);
  });
});
