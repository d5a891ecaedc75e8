import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../api';
import { useAccountStore } from '../../stores/account';
import { fakeBff, json, meFixture, reauthenticationFixture } from '../../testing/fakeBff';
import ConfirmDialog from '../ConfirmDialog.vue';

vi.mock('../../api/navigation', () => ({ navigateTo: vi.fn(), currentPath: () => '/signup/account' }));

beforeEach(() => {
  setActivePinia(createPinia());
  document.body.innerHTML = '';
});

type Props = {
  subject?: string | null;
  action?: (subject: string) => Promise<string>;
  disabled?: boolean;
  stepUp?: 'machine-accounts';
  stepUpMessage?: string;
};

function mountDialog(props: Props = {}) {
  return mount(ConfirmDialog<string, string>, {
    props: {
      open: true,
      title: 'Remove the thing?',
      confirmLabel: 'Remove thing',
      busyText: 'Removing the thing',
      errorTitle: 'The thing was not removed',
      danger: true,
      subject: 'lamp',
      action: (subject: string) => Promise.resolve(`${subject} removed`),
      ...props,
    },
    slots: { default: '<p>The thing goes for good.</p>' },
    attachTo: document.body,
  });
}

type Wrapper = ReturnType<typeof mountDialog>;
const button = (wrapper: Wrapper, text: string) => wrapper.findAll('button').find((b) => b.text().startsWith(text))!;

describe('ConfirmDialog', () => {
  it('when opened, then it asks its question, says what it means and offers Cancel and the action, in red', () => {
    const wrapper = mountDialog();

    expect(wrapper.find('h2').text()).toBe('Remove the thing?');
    expect(wrapper.text()).toContain('The thing goes for good.');
    expect(button(wrapper, 'Cancel').attributes('type')).toBe('button');
    expect(button(wrapper, 'Remove thing').classes()).toContain('btn--danger');
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('when confirmed, then the action runs on the subject, the dialog closes and reports what it resolved to', async () => {
    const action = vi.fn((subject: string) => Promise.resolve(`${subject} removed`));
    const wrapper = mountDialog({ action });

    await button(wrapper, 'Remove thing').trigger('click');
    await flushPromises();

    expect(action).toHaveBeenCalledWith('lamp');
    expect(wrapper.emitted('update:open')).toEqual([[false]]);
    expect(wrapper.emitted('done')).toEqual([['lamp removed']]);
  });

  it('while the action runs, then both buttons wait and Escape does not close the dialog', async () => {
    let finish: (value: string) => void = () => undefined;
    const wrapper = mountDialog({ action: () => new Promise<string>((resolve) => (finish = resolve)) });

    await wrapper.find('form').trigger('submit');

    const confirm = button(wrapper, 'Remove thing');
    expect(confirm.attributes('aria-busy')).toBe('true');
    expect(confirm.text()).toContain('Removing the thing');
    expect(button(wrapper, 'Cancel').attributes('disabled')).toBeDefined();
    const escape = new Event('cancel', { cancelable: true });
    wrapper.find('dialog').element.dispatchEvent(escape);
    expect(escape.defaultPrevented).toBe(true);

    finish('done');
    await flushPromises();
    expect(wrapper.emitted('done')).toEqual([['done']]);
  });

  it('when the action fails, then the dialog stays open with the error under its title, until it is opened again', async () => {
    const wrapper = mountDialog({
      action: () => Promise.reject(new ApiError(409, 'conflict', 'Someone else holds it.')),
    });

    await button(wrapper, 'Remove thing').trigger('click');
    await flushPromises();

    const alert = wrapper.find('[role="alert"]');
    expect(alert.text()).toContain('The thing was not removed');
    expect(alert.text()).toContain('Someone else holds it.');
    expect(wrapper.emitted('update:open')).toBeUndefined();
    expect(wrapper.emitted('done')).toBeUndefined();

    await wrapper.setProps({ open: false });
    await wrapper.setProps({ open: true });
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
  });

  it('when Cancel is pressed, then the dialog closes and nothing runs', async () => {
    const action = vi.fn(() => Promise.resolve(''));
    const wrapper = mountDialog({ action });

    await button(wrapper, 'Cancel').trigger('click');

    expect(wrapper.emitted('update:open')).toEqual([[false]]);
    expect(action).not.toHaveBeenCalled();
  });

  it('when no subject is chosen or the button is disabled, then submitting (Enter) runs nothing', async () => {
    const action = vi.fn(() => Promise.resolve(''));
    const none = mountDialog({ action, subject: null });
    const disabled = mountDialog({ action, disabled: true });

    await none.find('form').trigger('submit');
    await disabled.find('form').trigger('submit');
    await flushPromises();

    expect(action).not.toHaveBeenCalled();
    expect(button(disabled, 'Remove thing').attributes('disabled')).toBeDefined();
  });

  it('without a step-up, then a refusal for want of a recent sign-in is an error like any other', async () => {
    const wrapper = mountDialog({
      action: () => Promise.reject(new ApiError(401, 'reauthentication_required', 'Sign in again first.')),
    });

    await button(wrapper, 'Remove thing').trigger('click');
    await flushPromises();

    expect(wrapper.find('[role="alert"]').text()).toContain('Sign in again first.');
    expect(wrapper.find('[data-testid="step-up-notice"]').exists()).toBe(false);
    expect(wrapper.find('[role="status"]').exists()).toBe(false);
  });

  it('with a step-up and a sign-in that is not recent, then it asks to sign in again and keeps the button disabled', async () => {
    fakeBff({ 'GET /api/me': json(200, meFixture({ reauthentication: reauthenticationFixture(null) })) });
    await useAccountStore().load();
    const action = vi.fn(() => Promise.resolve(''));
    const wrapper = mountDialog({
      action,
      stepUp: 'machine-accounts',
      stepUpMessage: "For your security, confirm it's you before removing the thing.",
    });

    expect(wrapper.find('[data-testid="step-up-notice"]').text()).toContain(
      "For your security, confirm it's you before removing the thing.",
    );
    expect(button(wrapper, 'Remove thing').attributes('disabled')).toBeDefined();
    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(action).not.toHaveBeenCalled();
  });
});
