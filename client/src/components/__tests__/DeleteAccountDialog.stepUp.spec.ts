import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { navigateTo } from '../../api/navigation';
import { useAccountStore } from '../../stores/account';
import { apiError, fakeBff, json, meFixture, reauthenticationFixture } from '../../testing/fakeBff';
import DeleteAccountDialog from '../DeleteAccountDialog.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

const EMAIL = 'ada@example.org';
const DRAFT_KEY = 'mlflow-account:step-up:delete-account';
let pinia: Pinia;

beforeEach(() => {
  pinia = createPinia();
  setActivePinia(pinia);
  vi.mocked(navigateTo).mockClear();
  sessionStorage.clear();
  document.body.innerHTML = '';
});

/** Signs in with the given step-up state, then mounts the open dialog. */
async function mountDialog(
  reauthentication: ReturnType<typeof reauthenticationFixture> | null,
  props: { resumed?: boolean } = {},
) {
  const bff = fakeBff({ 'GET /api/me': json(200, meFixture({ reauthentication })) });
  await useAccountStore().load();
  const wrapper = mount(DeleteAccountDialog, {
    props: { username: EMAIL, vaultEnabled: true, open: true, ...props },
    global: { plugins: [pinia] },
    attachTo: document.body,
  });
  await flushPromises();
  return { bff, wrapper };
}

type Wrapper = Awaited<ReturnType<typeof mountDialog>>['wrapper'];
const button = (wrapper: Wrapper, name: string) => wrapper.findAll('button').find((b) => b.text().startsWith(name))!;
const notice = (wrapper: Wrapper) => wrapper.find('[data-testid="step-up-notice"]');

describe('DeleteAccountDialog, when the sign-in is not recent', () => {
  it('then, before anything is typed, it asks to sign in again and the delete button stays disabled even with the right email', async () => {
    const { wrapper } = await mountDialog(reauthenticationFixture(null));

    expect(notice(wrapper).text()).toContain("For your security, confirm it's you before deleting your account.");
    expect(notice(wrapper).attributes('role')).toBeUndefined();
    await wrapper.find('input').setValue(EMAIL);
    expect(button(wrapper, 'Delete account').attributes('disabled')).toBeDefined();
  });

  it('then Enter in the field deletes nothing', async () => {
    const { bff, wrapper } = await mountDialog(reauthenticationFixture(null));
    await wrapper.find('input').setValue(EMAIL);

    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('DELETE /api/me')).toHaveLength(0);
  });

  it('then "Sign in again" keeps the typed email (not a secret) and leaves for auth/login?reauth=1 with this page and resume=delete-account', async () => {
    const { wrapper } = await mountDialog(reauthenticationFixture(null));
    await wrapper.find('input').setValue('ada@exam');

    await button(wrapper, 'Sign in again').trigger('click');

    expect(JSON.parse(sessionStorage.getItem(DRAFT_KEY)!)).toEqual({ email: 'ada@exam' });
    expect(navigateTo).toHaveBeenCalledWith(
      `/auth/login?reauth=1&returnTo=${encodeURIComponent('/signup/account?resume=delete-account')}`,
    );
    expect(button(wrapper, 'Sign in again').attributes('aria-busy')).toBe('true');
  });

  it('then "Sign in again" with nothing typed stores nothing', async () => {
    const { wrapper } = await mountDialog(reauthenticationFixture(null));

    await button(wrapper, 'Sign in again').trigger('click');

    expect(sessionStorage.length).toBe(0);
    expect(navigateTo).toHaveBeenCalledTimes(1);
  });
});

