import { flushPromises, mount } from '@vue/test-utils';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError, type Permission } from '../../../api';
import type { ShareTarget } from '../../../composables/useCollaborators';
import { LEGACY, RBAC } from '../../../testing/sharingFixtures';
import ShareForm from '../ShareForm.vue';

beforeEach(() => {
  document.body.innerHTML = '';
});

const target = (capabilities = RBAC): ShareTarget => ({ type: 'experiment', id: '7', name: 'churn', capabilities });

function mountForm(share: (username: string, permission: Permission) => Promise<unknown>, capabilities = RBAC) {
  return mount(ShareForm, { props: { target: target(capabilities), share }, attachTo: document.body });
}

describe('ShareForm', () => {
  it('when shown, then it offers the server’s permissions, READ first, and describes the chosen one', async () => {
    const wrapper = mountForm(vi.fn(), LEGACY);

    expect(wrapper.find('h3').text()).toBe('Share with someone');
    expect(wrapper.findAll('option').map((o) => o.attributes('value'))).toEqual(['READ', 'EDIT', 'MANAGE']);
    expect(wrapper.find('.field__hint').text()).toBe('Read: view it.');
    await wrapper.find('select').setValue('MANAGE');
    expect(wrapper.find('.field__hint').text()).toBe('Manage: change, delete and share it.');
  });

  it('when the address is not one, then nothing is shared and the last outcome goes', async () => {
    const share = vi.fn(async () => {});
    const wrapper = mountForm(share);
    await wrapper.find('input').setValue('grace@example.org');
    await wrapper.find('form').trigger('submit');
    await flushPromises();
    expect(wrapper.find('[aria-live="polite"]').text()).not.toBe('');

    await wrapper.find('input').setValue('grace');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(share).toHaveBeenCalledTimes(1);
    expect(wrapper.find('[aria-live="polite"]').text()).toBe('');
    expect(wrapper.find('.field__error').text()).toBe('Enter an email address, such as name@example.org.');
  });

  it('when sharing succeeds, then the trimmed address and the permission are sent, it is announced and the field empties', async () => {
    const share = vi.fn(async () => {});
    const wrapper = mountForm(share);

    await wrapper.find('input').setValue(' grace@example.org ');
    await wrapper.find('select').setValue('EDIT');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(share).toHaveBeenCalledWith('grace@example.org', 'EDIT');
    expect(wrapper.find('[aria-live="polite"]').text()).toBe('grace@example.org now has Edit access to churn.');
    expect((wrapper.find('input').element as HTMLInputElement).value).toBe('');
  });

  it('when the server refuses the permission (422 fields), then the select says why and the alert gives the server’s words', async () => {
    const share = vi.fn(() =>
      Promise.reject(
        new ApiError(422, 'permission_not_supported', 'This MLflow server does not support USE.', [
          { field: 'permission', message: 'Choose READ, EDIT or MANAGE.' },
        ]),
      ),
    );
    const wrapper = mountForm(share);

    await wrapper.find('input').setValue('grace@example.org');
    await wrapper.find('select').setValue('USE');
    await wrapper.find('form').trigger('submit');
    await flushPromises();

    expect(wrapper.find('select').attributes('aria-invalid')).toBe('true');
    expect(wrapper.find('.field__error').text()).toBe('Choose READ, EDIT or MANAGE.');
    expect(wrapper.find('[role="alert"]').text()).toContain('Nothing was shared');
    expect(wrapper.find('[role="alert"]').text()).toContain('This MLflow server does not support USE.');
    expect((wrapper.find('input').element as HTMLInputElement).value).toBe('grace@example.org');
  });

  it('when asked to focus, then the email address gets it', () => {
    const wrapper = mountForm(vi.fn());

    wrapper.vm.focus();

    expect(document.activeElement).toBe(wrapper.find('input').element);
  });
});
