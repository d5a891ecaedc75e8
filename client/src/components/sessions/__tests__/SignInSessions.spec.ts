import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { SignInSession } from '../../../api';
import { navigateTo } from '../../../api/navigation';
import { apiError, fakeBff, json, type Route } from '../../../testing/fakeBff';
import { freshPiniaPerTest } from '../../../testing/pages';
import { deviceLabel, endedOthersMessage } from '../labels';
import SignInSessions from '../SignInSessions.vue';

vi.mock('../../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const pinia = freshPiniaPerTest();

const THIS: SignInSession = {
  id: 'this-one',
  created_at: '2026-11-30T12:00:00.000Z',
  last_seen_at: '2026-11-30T12:40:00.000Z',
  device: 'Firefox on Linux',
  current: true,
};
const PHONE: SignInSession = {
  id: 'phone',
  created_at: '2026-11-30T13:00:00.000Z',
  last_seen_at: '2026-11-30T13:05:00.000Z',
  device: 'Safari on iOS',
  current: false,
};
const OLD: SignInSession = { id: 'old', created_at: null, last_seen_at: null, device: null, current: false };

async function mountSection(sessions: SignInSession[], routes: Record<string, Route | Response> = {}) {
  const bff = fakeBff({ 'GET /api/me/sessions': json(200, { sessions }), ...routes });
  const wrapper = mount(SignInSessions, { global: { plugins: [pinia()] }, attachTo: document.body });
  await flushPromises();
  const rows = () => wrapper.findAll('li.sign-in-session');
  const signOutButtons = () => wrapper.findAll('li button');
  const button = (name: string) => wrapper.findAll('button').find((b) => b.text().startsWith(name));
  /** The confirmation's button whose text starts with `name`. */
  const dialogButton = (name: 'Sign out' | 'Cancel') =>
    wrapper
      .find('dialog')
      .findAll('button')
      .find((b) => b.text().startsWith(name))!;
  /** Presses the first row's "Sign out", then `answer` in the confirmation. */
  async function signOutFirst(answer: 'Sign out' | 'Cancel') {
    await signOutButtons()[0]!.trigger('click');
    await dialogButton(answer).trigger('click');
    await flushPromises();
  }
  return { bff, wrapper, rows, signOutButtons, button, dialogButton, signOutFirst };
}

describe('Where you are signed in', () => {
  it('when shown, then every session is a row under its own heading, this one marked "This device", with <time> stamps', async () => {
    const { wrapper, rows, signOutButtons } = await mountSection([PHONE, THIS, OLD]);

    expect(wrapper.find('h2').text()).toBe('Where you are signed in');
    expect(rows().map((r) => r.find('h3').text().replace(/\s+/g, ' '))).toEqual([
      'Safari on iOS',
      'Firefox on Linux This device',
      'Unknown browser',
    ]);
    const times = rows()[1]!.findAll('time');
    expect(times.map((t) => t.attributes('datetime'))).toEqual([THIS.created_at, THIS.last_seen_at]);
    expect(rows()[2]!.text()).toContain('Not recorded');
    // Only the other browsers can be signed out from here, each button saying which one.
    expect(signOutButtons()).toHaveLength(2);
    expect(signOutButtons()[0]!.find('.visually-hidden').text()).toContain('Safari on iOS, signed in');
    expect(rows()[1]!.find('button').exists()).toBe(false);
  });

  it('when "Sign out" is confirmed, then that session is ended, leaves the list, and the end is announced', async () => {
    const { bff, wrapper, rows, signOutButtons, dialogButton } = await mountSection([PHONE, THIS], {
      'DELETE /api/me/sessions/phone': json(204),
    });

    await signOutButtons()[0]!.trigger('click');
    await flushPromises();
    const dialog = wrapper.find('dialog');
    expect((dialog.element as HTMLDialogElement).open).toBe(true);
    expect(dialog.text()).toContain('Safari on iOS');
    expect(bff.callsTo('DELETE /api/me/sessions/phone')).toHaveLength(0);

    await dialogButton('Sign out').trigger('click');
    await flushPromises();

    expect(bff.callsTo('DELETE /api/me/sessions/phone')).toHaveLength(1);
    expect(rows()).toHaveLength(1);
    expect(wrapper.find('[role="status"]').text()).toBe('Safari on iOS was signed out.');
    expect((wrapper.find('dialog').element as HTMLDialogElement).open).toBe(false);
    expect(document.activeElement).toBe(wrapper.find('h2').element);
  });

  it('when "Sign out" is cancelled, then nothing is sent', async () => {
    const { bff, signOutFirst } = await mountSection([PHONE, THIS]);
    await signOutFirst('Cancel');
    expect(bff.calls.filter((c) => c.method === 'DELETE')).toHaveLength(0);
  });

  it('when the session had ended already, then it just leaves the list', async () => {
    const { wrapper, rows, signOutFirst } = await mountSection([PHONE, THIS], {
      'DELETE /api/me/sessions/phone': apiError(404, 'session_not_found', 'That is not one of your sign-in sessions.'),
    });
    await signOutFirst('Sign out');
    expect(rows()).toHaveLength(1);
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('when ending one fails, then the dialog stays open with the server’s message', async () => {
    const { wrapper, rows, signOutFirst } = await mountSection([PHONE, THIS], {
      'DELETE /api/me/sessions/phone': apiError(500, 'internal_error', 'Something went wrong on our side.'),
    });
    await signOutFirst('Sign out');
    expect((wrapper.find('dialog').element as HTMLDialogElement).open).toBe(true);
    expect(wrapper.find('dialog [role="alert"]').text()).toContain('Something went wrong on our side.');
    expect(rows()).toHaveLength(2);
  });

  it('when "Sign out everywhere else" is pressed, then the others end, only this one stays, and the count is announced', async () => {
    const { bff, wrapper, rows, button } = await mountSection([PHONE, THIS, OLD], {
      'POST /api/me/sessions/end-others': json(200, { ended: 2 }),
    });
    await button('Sign out everywhere else')!.trigger('click');
    await flushPromises();
    expect(bff.callsTo('POST /api/me/sessions/end-others')).toHaveLength(1);
    expect(rows().map((r) => r.find('h3').text())).toEqual([expect.stringContaining('This device')]);
    expect(wrapper.find('[role="status"]').text()).toBe('2 other sessions were signed out.');
    expect(button('Sign out everywhere else')).toBeUndefined();
  });

  it('when this is the only session, then there is nothing to sign out', async () => {
    const { button, signOutButtons } = await mountSection([THIS]);
    expect(button('Sign out everywhere else')).toBeUndefined();
    expect(signOutButtons()).toHaveLength(0);
  });

  it('when the list cannot be loaded, then the error is shown with "Try again", which loads it', async () => {
    const { bff, wrapper, rows, button } = await mountSection([], {
      'GET /api/me/sessions': apiError(503, 'temporarily_unavailable', 'Try again in a moment.'),
    });
    expect(wrapper.find('[role="alert"]').text()).toContain('Try again in a moment.');
    bff.on('GET /api/me/sessions', json(200, { sessions: [THIS] }));
    await button('Try again')!.trigger('click');
    await flushPromises();
    expect(rows()).toHaveLength(1);
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('when this session has ended meanwhile, then the person is sent to sign in again', async () => {
    await mountSection([], { 'GET /api/me/sessions': apiError(401, 'not_authenticated', 'Sign in first.') });
    expect(navigateTo).toHaveBeenCalledWith(expect.stringContaining('auth/login?returnTo='));
  });
});

describe('the words', () => {
  it('when a device is unknown, then it is "Unknown browser"; a count of ended sessions reads as a sentence', () => {
    expect(deviceLabel(null)).toBe('Unknown browser');
    expect(deviceLabel('Chrome on Windows')).toBe('Chrome on Windows');
    expect(endedOthersMessage(0)).toBe('You were not signed in anywhere else.');
    expect(endedOthersMessage(1)).toBe('1 other session was signed out.');
    expect(endedOthersMessage(3)).toBe('3 other sessions were signed out.');
  });
});