describe('DeleteAccountDialog, back from the provider (resumed)', () => {
  it('then the typed email is restored, the draft forgotten, a status says so and focus is on "Delete account": one click finishes', async () => {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ email: EMAIL }));
    const { bff, wrapper } = await mountDialog(reauthenticationFixture(600), { resumed: true });
    bff.on('DELETE /api/me', json(204));
    bff.on('GET /api/me', json(200, meFixture({ account: null, reauthentication: reauthenticationFixture(590) })));

    expect((wrapper.find('input').element as HTMLInputElement).value).toBe(EMAIL);
    expect(sessionStorage.getItem(DRAFT_KEY)).toBeNull();
    expect(wrapper.find('[role="status"]').text()).toBe('You signed in again. You can finish now.');
    expect(notice(wrapper).exists()).toBe(false);
    expect(wrapper.emitted('update:resumed')?.at(-1)).toEqual([false]);
    const remove = button(wrapper, 'Delete account');
    expect(document.activeElement).toBe(remove.element);

    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(bff.callsTo('DELETE /api/me')).toHaveLength(1);
    expect(wrapper.emitted('deleted')).toHaveLength(1);
  });

  it('then, when the kept email was incomplete, it is restored and focus is on the field', async () => {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ email: 'ada@' }));
    const { wrapper } = await mountDialog(reauthenticationFixture(600), { resumed: true });

    const input = wrapper.find('input');
    expect((input.element as HTMLInputElement).value).toBe('ada@');
    expect(document.activeElement).toBe(input.element);
    expect(button(wrapper, 'Delete account').attributes('disabled')).toBeDefined();
  });

  it('then, opened again later without resume, the field starts empty and no status is shown', async () => {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ email: EMAIL }));
    const { wrapper } = await mountDialog(reauthenticationFixture(600), { resumed: true });

    await wrapper.setProps({ open: false, resumed: false });
    await wrapper.setProps({ open: true });
    await flushPromises();

    expect((wrapper.find('input').element as HTMLInputElement).value).toBe('');
    expect(wrapper.find('[role="status"]').text()).toBe('');
  });

  it('then, when the sign-in is still not recent, no status claims otherwise and the notice stays', async () => {
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ email: EMAIL }));
    const { wrapper } = await mountDialog(reauthenticationFixture(null), { resumed: true });

    expect((wrapper.find('input').element as HTMLInputElement).value).toBe(EMAIL);
    expect(wrapper.find('[role="status"]').text()).toBe('');
    expect(notice(wrapper).exists()).toBe(true);
  });
});

describe('DeleteAccountDialog, when the BFF refuses for want of a recent sign-in (401 reauthentication_required)', () => {
  it('then the notice appears as an alert with "Sign in again", the typed email stays and focus moves to the button', async () => {
    const { bff, wrapper } = await mountDialog(reauthenticationFixture(600));
    bff.on('DELETE /api/me', apiError(401, 'reauthentication_required', 'For your security, confirm it is you.'));
    await wrapper.find('input').setValue(EMAIL);

    await wrapper.find('form').trigger('submit');
    await flushPromises();

    const alert = wrapper.find('[role="alert"]');
    expect(alert.attributes('data-testid')).toBe('step-up-notice');
    expect(alert.text()).toContain('Your account was not deleted');
    expect(alert.text()).toContain("For your security, confirm it's you before deleting your account.");
    expect(wrapper.findAll('[role="alert"]')).toHaveLength(1);
    expect((wrapper.find('input').element as HTMLInputElement).value).toBe(EMAIL);
    expect(document.activeElement).toBe(button(wrapper, 'Sign in again').element);
    expect(wrapper.emitted('deleted')).toBeUndefined();
    expect(navigateTo).not.toHaveBeenCalled();

    await button(wrapper, 'Sign in again').trigger('click');
    expect(JSON.parse(sessionStorage.getItem(DRAFT_KEY)!)).toEqual({ email: EMAIL });
  });
});

describe('DeleteAccountDialog, when step-up is off (reauthentication: null)', () => {
  it('then there is no notice and the typed email enables deletion as before', async () => {
    const { wrapper } = await mountDialog(null);

    expect(notice(wrapper).exists()).toBe(false);
    await wrapper.find('input').setValue(EMAIL);
    expect(button(wrapper, 'Delete account').attributes('disabled')).toBeUndefined();
  });
});
